import Foundation
import TaskEngine

/// One output stream of one process, read from the store a window at a time.
struct StoredStreamDocument: LogDocument {
    let store: TaskStore
    let task: UUID
    let processIndex: Int
    let stream: OutputStreamName
    let lineCount: Int
    let emptyReason: String

    /// `knownLines` is the count of complete lines the process row (or Nix summary) reports;
    /// the store is asked how many more there are (a last line without newline, or lines
    /// stored after that count was taken), reading only the chunks at the end.
    init(store: TaskStore, task: UUID, processIndex: Int, stream: OutputStreamName, knownLines: Int, emptyReason: String) {
        self.store = store
        self.task = task
        self.processIndex = processIndex
        self.stream = stream
        self.emptyReason = emptyReason
        func exists(_ line: Int64) -> Bool {
            !((try? store.lines(task: task, processIndex: processIndex, stream: stream, range: line..<(line + 1))) ?? []).isEmpty
        }
        // Usually the count is exact and one probe finds the unterminated last line, if any;
        // when it lags (a Nix summary is written every 250 ms), search for the end.
        var low = Int64(max(0, knownLines))
        if exists(low) {
            var step: Int64 = 1
            var high = low + step
            while exists(high) { low = high; step *= 2; high = low + step }
            while high - low > 1 {
                let middle = (low + high) / 2
                if exists(middle) { low = middle } else { high = middle }
            }
            lineCount = Int(high)
        } else {
            lineCount = Int(low)
        }
    }

    func lines(_ range: Range<Int>) -> [LogLine] {
        let clamped = range.clamped(to: 0..<lineCount)
        guard !clamped.isEmpty else { return [] }
        let read = (try? store.lines(task: task, processIndex: processIndex, stream: stream,
                                     range: Int64(clamped.lowerBound)..<Int64(clamped.upperBound))) ?? []
        return read.map { LogLine.bytes($0) }
    }

    func lineTimes(_ range: Range<Int>) -> [Date?]? {
        let clamped = range.clamped(to: 0..<lineCount)
        guard !clamped.isEmpty else { return [] }
        return (try? store.lineTimes(task: task, processIndex: processIndex, stream: stream,
                                     range: Int64(clamped.lowerBound)..<Int64(clamped.upperBound)))
            ?? Array(repeating: nil, count: clamped.count)
    }

    func forEachPiece(_ body: ([UInt8]) throws -> Void) rethrows {
        var after: Int64 = 0
        while true {
            let chunks = (try? store.outputChunks(task: task, processIndex: processIndex, stream: stream, afterID: after, limit: 64)) ?? []
            guard let last = chunks.last else { return }
            for chunk in chunks { try body(chunk.bytes) }
            after = last.id
        }
    }
}
