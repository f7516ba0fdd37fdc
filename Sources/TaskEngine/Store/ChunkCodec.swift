import CLZ4
import CZstd
import Foundation

/// How output chunks are stored: each row carries a codec tag, so chunks written by any release stay
/// readable. New chunks are zstd frames when that saves space, raw bytes otherwise; LZ4 blocks (the
/// codec before issue 12) are only read.
///
/// zstd at level 1 stores compiler-style build logs in about a third of LZ4's space at a similar
/// capture speed (measured per level with `thymis-bench codec`, docs/performance.md).
enum ChunkCodec: Int {
    case raw = 0
    case lz4 = 1
    case zstd = 2

    /// Chosen by measurement: higher levels saved a few percent more but cost capture speed.
    static let zstdLevel: Int32 = 1

    static func encode(_ bytes: [UInt8], level: Int32 = zstdLevel) -> (codec: ChunkCodec, data: Data) {
        guard bytes.count >= 256 else { return (.raw, Data(bytes)) }
        let bound = ZSTD_compressBound(bytes.count)
        var output = Data(count: bound)
        let written = output.withUnsafeMutableBytes { destination in
            bytes.withUnsafeBytes { source in
                ZSTD_compress(destination.baseAddress, bound, source.baseAddress, bytes.count, level)
            }
        }
        // Not worth it for output that hardly compresses (already compressed data, random bytes).
        guard ZSTD_isError(written) == 0, written < bytes.count - bytes.count / 8 else { return (.raw, Data(bytes)) }
        output.count = written
        return (.zstd, output)
    }

    /// LZ4 as the previous release wrote it: kept for tests that build such a store and for comparisons.
    static func encodeLZ4(_ bytes: [UInt8]) -> (codec: ChunkCodec, data: Data) {
        guard bytes.count >= 256, bytes.count < Int(LZ4_MAX_INPUT_SIZE) else { return (.raw, Data(bytes)) }
        let bound = Int(LZ4_compressBound(Int32(bytes.count)))
        var output = Data(count: bound)
        let written = output.withUnsafeMutableBytes { destination in
            bytes.withUnsafeBytes { source in
                LZ4_compress_default(source.baseAddress!.assumingMemoryBound(to: CChar.self),
                                     destination.baseAddress!.assumingMemoryBound(to: CChar.self),
                                     Int32(bytes.count), Int32(bound))
            }
        }
        guard written > 0, Int(written) < bytes.count - bytes.count / 8 else { return (.raw, Data(bytes)) }
        output.count = Int(written)
        return (.lz4, output)
    }

    /// The original bytes; a chunk that cannot be decoded (a damaged row, an unknown codec from a newer
    /// release) comes back as a visible note, never a crash.
    static func decode(_ data: Data, codec: Int, rawSize: Int) -> [UInt8] {
        guard let codec = ChunkCodec(rawValue: codec) else {
            return Array("[thymis-tasks: stored chunk uses codec \(codec), unknown to this version; upgrade thymis-tasks to read it]\n".utf8)
        }
        if codec == .raw { return [UInt8](data) }
        guard rawSize > 0, rawSize <= 64 << 20 else { return Array("[thymis-tasks: stored chunk has an invalid size]\n".utf8) }
        var output = [UInt8](repeating: 0, count: rawSize)
        let read: Int = output.withUnsafeMutableBytes { destination in
            data.withUnsafeBytes { source in
                switch codec {
                case .zstd:
                    let result = ZSTD_decompress(destination.baseAddress, rawSize, source.baseAddress, data.count)
                    return ZSTD_isError(result) != 0 ? -1 : result
                default:
                    return Int(LZ4_decompress_safe(source.baseAddress?.assumingMemoryBound(to: CChar.self),
                                                   destination.baseAddress!.assumingMemoryBound(to: CChar.self),
                                                   Int32(data.count), Int32(rawSize)))
                }
            }
        }
        guard read == rawSize else { return Array("[thymis-tasks: stored chunk is damaged and cannot be read]\n".utf8) }
        return output
    }
}
