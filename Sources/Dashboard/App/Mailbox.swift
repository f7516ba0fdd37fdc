import Foundation
import Synchronization
import TaskEngine

/// What other threads tell the render thread: engine events, results of actions run in the
/// background, signals. The render thread drains it between frames.
final class Mailbox: Sendable {
    enum Message: Sendable {
        case taskChanged(UUID)
        case outputAppended(UUID)
        case status(String, isError: Bool)
        /// A task was submitted or retried: select it.
        case submitted(UUID)
        case signal(Int32)
        /// The process that held the engine exited and this dashboard took the engine over.
        case tookOverEngine(TaskEngine)
        /// An action for the model from a background job (a search's progress and result).
        case action(DashboardAction)
    }

    private let messages = Mutex<[Message]>([])

    func post(_ message: Message) {
        messages.withLock { $0.append(message) }
    }

    func drain() -> [Message] {
        messages.withLock { queue in
            let drained = queue
            queue.removeAll(keepingCapacity: true)
            return drained
        }
    }
}
