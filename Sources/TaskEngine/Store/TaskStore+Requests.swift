import Foundation
import GRDB

/// A request handed to the running engine by a process that does not hold the engine lock.
public struct EngineRequest: Sendable, Equatable {
    public enum Kind: String, Sendable { case submit, cancel, retry }
    public enum Status: String, Sendable { case new, done, failed }
    public var id: Int64
    public var kind: Kind
    /// `submit`: the submission JSON; `cancel`/`retry`: the task id.
    public var payload: String
    public var status: Status
    /// `done`: a task id or message; `failed`: the error line for the user.
    public var result: String?
}

/// The request table: the only channel between front ends and the engine (no network protocol of our own).
extension TaskStore {
    public func enqueueRequest(_ kind: EngineRequest.Kind, payload: String) throws -> Int64 {
        try write { db in
            try db.execute(sql: "INSERT INTO request (kind, payload, created_at) VALUES (?, ?, ?)",
                           arguments: [kind.rawValue, payload, Date().timeIntervalSince1970])
            return db.lastInsertedRowID
        }
    }

    public func newRequests() throws -> [EngineRequest] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM request WHERE status = 'new' ORDER BY id LIMIT 256").map(Self.request)
        }
    }

    public func request(_ id: Int64) throws -> EngineRequest? {
        try read { db in try Row.fetchOne(db, sql: "SELECT * FROM request WHERE id = ?", arguments: [id]).map(Self.request) }
    }

    public func finishRequest(_ id: Int64, status: EngineRequest.Status, result: String) throws {
        try write { db in
            try db.execute(sql: "UPDATE request SET status = ?, result = ?, finished_at = ? WHERE id = ?",
                           arguments: [status.rawValue, result, Date().timeIntervalSince1970, id])
        }
    }

    static func request(_ row: Row) -> EngineRequest {
        EngineRequest(id: row["id"], kind: EngineRequest.Kind(rawValue: row["kind"]) ?? .submit, payload: row["payload"],
                      status: EngineRequest.Status(rawValue: row["status"]) ?? .failed, result: row["result"])
    }
}
