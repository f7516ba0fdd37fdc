import Foundation
import GRDB

/// A request handed to the running engine by a process that does not hold the engine lock.
public struct EngineRequest: Sendable, Equatable {
    public enum Kind: String, Sendable { case submit, cancel, retry, runNow = "run_now" }
    public enum Status: String, Sendable { case new, done, failed }
    public var id: Int64
    public var kind: Kind
    /// `submit`: the submission JSON; `cancel`/`retry`: the task id; `run_now`: `RunNowRequest` as JSON.
    public var payload: String
    public var status: Status
    /// `done`: a task id or message; `failed`: the error line for the user.
    public var result: String?
    /// `failed`: which `EngineError` it was.
    public var errorCode: String?

    /// The engine's refusal, typed again (only for `failed`).
    public var error: EngineError? {
        status == .failed ? EngineError(code: errorCode, message: result ?? "the engine refused the request") : nil
    }
}

/// The request table: the only channel between front ends and the engine (no network protocol of our own).
/// Rows live until their client has read the answer (it deletes the row), or for `answeredRequestLifetime`
/// when the client went away, so the table stays small.
extension TaskStore {
    /// How long an answer nobody read is kept before the engine deletes it.
    public static let answeredRequestLifetime: TimeInterval = 600

    func enqueueRequest(_ kind: EngineRequest.Kind, payload: String) throws -> Int64 {
        try write { db in
            try db.execute(sql: "INSERT INTO request (kind, payload, created_at) VALUES (?, ?, ?)",
                           arguments: [kind.rawValue, payload, Date().timeIntervalSince1970])
            return db.lastInsertedRowID
        }
    }

    func newRequests() throws -> [EngineRequest] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM request WHERE status = 'new' ORDER BY id LIMIT 256").map(Self.request)
        }
    }

    /// Whether any request waits for an engine (an engine about to exit on idle must not strand it).
    func hasNewRequests() throws -> Bool {
        try read { db in try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM request WHERE status = 'new')") ?? false }
    }

    public func request(_ id: Int64) throws -> EngineRequest? {
        try read { db in try Row.fetchOne(db, sql: "SELECT * FROM request WHERE id = ?", arguments: [id]).map(Self.request) }
    }

    func finishRequest(_ id: Int64, result: Result<String, EngineError>) throws {
        let (status, text, code): (EngineRequest.Status, String, String?) = switch result {
        case .success(let text): (.done, text, nil)
        case .failure(let error): (.failed, error.description, error.code.rawValue)
        }
        try write { db in
            try db.execute(sql: "UPDATE request SET status = ?, result = ?, error_code = ?, finished_at = ? WHERE id = ?",
                           arguments: [status.rawValue, text, code, Date().timeIntervalSince1970, id])
        }
    }

    /// The client read its answer: the row is no longer needed.
    func deleteRequest(_ id: Int64) throws {
        try write { db in try db.execute(sql: "DELETE FROM request WHERE id = ?", arguments: [id]) }
    }

    /// Deletes answers older than `age` that no client read (it died or gave up); returns how many.
    @discardableResult
    func deleteAnsweredRequests(olderThan age: TimeInterval = TaskStore.answeredRequestLifetime) throws -> Int {
        try write { db in
            try db.execute(sql: "DELETE FROM request WHERE status != 'new' AND finished_at < ?",
                           arguments: [Date().timeIntervalSince1970 - age])
            return db.changesCount
        }
    }

    /// Every request row, for tests and diagnostics.
    func requestCount() throws -> Int {
        try read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM request") ?? 0 }
    }

    static func request(_ row: Row) -> EngineRequest {
        EngineRequest(id: row["id"], kind: EngineRequest.Kind(rawValue: row["kind"]) ?? .submit, payload: row["payload"],
                      status: EngineRequest.Status(rawValue: row["status"]) ?? .failed, result: row["result"],
                      errorCode: row["error_code"])
    }
}
