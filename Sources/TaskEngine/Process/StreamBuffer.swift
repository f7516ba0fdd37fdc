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

    /// Appends one line and its newline.
    mutating func appendLine<C: Collection>(_ line: C) where C.Element == UInt8 {
        pending.append(contentsOf: line)
        pending.append(10)
        pendingNewlines += 1
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
        // A plain loop over bytes: the optimiser vectorises it (memchr per line is slow on short lines).
        var count = 0
        for byte in bytes where byte == 10 { count += 1 }
        return count
    }
}
