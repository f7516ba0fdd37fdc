// Helpers shared by the NixLog tests: feed byte fixtures through a decoder in chosen chunk sizes.
import NixLog

/// Feeds `bytes` in chunks of the given sizes (cycled), then finishes; returns what was emitted and the state.
func decode(_ bytes: [UInt8], chunkSizes: [Int] = [64 * 1024], maxLineBytes: Int = 64 * 1024) -> (outputs: [NixLogOutput], state: NixProcessState) {
    var decoder = NixLogDecoder(maxLineBytes: maxLineBytes)
    var outputs: [NixLogOutput] = []
    bytes.withUnsafeBytes { all in
        var offset = 0
        var k = 0
        while offset < all.count {
            let size = max(1, chunkSizes[k % chunkSizes.count])
            k += 1
            let end = min(offset + size, all.count)
            decoder.feed(UnsafeRawBufferPointer(rebasing: all[offset..<end])) { outputs.append($0) }
            offset = end
        }
    }
    decoder.finish { outputs.append($0) }
    return (outputs, decoder.state)
}

func decode(_ text: String, chunkSizes: [Int] = [64 * 1024]) -> (outputs: [NixLogOutput], state: NixProcessState) {
    decode(Array(text.utf8), chunkSizes: chunkSizes)
}

extension [NixLogOutput] {
    /// Plain lines as text (lossy), for readable assertions.
    var plainTexts: [String] {
        compactMap { if case .plainLine(let bytes) = $0 { String(decoding: bytes, as: UTF8.self) } else { nil } }
    }

    /// Build log lines as (derivation, text).
    var logLines: [(derivation: String?, text: String)] {
        compactMap { if case .buildLogLine(let d, let t) = $0 { (d, t) } else { nil } }
    }
}
