import CLZ4
import Foundation

/// How output chunks are stored: LZ4 blocks when that saves space, raw bytes otherwise.
///
/// Build and service logs compress 5-20x; writing that much less is what lets capture keep up with
/// a fast child (SQLite's writes and checkpoints, not reading the pipe, were the limit).
enum ChunkCodec: Int {
    case raw = 0
    case lz4 = 1

    static func encode(_ bytes: [UInt8]) -> (codec: ChunkCodec, data: Data) {
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
        // Not worth it for output that hardly compresses (already compressed data, random bytes).
        guard written > 0, Int(written) < bytes.count - bytes.count / 8 else { return (.raw, Data(bytes)) }
        output.count = Int(written)
        return (.lz4, output)
    }

    /// The original bytes; a chunk that cannot be decoded (a damaged row) comes back as a visible note, never a crash.
    static func decode(_ data: Data, codec: Int, rawSize: Int) -> [UInt8] {
        guard codec == ChunkCodec.lz4.rawValue else { return [UInt8](data) }
        guard rawSize > 0, rawSize <= 64 << 20 else { return Array("[thymis-tasks: stored chunk has an invalid size]\n".utf8) }
        var output = [UInt8](repeating: 0, count: rawSize)
        let read = output.withUnsafeMutableBytes { destination in
            data.withUnsafeBytes { source in
                LZ4_decompress_safe(source.baseAddress?.assumingMemoryBound(to: CChar.self),
                                    destination.baseAddress!.assumingMemoryBound(to: CChar.self),
                                    Int32(data.count), Int32(rawSize))
            }
        }
        guard read == rawSize else { return Array("[thymis-tasks: stored chunk is damaged and cannot be read]\n".utf8) }
        return output
    }
}
