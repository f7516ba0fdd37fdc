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

/// What `TaskEngine.runNow` did.
public enum RunNowResult: Sendable, Equatable {
    /// The task started at once, past its pool's limit.
    case started
    /// It was no longer pending (already running or ended): nothing changed.
    case notPending(TaskDisplayState)

    public static let startedMessage = "started now, past its pool's limit"

    public var message: String {
        switch self {
        case .started: return Self.startedMessage
        case .notPending(let state): return "already \(state.rawValue); only a pending task can be run now"
        }
    }
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
