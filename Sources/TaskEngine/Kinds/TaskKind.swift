/// A task type: how its submission is checked, what it is called, which pool it needs, and the plan it runs.
///
/// A kind is built from a submission only after every field was checked, so `run` never sees bad input.
public protocol TaskKind: Sendable {
    /// The submission `type`, e.g. `build_project_task`.
    static var type: String { get }
    /// The name of the type as Thymis shows it, e.g. "Build Project".
    static var typeName: String { get }
    /// Submission fields that hold secrets; stored as submitted, shown everywhere as `<redacted>`.
    static var secretFields: Set<String> { get }
    /// Checks every field; throws a `SubmissionError` naming the first bad one.
    init(fields: SubmissionFields) throws(SubmissionError)

    /// The name of this task in lists, e.g. "Deploy to kiosk-1".
    var displayName: String { get }
    /// The device, configuration or project it works on.
    var target: String? { get }
    /// The pool whose slot it needs; nil for parents, which take no slot.
    var pool: Pool? { get }
    /// Runs the plan. Throw `TaskFailure` with a reason a person understands; return normally on success.
    func run(_ run: TaskRun) async throws
}

extension TaskKind {
    public static var secretFields: Set<String> { [] }
    public var displayName: String { Self.typeName }
}

/// Why a task failed, in words; becomes the task's failure reason.
public struct TaskFailure: Error, Sendable, CustomStringConvertible {
    public var reason: String
    public init(_ reason: String) { self.reason = reason }
    public var description: String { reason }
}

/// Thrown inside a plan once the task was cancelled; the engine records the task as cancelled.
public struct TaskCancelled: Error, Sendable {}
