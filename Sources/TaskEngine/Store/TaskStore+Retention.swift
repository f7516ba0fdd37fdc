import Foundation
import GRDB

/// What retention needs of the store: the output's size on disk, the tasks whose output may go, and
/// dropping it in small transactions so output writes never wait long for the write lock.
extension TaskStore {
    /// A finished task whose output is still stored: what pruning it would free.
    struct PruneCandidate: Sendable, Equatable {
        let id: UUID
        let endedAt: Date
        /// Bytes its chunks take in the file (compressed).
        let storedBytes: Int64
    }

    /// The bytes all output chunks take in the file (what the size limit is checked against).
    func storedOutputBytes() throws -> Int64 {
        try read { db in try Int64.fetchOne(db, sql: "SELECT COALESCE(SUM(stored_bytes), 0) FROM process") ?? 0 }
    }

    /// Finished tasks with stored output, oldest end first; only those that ended before `endedBefore` if given.
    func pruneCandidates(endedBefore: Date? = nil, after: (endedAt: Date, id: UUID)? = nil, limit: Int) throws -> [PruneCandidate] {
        var sql = """
            SELECT t.id, t.ended_at, SUM(p.stored_bytes) AS stored FROM task t JOIN process p ON p.task_id = t.id
            WHERE t.ended_at IS NOT NULL AND t.output_pruned_at IS NULL AND t.state IN ('completed', 'failed')
            """
        var arguments: [DatabaseValueConvertible] = []
        if let endedBefore { sql += " AND t.ended_at < ?"; arguments.append(endedBefore.timeIntervalSince1970) }
        if let after {
            sql += " AND (t.ended_at > ? OR (t.ended_at = ? AND t.id > ?))"
            arguments += [after.endedAt.timeIntervalSince1970, after.endedAt.timeIntervalSince1970, after.id.uuidString]
        }
        sql += " GROUP BY t.id HAVING stored > 0 ORDER BY t.ended_at, t.id LIMIT \(max(1, limit))"
        let finalSQL = sql
        return try read { db in
            try Row.fetchAll(db, sql: finalSQL, arguments: StatementArguments(arguments)).compactMap { row in
                guard let id = UUID(uuidString: row["id"]) else { return nil }
                return PruneCandidate(id: id, endedAt: Date(timeIntervalSince1970: row["ended_at"]), storedBytes: row["stored"])
            }
        }
    }

    /// Tasks marked pruned whose chunks are not all deleted yet (an engine stopped half-way): resumed first.
    func unfinishedPrunes() throws -> [UUID] {
        try read { db in
            try String.fetchAll(db, sql: """
                SELECT DISTINCT p.task_id FROM process p JOIN task t ON t.id = p.task_id
                WHERE p.stored_bytes > 0 AND t.output_pruned_at IS NOT NULL
                """).compactMap(UUID.init(uuidString:))
        }
    }

    /// Marks a finished task's output as pruned, with the bytes its processes printed, before any chunk
    /// goes: from this commit on readers say "output pruned" rather than show a shrinking log. Returns
    /// false when the task is not finished or was marked already.
    func markOutputPruned(_ id: UUID, at date: Date) throws -> Bool {
        try write { db in
            let raw = try Int64.fetchOne(db, sql: "SELECT COALESCE(SUM(raw_size), 0) FROM output WHERE task_id = ?",
                                         arguments: [id.uuidString]) ?? 0
            try db.execute(sql: """
                UPDATE task SET output_pruned_at = ?, output_pruned_bytes = ?
                WHERE id = ? AND output_pruned_at IS NULL AND ended_at IS NOT NULL AND state IN ('completed', 'failed')
                """, arguments: [date.timeIntervalSince1970, raw, id.uuidString])
            return db.changesCount > 0
        }
    }

    /// Deletes up to `maxRows` chunks (or about `maxBytes`) of a task marked pruned, in one transaction,
    /// and takes their size off the processes' `stored_bytes`. Returns the bytes freed and whether chunks remain.
    func deletePrunedChunks(_ id: UUID, maxRows: Int, maxBytes: Int64) throws -> (freed: Int64, done: Bool) {
        try write { db in
            let rows = try Row.fetchAll(db, sql: """
                SELECT output.id, process_idx, length(bytes) AS size FROM output JOIN task ON task.id = output.task_id
                WHERE output.task_id = ? AND task.output_pruned_at IS NOT NULL ORDER BY output.id LIMIT ?
                """, arguments: [id.uuidString, maxRows])
            var freed: Int64 = 0
            var perProcess: [Int: Int64] = [:]
            var ids: [Int64] = []
            for row in rows {
                let size: Int64 = row["size"]
                if !ids.isEmpty && freed + size > maxBytes { break }
                ids.append(row["id"])
                freed += size
                perProcess[row["process_idx"], default: 0] += size
            }
            if !ids.isEmpty {
                try db.execute(sql: "DELETE FROM output WHERE id IN (\(ids.map(String.init).joined(separator: ",")))")
            }
            let done = ids.count == rows.count && rows.count < maxRows
            if done {
                // Exact at the end, whatever a crash between two steps left in the running totals.
                try db.execute(sql: "UPDATE process SET stored_bytes = 0 WHERE task_id = ?", arguments: [id.uuidString])
            } else {
                for (index, bytes) in perProcess {
                    try db.execute(sql: "UPDATE process SET stored_bytes = MAX(0, stored_bytes - ?) WHERE task_id = ? AND idx = ?",
                                   arguments: [bytes, id.uuidString, index])
                }
            }
            return (freed, done)
        }
    }

    /// Free pages in the file (what pruning left for reuse or for `vacuumStep`), and the page size.
    func freePages() throws -> (count: Int64, pageSize: Int64) {
        try read { db in
            (try Int64.fetchOne(db, sql: "PRAGMA freelist_count") ?? 0, try Int64.fetchOne(db, sql: "PRAGMA page_size") ?? 4096)
        }
    }

    /// Gives up to `pages` free pages back to the file system (incremental auto-vacuum moves the last
    /// pages into free ones and cuts the file). A store without auto-vacuum (made before issue 12 and
    /// not yet upgraded) keeps its free pages for reuse; returns the pages freed.
    @discardableResult
    func vacuumStep(pages: Int) throws -> Int64 {
        let before = try freePages().count
        try write { db in
            guard try Int.fetchOne(db, sql: "PRAGMA auto_vacuum") == 2 else { return }
            try db.execute(sql: "PRAGMA incremental_vacuum(\(max(1, pages)))")
        }
        return max(0, before - (try freePages().count))
    }

    /// Bytes of the database file and its WAL on disk.
    public func fileBytes() -> Int64 {
        [path, path + "-wal"].reduce(0) { total, file in
            total + ((try? FileManager.default.attributesOfItem(atPath: file)[.size] as? Int64) ?? 0)
        }
    }

    /// Checkpoints the WAL and cuts it back, so the files shrink now rather than at the next automatic checkpoint.
    func checkpointAndTruncate() {
        _ = try? database.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA wal_checkpoint(TRUNCATE)") }
    }
}

extension TaskStore {
    /// The bytes a task's processes printed, as stored before compression (for `prune --dry-run`).
    func printedOutputBytes(_ id: UUID) throws -> Int64 {
        try read { db in
            try Int64.fetchOne(db, sql: "SELECT COALESCE(SUM(raw_size), 0) FROM output WHERE task_id = ?", arguments: [id.uuidString]) ?? 0
        }
    }
}
