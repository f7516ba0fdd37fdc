import Foundation

/// One task as the store keeps it: what was submitted, where it is in its life cycle, and how it relates to others.
public struct TaskRecord: Sendable, Equatable, Identifiable {
    public var id: UUID
    /// The submission's `type`, e.g. `build_project_task`.
    public var type: String
    /// The submission JSON exactly as validated (canonical, sorted keys). May hold secrets: show `redactedSubmission`.
    public var submission: String
    /// The submission with every secret field replaced by `<redacted>`; what people and logs may see.
    public var redactedSubmission: String
    /// The name Thymis shows, e.g. "Build Project" or "Deploy to kiosk-1".
    public var displayName: String
    /// The device, configuration or project the task works on, when there is one.
    public var target: String?
    public var state: TaskState
    public var failureReason: String?
    /// The reason's first line, for one-line places (lists, a parent's summary of its children);
    /// the lines after it quote the failed builder's last log lines.
    public var failureHeadline: String? { failureReason.map { String($0.prefix { $0 != "\n" }) } }
    /// Set when the task was cancelled (its state is then `failed`, reason "cancelled...").
    public var cancelled: Bool
    public var submittedAt: Date
    public var startedAt: Date?
    public var endedAt: Date?
    public var parentID: UUID?
    public var retryOf: UUID?
    /// The pool whose slot the task needs, or nil for parents (they take no slot).
    public var pool: String?
    /// A one-line progress summary for lists (e.g. "builds 3/7"), updated while the task runs.
    public var progress: String?
    /// Set once retention pruned the task's output (issue 12): when, and how many bytes the processes had
    /// printed. The task, its processes, reason and Nix summary stay; only the output chunks are gone.
    public var outputPruned: OutputPruned?
    /// What the plan recorded (`TaskRun.record(result:)`), as JSON of the kind's own result type.
    public var result: String?
    /// Who started it at once past its pool's limit (`run-now`, the dashboard), e.g. "root via
    /// thymis-tasks run-now"; nil for a task started in its turn.
    public var runNowBy: String?

    /// The recorded result as `type`, nil when there is none or it is of another shape.
    public func result<R: Decodable>(as type: R.Type) -> R? {
        guard let result else { return nil }
        // Snake case like the rest of `--json`; results stored before (camel case) still read.
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return try? decoder.decode(R.self, from: Data(result.utf8))
    }

    public init(
        id: UUID, type: String, submission: String, redactedSubmission: String, displayName: String,
        target: String?, state: TaskState, failureReason: String? = nil, cancelled: Bool = false,
        submittedAt: Date, startedAt: Date? = nil, endedAt: Date? = nil, parentID: UUID? = nil,
        retryOf: UUID? = nil, pool: String?, progress: String? = nil, outputPruned: OutputPruned? = nil,
        result: String? = nil, runNowBy: String? = nil
    ) {
        self.result = result
        self.runNowBy = runNowBy
        self.id = id
        self.type = type
        self.submission = submission
        self.redactedSubmission = redactedSubmission
        self.displayName = displayName
        self.target = target
        self.state = state
        self.failureReason = failureReason
        self.cancelled = cancelled
        self.submittedAt = submittedAt
        self.startedAt = startedAt
        self.endedAt = endedAt
        self.parentID = parentID
        self.retryOf = retryOf
        self.pool = pool
        self.progress = progress
        self.outputPruned = outputPruned
    }

    public var displayState: TaskDisplayState {
        switch state {
        case .pending: return .pending
        case .running: return .running
        case .completed: return .completed
        case .failed: return cancelled ? .cancelled : .failed
        }
    }

    /// Time spent running so far (or in all, once ended); nil before it starts.
    public func duration(now: Date = Date()) -> TimeInterval? {
        guard let startedAt else { return nil }
        return (endedAt ?? now).timeIntervalSince(startedAt)
    }
}

/// When retention dropped a task's output, and how much output (as printed, before compression) that was.
public struct OutputPruned: Sendable, Equatable {
    public var at: Date
    public var bytes: Int64

    public init(at: Date, bytes: Int64) {
        self.at = at
        self.bytes = bytes
    }

    /// "output pruned on 2026-12-03 14:05 (12.4 MB)": the words `logs`, `show` and the dashboard use.
    public var notice: String {
        let formatter = DateFormatter()
        formatter.dateFormat = "yyyy-MM-dd HH:mm"
        return "output pruned on \(formatter.string(from: at)) (\(ByteCountText.format(bytes)))"
    }
}
