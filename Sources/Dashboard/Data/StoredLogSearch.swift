import Foundation
import Glibc
import Synchronization
import TaskEngine

/// Searches one stored stream for a text by walking its chunks in the store: each chunk is
/// decoded (through the store, whatever its codec), lower-cased and searched as bytes, and the
/// walk stops at the first match. It never builds lines, so it costs about as much as reading
/// the log once, and it runs on its own thread so the dashboard keeps drawing meanwhile.
///
/// Matching is ASCII case-insensitive on the stored bytes: a match cut by a colour code (SGR)
/// is not found, a match across two chunks of one long line is.
struct StoredLogSearch: Sendable {
    let store: TaskStore
    let task: UUID
    let processIndex: Int
    let stream: OutputStreamName
    let lineCount: Int

    /// What the walk did: the line found (nil: none, or cancelled) and whether it was cancelled.
    struct Result: Equatable, Sendable {
        var line: Int?
        var cancelled = false
    }

    /// The lines one walk covers: from line `from`, taking matches in lower...upper.
    struct Pass {
        var from: Int64
        var lower: Int64
        var upper: Int64
        func accepts(_ line: Int64) -> Bool { line >= lower && line <= upper }
    }

    /// Looks for `text` from line `from` in `direction` (+1 down, -1 up), wrapping around at
    /// either end. `progress` gets the share of chunks read (0...1) now and then;
    /// `isCancelled` is asked between chunks.
    func run(_ text: String, from: Int, direction: Int, isCancelled: () -> Bool = { false },
             progress: (Double) -> Void = { _ in }) -> Result {
        let needle = Self.lowered(Array(text.utf8))
        guard !needle.isEmpty, lineCount > 0 else { return Result() }
        let start = Int64(((from % lineCount) + lineCount) % lineCount)
        let ascending = direction > 0
        let total = max(1, (try? store.outputChunkCount(task: task, processIndex: processIndex, stream: stream)) ?? 1)
        var read = 0
        // Down: lines start..<end, then 0..<start. Up: lines start...0, then end>..>start.
        let end = Int64(lineCount - 1)
        let passes: [Pass] = ascending
            ? [Pass(from: start, lower: start, upper: .max), Pass(from: 0, lower: 0, upper: start - 1)]
            : [Pass(from: start, lower: 0, upper: start), Pass(from: end, lower: start + 1, upper: .max)]
        for pass in passes {
            guard let first = try? store.outputChunkID(task: task, processIndex: processIndex, stream: stream,
                                                        line: pass.from, ascending: ascending) else { continue }
            var nextID = first
            var neighbour: [UInt8] = []  // the chunk read just before, for matches across the boundary
            walk: while true {
                guard let chunks = try? store.outputChunks(task: task, processIndex: processIndex, stream: stream,
                                                           fromID: nextID, ascending: ascending, limit: 32),
                      let last = chunks.last else { break }
                for chunk in chunks {
                    if isCancelled() { return Result(cancelled: true) }
                    read += 1
                    if read % 16 == 0 { progress(min(1, Double(read) / Double(total))) }
                    if let line = Self.find(needle, in: chunk, neighbour: neighbour, ascending: ascending, accept: pass.accepts) {
                        return Result(line: Int(line))
                    }
                    // Past the lines this pass covers: stop reading.
                    let lastLine = chunk.firstLine + chunk.newlineCount
                    if ascending ? !pass.accepts(chunk.firstLine) && chunk.firstLine >= start : !pass.accepts(lastLine) && lastLine <= start {
                        break walk
                    }
                    neighbour = chunk.bytes
                }
                nextID = ascending ? last.id + 1 : last.id - 1
                if chunks.count < 32 { break }
            }
        }
        return Result()
    }

    /// The line of the match in `chunk` nearest the walk's start that `accept` takes, if any.
    /// Going down, the match may begin in the end of the chunk before; going up, it may end in
    /// the start of the chunk read before (the next one in the stream).
    static func find(_ needle: [UInt8], in chunk: StoredOutputChunk, neighbour: [UInt8], ascending: Bool,
                     accept: (Int64) -> Bool) -> Int64? {
        let overlap = needle.count - 1
        var buffer: [UInt8]
        let offset: Int  // where the chunk's first byte is in `buffer`
        if ascending {
            let tail = neighbour.suffix(overlap)
            buffer = Array(tail) + chunk.bytes
            offset = tail.count
        } else {
            buffer = chunk.bytes + neighbour.prefix(overlap)
            offset = 0
        }
        lowerInPlace(&buffer)
        var best: Int64?
        buffer.withUnsafeBufferPointer { haystack in
            needle.withUnsafeBufferPointer { pattern in
                guard haystack.baseAddress != nil else { return }
                var position = 0
                var lineAtPosition = chunk.firstLine
                var counted = offset  // newlines counted in buffer[offset..<counted]
                while position + pattern.count <= haystack.count {
                    guard let index = Self.index(of: pattern, in: haystack, from: position) else { return }
                    // A match starting before the chunk (in the overlap) is on the chunk's first line;
                    // one starting after it (going up) was found with the next chunk already.
                    if index >= offset + chunk.bytes.count { return }
                    if index > counted {
                        for byte in haystack[counted..<index] where byte == 10 { lineAtPosition += 1 }
                        counted = index
                    }
                    if accept(lineAtPosition) {
                        best = lineAtPosition
                        if ascending { return }
                    }
                    position = index + 1
                }
            }
        }
        return best
    }

    /// Where `pattern` next occurs in `haystack` at or after `from`: memchr for its first byte, then a compare.
    static func index(of pattern: UnsafeBufferPointer<UInt8>, in haystack: UnsafeBufferPointer<UInt8>, from: Int) -> Int? {
        guard let base = haystack.baseAddress, let patternBase = pattern.baseAddress else { return nil }
        var position = from
        let first = Int32(pattern[0])
        while position + pattern.count <= haystack.count {
            guard let found = memchr(base + position, first, haystack.count - position - pattern.count + 1) else { return nil }
            let index = base.distance(to: found.assumingMemoryBound(to: UInt8.self))
            if memcmp(base + index, patternBase, pattern.count) == 0 { return index }
            position = index + 1
        }
        return nil
    }

    static func lowered(_ bytes: [UInt8]) -> [UInt8] {
        var copy = bytes
        lowerInPlace(&copy)
        return copy
    }

    static func lowerInPlace(_ bytes: inout [UInt8]) {
        bytes.withUnsafeMutableBufferPointer { buffer in
            for index in buffer.indices where buffer[index] &- 65 < 26 { buffer[index] |= 0x20 }
        }
    }
}

/// A search running on its own thread; `cancel()` stops it before its next chunk.
final class SearchJob: Sendable {
    private let cancelled = Atomic<Bool>(false)

    var isCancelled: Bool { cancelled.load(ordering: .relaxed) }

    func cancel() { cancelled.store(true, ordering: .relaxed) }
}
