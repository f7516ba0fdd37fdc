import Foundation
import GRDB

/// When each line of a stream arrived.
extension TaskStore {
    /// The arrival time of lines `range` (nil for lines stored before times were kept, or past the end).
    ///
    /// Chunks with newlines end right after one (StreamBuffer cuts there), so line L starts in the first
    /// chunk (by id) whose first_line is the largest one <= L: at its start when first_line == L, inside
    /// it otherwise, where the chunk's own times (`arrived_at`, `line_times`) say when. Only the chunks
    /// that hold the range are read, and only their times.
    public func lineTimes(task: UUID, processIndex: Int, stream: OutputStreamName, range: Range<Int64>) throws -> [Date?] {
        guard !range.isEmpty else { return [] }
        let rows = try chunkRows("first_line, newline_count, arrived_at, line_times", task: task, processIndex: processIndex,
                                 stream: stream, holding: range)
        // first_line never decreases along the ids; the first chunk of each first_line is where its lines start.
        var starts: [(line: Int64, arrivedAt: Date?, later: [LineTime])] = []
        var end: Int64 = 0
        for row in rows {
            let first: Int64 = row["first_line"]
            let newlines: Int64 = row["newline_count"]
            if starts.last?.line != first {
                let arrivedAt = (row["arrived_at"] as Double?).map(Date.init(timeIntervalSince1970:))
                starts.append((first, arrivedAt, LineTime.decode((row["line_times"] as Data?).map { [UInt8]($0) }, after: arrivedAt)))
            }
            // The last chunk may end in an unfinished line, which starts in it too.
            end = max(end, first + newlines + 1)
        }
        var result: [Date?] = []
        result.reserveCapacity(range.count)
        var index = 0
        for line in range {
            while index + 1 < starts.count && starts[index + 1].line <= line { index += 1 }
            guard index < starts.count, starts[index].line <= line, line < end else { result.append(nil); continue }
            let start = starts[index]
            result.append(LineTime.time(ofLine: line - start.line, arrivedAt: start.arrivedAt, later: start.later))
        }
        return result
    }
}
