import Foundation

/// Bytes of one output stream waiting to be stored, cut into chunks at line ends.
struct StreamBuffer {
    let name: OutputStreamName
    private(set) var pending: [UInt8] = []
    private var pendingNewlines: Int64 = 0
    /// Newlines already stored: the line number the next chunk starts at.
    private(set) var storedNewlines: Int64 = 0
    private(set) var totalBytes: Int64 = 0
    /// Whether the last byte seen was not a newline (an unfinished line counts as a line).
    private var endsMidLine = false

    /// A line longer than this is stored in pieces rather than held in memory until it ends.
    static let maxHeldBytes = 1 << 20

    init(name: OutputStreamName) { self.name = name }

    var byteCount: Int { pending.count }
    var lineCount: Int64 { storedNewlines + pendingNewlines + (endsMidLine ? 1 : 0) }

    mutating func append(_ bytes: UnsafeRawBufferPointer) {
        guard !bytes.isEmpty else { return }
        pending.append(contentsOf: bytes)
        pendingNewlines += Int64(Self.countNewlines(bytes))
        totalBytes += Int64(bytes.count)
        endsMidLine = bytes[bytes.count - 1] != 10
    }

    /// Appends one line and its newline. A newline inside `line` counts too: a build log line's
    /// JSON text may hold `\n`, and chunk line numbers must match the bytes stored.
    mutating func appendLine<C: Collection>(_ line: C) where C.Element == UInt8 {
        pending.append(contentsOf: line)
        pending.append(10)
        var newlines: Int64 = 1
        for byte in line where byte == 10 { newlines += 1 }
        pendingNewlines += newlines
        totalBytes += Int64(line.count) + 1
        endsMidLine = false
    }

    /// The next chunk to store: everything up to the last newline, or everything when `final`
    /// or when an unfinished line grew past `maxHeldBytes`.
    mutating func takeChunk(final: Bool) -> OutputChunk? {
        guard !pending.isEmpty else { return nil }
        var cut = pending.count
        if !final && endsMidLine && pendingNewlines > 0 {
            cut = (pending.lastIndex(of: 10) ?? -1) + 1
        } else if !final && pendingNewlines == 0 && pending.count < Self.maxHeldBytes {
            return nil
        }
        // Every newline lies before the last one, so a cut there takes all of them.
        let chunk = OutputChunk(stream: name, firstLine: storedNewlines, newlineCount: pendingNewlines,
                                bytes: Array(pending[0..<cut]))
        storedNewlines += pendingNewlines
        pendingNewlines = 0
        pending.removeFirst(cut)
        return chunk
    }

    static func countNewlines(_ bytes: UnsafeRawBufferPointer) -> Int {
        // Eight bytes at a time: a byte of `word ^ 0x0a..` is zero exactly where the input has a
        // newline; the expression below sets the high bit of exactly those bytes (no carries
        // between bytes), so a popcount counts them. Measured: the byte loop was ~7% of capture.
        var count = 0
        var offset = 0
        let words = bytes.count / 8
        let low7: UInt64 = 0x7f7f_7f7f_7f7f_7f7f
        for index in 0..<words {
            let word = bytes.loadUnaligned(fromByteOffset: index * 8, as: UInt64.self) ^ 0x0a0a_0a0a_0a0a_0a0a
            let nonZero = ((word & low7) &+ low7) | word
            count += (~nonZero & 0x8080_8080_8080_8080).nonzeroBitCount
        }
        offset = words * 8
        while offset < bytes.count {
            if bytes[offset] == 10 { count += 1 }
            offset += 1
        }
        return count
    }
}
