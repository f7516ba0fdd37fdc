import Foundation
import TaskEngine

/// Waits for a task to end by reading the store, which works whichever process runs the engine.
struct TaskWaiter {
    let store: TaskStore
    let options: GlobalOptions

    /// Polls until the task has ended. If no engine holds the lock for a while and the task still has not
    /// ended (its engine died, or could not record the end), this process recovers the store itself: the
    /// task is then recorded as interrupted, or the reason the store cannot record it (a full disk) is the error.
    /// `poll` runs on every look at the store while the task has not ended (`submit ssh-command --wait`
    /// prints the output stored since the last look).
    func waitUntilEnded(_ id: UUID, poll: () throws -> Void = {}) async throws -> TaskRecord {
        var unownedSince: ContinuousClock.Instant?
        var recovered = false
        while true {
            guard let record = try store.task(id) else { throw CLIError(StoreError.notFound(id.uuidString)) }
            if record.state.isFinal { return record }
            try poll()
            if EngineLock.holder(in: options.directory) == nil && record.state == .running {
                let now = ContinuousClock.now
                if let since = unownedSince, now - since > .seconds(2) {
                    if !recovered {
                        recovered = true
                        unownedSince = nil
                        // Recovery only (no task runs here); throws the store's own error when it cannot write.
                        _ = try await EngineSession(options: options, store: store).withoutEngine { _ in "" }
                        continue
                    }
                    throw CLIError("task \(id.uuidString.lowercased()) is still recorded as running but no engine runs: its engine stopped before recording the end; the next engine marks it interrupted", code: ExitCodes.engine)
                }
                if unownedSince == nil { unownedSince = now }
            } else {
                unownedSince = nil
            }
            try await Task.sleep(for: .milliseconds(100))
        }
    }
}
