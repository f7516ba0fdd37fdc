import Foundation
import GRDB

/// One stored output chunk with its place in the stream: what a search walks through.
public struct StoredOutputChunk: Sendable {
    public let id: Int64
    /// The line (0-based) the chunk's first byte belongs to.
    public let firstLine: Int64
    /// Newlines in the chunk (so its last line is `firstLine + newlineCount`, or one less when it ends in one).
    public let newlineCount: Int64
    /// The decoded bytes (through `ChunkCodec`, whatever codec the chunk was stored with).
    public let bytes: [UInt8]
}

extension TaskStore {
    /// The chunk a search for line `line` starts in: going down, the first chunk holding the
    /// line's first byte; going up, the last chunk holding any of it. Nil when the stream is empty.
    public func outputChunkID(task: UUID, processIndex: Int, stream: OutputStreamName, line: Int64, ascending: Bool) throws -> Int64? {
        try read { db in
            let sql = ascending
                ? """
                  SELECT MIN(id) FROM output WHERE task_id = ?1 AND process_idx = ?2 AND stream = ?3
                    AND first_line = (SELECT COALESCE(MAX(first_line), 0) FROM output
                                      WHERE task_id = ?1 AND process_idx = ?2 AND stream = ?3 AND first_line <= ?4)
                  """
                : """
                  SELECT MAX(id) FROM output WHERE task_id = ?1 AND process_idx = ?2 AND stream = ?3 AND first_line <= ?4
                  """
            return try Int64.fetchOne(db, sql: sql, arguments: [task.uuidString, processIndex, stream.rawValue, line])
        }
    }

    /// Up to `limit` chunks of one stream from chunk `fromID` (included) on, in id order or,
    /// with `ascending: false`, in reverse; decoded one by one, so a search reads only as far
    /// as it must.
    public func outputChunks(task: UUID, processIndex: Int, stream: OutputStreamName, fromID: Int64,
                             ascending: Bool, limit: Int) throws -> [StoredOutputChunk] {
        try read { db in
            try Row.fetchAll(db, sql: """
                SELECT id, first_line, newline_count, codec, raw_size, bytes FROM output
                WHERE task_id = ? AND process_idx = ? AND stream = ? AND id \(ascending ? ">=" : "<=") ?
                ORDER BY first_line \(ascending ? "ASC" : "DESC"), id \(ascending ? "ASC" : "DESC") LIMIT ?
                """, arguments: [task.uuidString, processIndex, stream.rawValue, fromID, limit])
                .map { StoredOutputChunk(id: $0["id"], firstLine: $0["first_line"], newlineCount: $0["newline_count"],
                                         bytes: Self.chunkBytes($0)) }
        }
    }

    /// The number of chunks of one stream, for a search's progress.
    public func outputChunkCount(task: UUID, processIndex: Int, stream: OutputStreamName) throws -> Int {
        try read { db in
            try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM output WHERE task_id = ? AND process_idx = ? AND stream = ?",
                             arguments: [task.uuidString, processIndex, stream.rawValue]) ?? 0
        }
    }
}
