import Foundation

/// A `run_now` request as it crosses the request table: which task, and who asked (recorded with
/// the start, as the task's `run_now_by`).
public struct RunNowRequest: Sendable, Equatable {
    public let id: String
    public let by: String

    public init(id: String, by: String) {
        self.id = id
        self.by = by
    }

    /// The request table's payload: `{"by": ..., "id": ...}`.
    public var payload: String { JSONValue.object(["id": .string(id), "by": .string(by)]).canonicalText() }

    init(payload: String) throws {
        guard case .object(let fields)? = try? JSONValue.parse(Data(payload.utf8)),
              case .string(let id)? = fields["id"], case .string(let by)? = fields["by"] else {
            throw EngineError.failed("a run_now request must be {\"id\": ..., \"by\": ...}; got \(payload.prefix(200))")
        }
        self.init(id: id, by: by)
    }

    /// "root via the dashboard": the user this process runs as, and the front end that asked.
    public static func requester(via frontEnd: String) -> String {
        let user = getpwuid(geteuid()).flatMap { $0.pointee.pw_name.map { String(cString: $0) } } ?? "uid \(geteuid())"
        return "\(user) via \(frontEnd)"
    }
}
