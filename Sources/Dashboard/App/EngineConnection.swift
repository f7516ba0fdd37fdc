import Foundation
import TaskEngine

/// How the dashboard reaches the engine: in this process (it holds the lock), or through the
/// request table of the process that does. Actions run in the background and report to the
/// mailbox; nothing here blocks the render thread.
enum EngineConnection: Sendable {
    case inProcess(TaskEngine)
    case client(EngineClient)
    case none

    func cancel(_ id: UUID, mailbox: Mailbox) {
        run(mailbox) {
            switch self {
            case .inProcess(let engine): return try await engine.cancel(id).message
            case .client(let client): return try await Self.answer(client.send(.cancel, payload: id.uuidString).1)
            case .none: throw ConfigurationError("no engine runs; start one with `thymis-tasks serve`")
            }
        }
    }

    /// Starts a pending task past its pool's limit, recorded as asked for by this user "via the dashboard".
    func runNow(_ id: UUID, mailbox: Mailbox) {
        run(mailbox) {
            let who = RunNowRequest.requester(via: "the dashboard")
            switch self {
            case .inProcess(let engine): return try await engine.runNow(id, by: who).message
            case .client(let client):
                return try await Self.answer(client.send(.runNow, payload: RunNowRequest(id: id.uuidString, by: who).payload).1)
            case .none: throw ConfigurationError("no engine runs; start one with `thymis-tasks serve`")
            }
        }
    }

    func retry(_ id: UUID, mailbox: Mailbox) {
        run(mailbox) {
            let newID: String
            switch self {
            case .inProcess(let engine): newID = try await engine.retry(id).id.uuidString
            case .client(let client): newID = try await Self.answer(client.send(.retry, payload: id.uuidString).1)
            case .none: throw ConfigurationError("no engine runs; start one with `thymis-tasks serve`")
            }
            if let uuid = UUID(uuidString: newID) { mailbox.post(.submitted(uuid)) }
            return "retrying as \(TaskFormat.shortID(newID))"
        }
    }

    func submit(_ json: String, mailbox: Mailbox) {
        run(mailbox) {
            let newID: String
            switch self {
            case .inProcess(let engine): newID = try await engine.submit(Data(json.utf8)).id.uuidString
            case .client(let client): newID = try await Self.answer(client.send(.submit, payload: json).1)
            case .none: throw ConfigurationError("no engine runs; start one with `thymis-tasks serve`")
            }
            if let uuid = UUID(uuidString: newID) { mailbox.post(.submitted(uuid)) }
            return "submitted \(TaskFormat.shortID(newID))"
        }
    }

    private static func answer(_ answer: EngineClient.Answer) throws -> String {
        switch answer {
        case .done(let text): return text
        case .failed(let error): throw error
        case .noEngine: throw ConfigurationError("the engine went away before carrying the request out; it runs when an engine starts")
        }
    }

    private func run(_ mailbox: Mailbox, _ body: @escaping @Sendable () async throws -> String) {
        Task {
            do {
                mailbox.post(.status(try await body(), isError: false))
            } catch {
                mailbox.post(.status("\(error)", isError: true))
            }
        }
    }
}
