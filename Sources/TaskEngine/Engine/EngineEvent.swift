import Foundation

/// What changed in the engine; front ends follow these instead of polling.
public enum EngineEvent: Sendable, Equatable {
    /// A task was submitted, started, ended or changed its progress.
    case taskChanged(UUID)
    /// New output of a task is in the store.
    case outputAppended(UUID)
    /// The engine has shut down.
    case stopped
}

/// The result of a cancel request.
public enum CancelResult: Sendable, Equatable {
    /// The task ended as cancelled (with its children).
    case cancelled
    /// The task had already ended in this state; nothing changed.
    case alreadyEnded(TaskDisplayState)

    public var message: String {
        switch self {
        case .cancelled: return "cancelled"
        case .alreadyEnded(let state): return "already \(state.rawValue); nothing to cancel"
        }
    }
}
