import Foundation
import TaskEngine

/// Waits for a task to end by reading the store, which works whichever process runs the engine.
struct TaskWaiter {
    let store: TaskStore

    func waitUntilEnded(_ id: UUID) async throws -> TaskRecord {
        while true {
            guard let record = try store.task(id) else { throw CLIError(StoreError.notFound(id.uuidString)) }
            if record.state.isFinal { return record }
            try await Task.sleep(for: .milliseconds(100))
        }
    }
}
