import Foundation
import GRDB

/// Running totals of a process' output, written with each batch so readers see progress.
public struct OutputCounters: Sendable, Equatable {
    public var stdoutBytes: Int64 = 0
    public var stderrBytes: Int64 = 0
    public var stdoutLines: Int64 = 0
    public var stderrLines: Int64 = 0
    public init() {}
}

/// Appending output in batches and reading it back by chunk or by line range.
extension TaskStore {
    /// Appends one batch of chunks with the process' counters (and Nix summary) in a single transaction.
    @_spi(StoreWriting) public func appendOutput(task: UUID, processIndex: Int, chunks: [OutputChunk], counters: OutputCounters,
                             nixStateJSON: String?, progress: String?) throws {
        // Compress before the transaction: the write lock is held only for the inserts.
        let encoded = chunks.filter { !$0.bytes.isEmpty }.map { ($0, ChunkCodec.encode($0.bytes)) }
        try write { db in
            try faultInjection.check()
            let insert = try db.cachedStatement(sql: """
                INSERT INTO output (task_id, process_idx, stream, first_line, newline_count, codec, raw_size, bytes,
                                    arrived_at, line_times)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """)
            var storedBytes = 0
            for (chunk, stored) in encoded {
                try insert.execute(arguments: [task.uuidString, processIndex, chunk.stream.rawValue, chunk.firstLine,
                                               chunk.newlineCount, stored.codec.rawValue, chunk.bytes.count, stored.data,
                                               chunk.arrivedAt?.timeIntervalSince1970,
                                               LineTime.encode(chunk.laterLineTimes, after: chunk.arrivedAt).map { Data($0) }])
                storedBytes += stored.data.count
            }
            // stored_bytes: what retention weighs against its size limit (TaskStore+Retention).
            try db.execute(sql: """
                UPDATE process SET stdout_bytes = ?, stderr_bytes = ?, stdout_lines = ?, stderr_lines = ?,
                    nix_state = COALESCE(?, nix_state), stored_bytes = stored_bytes + ? WHERE task_id = ? AND idx = ?
                """, arguments: [counters.stdoutBytes, counters.stderrBytes, counters.stdoutLines, counters.stderrLines,
                                 nixStateJSON, storedBytes, task.uuidString, processIndex])
            if let progress {
                try db.execute(sql: "UPDATE task SET progress = ? WHERE id = ?", arguments: [progress, task.uuidString])
            }
        }
    }

    /// The streams a task has output in, per process, in the order they first appeared.
    public func outputStreams(task: UUID) throws -> [(processIndex: Int, stream: OutputStreamName)] {
        try read { db in
            try Row.fetchAll(db, sql: """
                SELECT process_idx, stream, MIN(id) AS first FROM output WHERE task_id = ?
                GROUP BY process_idx, stream ORDER BY first
                """, arguments: [task.uuidString]).map { (processIndex: $0["process_idx"], stream: OutputStreamName($0["stream"])) }
        }
    }

    /// Chunks of one stream after chunk `afterID`, in order, at most `limit`; for copying a whole log or following it.
    public func outputChunks(task: UUID, processIndex: Int, stream: OutputStreamName, afterID: Int64 = 0,
                             limit: Int = 64) throws -> [StoredChunk] {
        try read { db in
            try Row.fetchAll(db, sql: """
                SELECT id, codec, raw_size, bytes, arrived_at, line_times FROM output
                WHERE task_id = ? AND process_idx = ? AND stream = ? AND id > ?
                ORDER BY id LIMIT ?
                """, arguments: [task.uuidString, processIndex, stream.rawValue, afterID, limit])
                .map { row in
                    let arrivedAt = (row["arrived_at"] as Double?).map(Date.init(timeIntervalSince1970:))
                    return StoredChunk(id: row["id"], bytes: Self.chunkBytes(row), arrivedAt: arrivedAt,
                                       laterLineTimes: LineTime.decode((row["line_times"] as Data?).map { [UInt8]($0) }, after: arrivedAt))
                }
        }
    }

    static func chunkBytes(_ row: Row) -> [UInt8] {
        ChunkCodec.decode(row["bytes"], codec: row["codec"], rawSize: row["raw_size"])
    }

    /// The chunk rows (`columns` of them) that hold lines `range`, in order. Chunks containing newlines always
    /// end right after one (StreamBuffer cuts there), and pieces of a long line carry that line's number;
    /// so line `lower` starts in the first chunk whose first_line is the largest one <= lower. Both bounds
    /// then use the index: the cost does not grow with the position in the log.
    func chunkRows(_ columns: String, task: UUID, processIndex: Int, stream: OutputStreamName, holding range: Range<Int64>) throws -> [Row] {
        try read { db in
            try Row.fetchAll(db, sql: """
                SELECT \(columns) FROM output
                WHERE task_id = ?1 AND process_idx = ?2 AND stream = ?3 AND first_line < ?4
                  AND first_line >= (SELECT COALESCE(MAX(first_line), 0) FROM output
                                     WHERE task_id = ?1 AND process_idx = ?2 AND stream = ?3 AND first_line <= ?5)
                ORDER BY id
                """, arguments: [task.uuidString, processIndex, stream.rawValue, range.upperBound, range.lowerBound])
        }
    }

    /// Lines `range` of a stream (0-based, without their newlines); reads only the chunks that hold them.
    public func lines(task: UUID, processIndex: Int, stream: OutputStreamName, range: Range<Int64>) throws -> [[UInt8]] {
        guard !range.isEmpty else { return [] }
        let rows = try chunkRows("first_line, codec, raw_size, bytes", task: task, processIndex: processIndex, stream: stream, holding: range)
        guard let first = rows.first else { return [] }
        var line: Int64 = first["first_line"]
        var result: [[UInt8]] = []
        var current: [UInt8] = []
        for row in rows {
            let data = Self.chunkBytes(row)
            data.withUnsafeBufferPointer { bytes in
                var start = 0
                while start < bytes.count {
                    if let newline = bytes[start...].firstIndex(of: 10) {
                        if line >= range.lowerBound && line < range.upperBound {
                            current.append(contentsOf: bytes[start..<newline])
                            result.append(current)
                        }
                        current.removeAll(keepingCapacity: true)
                        line += 1
                        start = newline + 1
                    } else {
                        if line >= range.lowerBound && line < range.upperBound {
                            current.append(contentsOf: bytes[start...])
                        }
                        start = bytes.count
                    }
                }
            }
            if line >= range.upperBound { break }
        }
        if !current.isEmpty && line >= range.lowerBound && line < range.upperBound { result.append(current) }
        return result
    }
}

/// One stored chunk as read back: its row id (to read on after it), its bytes, and when its lines arrived
/// (nil for chunks stored before times were kept).
public struct StoredChunk: Sendable {
    public var id: Int64
    public var bytes: [UInt8]
    public var arrivedAt: Date?
    /// Lines of the chunk that arrived later, as in `OutputChunk.laterLineTimes`.
    public var laterLineTimes: [LineTime] = []
}
