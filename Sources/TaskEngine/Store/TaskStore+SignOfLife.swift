import Foundation
import GRDB

extension TaskStore {
    /// The last moment the store saw `task` alive: when its last stored output arrived (each line
    /// keeps its own time), or when a process of it started or ended; nil when there is none. A
    /// task a dead engine left running ended no earlier than this (issue 23: the heartbeat alone,
    /// every 10 s, put ends up to 9 s before the kill and before the task's own last line).
    func lastSignOfLife(task: UUID) throws -> Date? {
        try read { db in
            var latest: Double?
            func note(_ value: Double?) { if let value { latest = max(latest ?? value, value) } }
            // The newest chunks of any process and stream: output is appended in arrival order.
            let chunks = try Row.fetchAll(db, sql: "SELECT arrived_at, line_times FROM output WHERE task_id = ? ORDER BY id DESC LIMIT 8",
                                          arguments: [task.uuidString])
            for row in chunks {
                let arrived = row["arrived_at"] as Double?
                note(arrived)
                let later = LineTime.decode((row["line_times"] as Data?).map { [UInt8]($0) },
                                            after: arrived.map(Date.init(timeIntervalSince1970:)))
                note(later.last?.at.timeIntervalSince1970)
            }
            if let times = try Row.fetchOne(db, sql: "SELECT MAX(started_at) AS started, MAX(ended_at) AS ended FROM process WHERE task_id = ?",
                                            arguments: [task.uuidString]) {
                note(times["started"] as Double?)
                note(times["ended"] as Double?)
            }
            return latest.map(Date.init(timeIntervalSince1970:))
        }
    }
}
