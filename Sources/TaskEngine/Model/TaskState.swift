/// The life cycle of a task, as in Thymis: it waits for a slot, runs, and ends completed or failed.
public enum TaskState: String, Sendable, Codable, CaseIterable {
    /// Waiting for resources: no free slot in its pool yet (or its engine is not running).
    case pending
    case running
    case completed
    /// Ended without success; `TaskRecord.failureReason` says why (a cancelled task is failed with reason "cancelled").
    case failed

    /// Whether the task can still change.
    public var isFinal: Bool { self == .completed || self == .failed }
}

/// What a person sees: `failed` splits into cancelled and failed.
public enum TaskDisplayState: String, Sendable, Codable, CaseIterable {
    case pending, running, completed, failed, cancelled
}
