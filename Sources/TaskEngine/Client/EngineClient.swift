import Foundation

/// How a front end that does not hold the engine lock asks the engine to do something: a row in the
/// request table, carried out by whichever process holds the lock, and its answer read back (the row
/// is deleted once read).
public struct EngineClient: Sendable {
    public let directory: StateDirectory
    public let store: TaskStore

    public init(directory: StateDirectory, store: TaskStore) {
        self.directory = directory
        self.store = store
    }

    public enum Answer: Sendable, Equatable {
        /// The engine carried the request out; the text is a task id or a message.
        case done(String)
        /// The engine refused it, and why.
        case failed(EngineError)
        /// No engine holds the lock (any more) and the request is still waiting: the caller may start one.
        case noEngine
    }

    /// Leaves a request for the engine and returns its id (front ends cannot write the store otherwise).
    public func enqueue(_ kind: EngineRequest.Kind, payload: String) throws -> Int64 {
        try store.enqueueRequest(kind, payload: payload)
    }

    /// Takes back a request nobody will carry out (its client gives up).
    public func withdraw(_ id: Int64) {
        try? store.deleteRequest(id)
    }

    /// Leaves a request and waits for the engine's answer (at most `timeout`).
    public func send(_ kind: EngineRequest.Kind, payload: String, timeout: Duration = .seconds(60)) async throws -> (Int64, Answer) {
        let id = try store.enqueueRequest(kind, payload: payload)
        return (id, try await wait(for: id, timeout: timeout))
    }

    /// Waits for the answer to request `id`; `.noEngine` when nobody holds the lock to carry it out.
    /// An answer read is deleted from the table. Throws `EngineError.didNotAnswer` after `timeout`.
    public func wait(for id: Int64, timeout: Duration = .seconds(60)) async throws -> Answer {
        let deadline = ContinuousClock.now + timeout
        var unownedSince: ContinuousClock.Instant?
        while ContinuousClock.now < deadline {
            if let request = try store.request(id), request.status != .new {
                // Read: nobody needs the row any more. A failed delete only leaves it for the engine's pruning.
                try? store.deleteRequest(id)
                if let error = request.error { return .failed(error) }
                return .done(request.result ?? "")
            }
            if EngineLock.holder(in: directory) == nil {
                // Give a just-started engine a moment to take the lock before declaring nobody is there.
                let now = ContinuousClock.now
                if let since = unownedSince, now - since > .milliseconds(300) { return .noEngine }
                if unownedSince == nil { unownedSince = now }
            } else {
                unownedSince = nil
            }
            try await Task.sleep(for: .milliseconds(40))
        }
        throw EngineError.didNotAnswer("the engine (pid \(EngineLock.holder(in: directory).map(String.init) ?? "?")) did not answer within \(timeout); it may be overloaded or stuck: see \(directory.logPath)")
    }
}
