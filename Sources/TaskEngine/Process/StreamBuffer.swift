import Foundation

/// Bytes of one output stream waiting to be stored, cut into chunks at line ends.
///
/// Every line keeps the time it arrived. A quiet stream is batched for seconds
/// (`OutputRecorder.quietInterval`), so the waiting bytes are kept as time segments: a line that starts
/// `timeResolution` or more after the current segment began starts a new one. A chunk carries its first
/// segment's time (`arrivedAt`) and the later segments' first lines and times (`laterLineTimes`), so a
/// batch stays one row however many segments it has: one row per line would double the pages a
/// trickle writes (measured: 14 KB/s instead of 8 at 10 lines/s).
struct StreamBuffer {
    let name: OutputStreamName
    private(set) var pending: [UInt8] = []
    private var pendingNewlines: Int64 = 0
    /// Newlines already stored: the line number the next chunk starts at.
    private(set) var storedNewlines: Int64 = 0
    private(set) var totalBytes: Int64 = 0
    /// Whether the last byte seen was not a newline (an unfinished line counts as a line).
    private var endsMidLine = false
    /// Where each time segment of `pending` starts (always at a line start, the first at 0), the
    /// newlines of `pending` before it, and when its first byte arrived.
    private var segments: [(start: Int, newlinesBefore: Int64, time: Date)] = []

    /// Lines closer together than this share their first line's time.
    static let timeResolution: TimeInterval = 0.05

    /// A line longer than this is stored in pieces rather than held in memory until it ends.
    static let maxHeldBytes = 1 << 20

    init(name: OutputStreamName) { self.name = name }

    var byteCount: Int { pending.count }
    var lineCount: Int64 { storedNewlines + pendingNewlines + (endsMidLine ? 1 : 0) }

    mutating func append(_ bytes: UnsafeRawBufferPointer, at time: Date = Date()) {
        guard !bytes.isEmpty else { return }
        if segments.isEmpty {
            // Nothing waits (the rest of a long line cut into pieces, too): these bytes start a chunk.
            segments = [(0, 0, time)]
        } else if endsMidLine {
            // The unfinished line keeps its time; a line starting inside these bytes may start a segment.
            if let newline = bytes.firstIndex(of: 10), newline + 1 < bytes.count {
                markLineStart(offset: pending.count + newline + 1, newlinesBefore: pendingNewlines + 1, time: time)
            }
        } else {
            markLineStart(offset: pending.count, newlinesBefore: pendingNewlines, time: time)
        }
        pending.append(contentsOf: bytes)
        pendingNewlines += Int64(Self.countNewlines(bytes))
        totalBytes += Int64(bytes.count)
        endsMidLine = bytes[bytes.count - 1] != 10
    }

    /// Appends one line and its newline. A newline inside `line` counts too: a build log line's
    /// JSON text may hold `\n`, and chunk line numbers must match the bytes stored.
    mutating func appendLine<C: Collection>(_ line: C, at time: Date = Date()) where C.Element == UInt8 {
        if !endsMidLine || segments.isEmpty { markLineStart(offset: pending.count, newlinesBefore: pendingNewlines, time: time) }
        pending.append(contentsOf: line)
        pending.append(10)
        var newlines: Int64 = 1
        for byte in line where byte == 10 { newlines += 1 }
        pendingNewlines += newlines
        totalBytes += Int64(line.count) + 1
        endsMidLine = false
    }

    /// A line starts at `offset` of `pending`: the first bytes start the first segment; a line that
    /// arrives `timeResolution` after the current segment began starts another.
    private mutating func markLineStart(offset: Int, newlinesBefore: Int64, time: Date) {
        if segments.isEmpty {
            segments = [(0, 0, time)]
        } else if time.timeIntervalSince(segments[segments.count - 1].time) >= Self.timeResolution {
            segments.append((offset, newlinesBefore, time))
        }
    }

    /// The next chunk to store: everything up to the last newline, or everything when `final` or
    /// when an unfinished line grew past `maxHeldBytes`; with the times of the lines in it.
    mutating func takeChunk(final: Bool) -> OutputChunk? {
        guard !pending.isEmpty else { return nil }
        var cut = pending.count
        if !final && endsMidLine && pendingNewlines > 0 {
            cut = (pending.lastIndex(of: 10) ?? -1) + 1
        } else if !final && pendingNewlines == 0 && pending.count < Self.maxHeldBytes {
            return nil
        }
        // Every newline lies before the cut, so the chunk takes all of them; segments start at line
        // starts, so at most one (the unfinished line's, at the cut) remains.
        let taken = segments.filter { $0.start < cut }
        var chunk = OutputChunk(stream: name, firstLine: storedNewlines, newlineCount: pendingNewlines,
                                bytes: Array(pending[0..<cut]), arrivedAt: taken.first?.time)
        chunk.laterLineTimes = taken.dropFirst().map { LineTime(line: $0.newlinesBefore, at: $0.time) }
        var remaining = segments.filter { $0.start >= cut }.map { (start: $0.start - cut, newlinesBefore: Int64(0), time: $0.time) }
        storedNewlines += pendingNewlines
        pendingNewlines = 0
        pending.removeFirst(cut)
        // The unfinished line after the cut belongs to the last segment taken, whose time it keeps.
        if remaining.isEmpty, !pending.isEmpty, let last = taken.last { remaining = [(0, 0, last.time)] }
        segments = remaining
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
