import Foundation
import Logging
import NixLog
import Synchronization

/// What a running task's plan may do: run processes in order, spawn and await child tasks, report progress.
///
/// Every step checks for cancellation first, so a cancelled plan stops at its next step.
public final class TaskRun: Sendable {
    public let taskID: UUID
    /// The environment every process of this task starts from (PATH, HOME, NIX_CONFIG, ...).
    public let baseEnvironment: [String: String]
    let engine: TaskEngine
    let store: TaskStore
    let signaller: ProcessGroupSignaller
    let tracker: DescendantTracker
    let grace: Duration
    private let nextProcessIndex = Mutex(0)
    private let storeProblems = Mutex<[String]>([])

    /// What the store could not take while the task's processes ran (see `ProcessOutcome.storeProblem`);
    /// the engine reports it next to the task's own result.
    var storeProblem: String? { storeProblems.withLock { $0.isEmpty ? nil : $0.joined(separator: "; ") } }

    init(taskID: UUID, baseEnvironment: [String: String], engine: TaskEngine, store: TaskStore,
         signaller: ProcessGroupSignaller, tracker: DescendantTracker, grace: Duration) {
        self.taskID = taskID
        self.baseEnvironment = baseEnvironment
        self.engine = engine
        self.store = store
        self.signaller = signaller
        self.tracker = tracker
        self.grace = grace
    }

    /// Where this task may put files it needs only while it runs: the state directory's `scratch`.
    var scratchDirectory: String { URL(fileURLWithPath: store.path).deletingLastPathComponent().path + "/scratch" }

    /// Whether the task was cancelled; plans check this between steps they run themselves.
    public var isCancelled: Bool { signaller.isStopping }

    /// Runs one process to its end and returns how it ended (a non-zero exit is not an error here).
    public func run(_ spec: ProcessSpec) async throws -> ProcessOutcome {
        if isCancelled { throw TaskCancelled() }
        let index = nextProcessIndex.withLock { value -> Int in
            defer { value += 1 }
            return value
        }
        let engine = self.engine, taskID = self.taskID
        let runner = ProcessRunner(store: store, taskID: taskID, index: index, signaller: signaller, tracker: tracker, grace: grace,
                                   logger: engine.logger, onOutput: { Task { await engine.outputAppended(taskID) } })
        await engine.processStarted(taskID)
        let outcome = try await runner.run(spec)
        noteStoreProblem(outcome)
        if isCancelled { throw TaskCancelled() }
        return outcome
    }

    /// Runs a step that must happen even once the task was cancelled, such as putting a repository
    /// back as it was: it gets a process group signaller of its own, so the cancel does not stop it.
    /// Only for short steps (a shutdown waits a few seconds for plans to end).
    public func runEvenIfCancelled(_ spec: ProcessSpec) async throws -> ProcessOutcome {
        let index = nextProcessIndex.withLock { value -> Int in
            defer { value += 1 }
            return value
        }
        let engine = self.engine, taskID = self.taskID
        let runner = ProcessRunner(store: store, taskID: taskID, index: index, signaller: ProcessGroupSignaller(), tracker: tracker,
                                   grace: grace, logger: engine.logger, onOutput: { Task { await engine.outputAppended(taskID) } })
        await engine.processStarted(taskID)
        let outcome = try await runner.run(spec)
        noteStoreProblem(outcome)
        return outcome
    }

    private func noteStoreProblem(_ outcome: ProcessOutcome) {
        guard let problem = outcome.storeProblem else { return }
        storeProblems.withLock { $0.append(problem) }
    }

    /// Runs a process and fails the task, naming the step and Nix's first error, unless it succeeded.
    @discardableResult
    public func runRequiringSuccess(_ spec: ProcessSpec) async throws -> ProcessOutcome {
        let outcome = try await run(spec)
        guard outcome.succeeded else { throw Self.failure(of: spec, outcome) }
        return outcome
    }

    /// "<step> failed: <program> exited 1: <Nix's first error, or the last stderr line>"; when a
    /// builder failed, its last log lines follow on lines of their own, as `nix build` prints them
    /// (the compiler's error is rarely the builder's last line: `make: *** ... Error 2` is).
    static func failure(of spec: ProcessSpec, _ outcome: ProcessOutcome) -> TaskFailure {
        var reason = "\(spec.stepName) failed: \(spec.program.split(separator: "/").last.map(String.init) ?? spec.program) \(outcome.endDescription)"
        if let error = outcome.nixState.flatMap(NixStateSnapshot.firstError) {
            reason += ": \(error)"
            if let tail = outcome.nixState.flatMap(NixStateSnapshot.builderLogTail) {
                reason += ";\n" + tail.joined(separator: "\n")
            }
        } else if let line = outcome.lastStderrLine {
            reason += ": \(line)"
        }
        return TaskFailure(reason)
    }

    /// Stores the children (all or none), lets the engine schedule them, and waits until every one has ended.
    /// Returns their final records in the order given.
    public func runChildren(_ submissions: [ValidatedSubmission]) async throws -> [TaskRecord] {
        if isCancelled { throw TaskCancelled() }
        let records = try await engine.spawnChildren(of: taskID, submissions)
        await engine.waitForChildren(of: taskID)
        return try records.map { try store.task($0.id) ?? $0 }
    }

    /// Stores children that will not run (a rollout halted), ended and cancelled with `reason`.
    @discardableResult
    public func skipChildren(_ submissions: [ValidatedSubmission], reason: String) async throws -> [TaskRecord] {
        try await engine.recordSkippedChildren(of: taskID, submissions, reason: reason)
    }

    /// Runs the children and fails the task unless every child completed, naming those that did not.
    @discardableResult
    public func runChildrenRequiringSuccess(_ submissions: [ValidatedSubmission]) async throws -> [TaskRecord] {
        let children = try await runChildren(submissions)
        try Self.requireSuccess(of: children)
        return children
    }

    /// Fails the task unless every child completed, naming up to ten that did not.
    static func requireSuccess(of children: [TaskRecord]) throws {
        let failed = children.filter { $0.state != .completed }
        guard failed.isEmpty else {
            let names = failed.prefix(10).map { child in
                "\(child.target ?? child.displayName) (\(child.cancelled ? "cancelled" : child.failureHeadline ?? child.state.rawValue))"
            }
            let more = failed.count > 10 ? " and \(failed.count - 10) more" : ""
            throw TaskFailure("\(failed.count) of \(children.count) failed: \(names.joined(separator: "; "))\(more)")
        }
    }

    /// Records what the plan found out, typed by its kind (e.g. a device's previous and new system),
    /// stored with the task as JSON; a later call replaces it. `show`, `--json` and a parent's
    /// `runChildren` read it back.
    public func record<R: Encodable>(result: R) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        try store.setResult(taskID, String(decoding: try encoder.encode(result), as: UTF8.self))
        let engine = self.engine, taskID = self.taskID
        Task { await engine.outputAppended(taskID) }
    }

    /// A short line for task lists (e.g. "evaluating", "copying closure").
    public func setProgress(_ text: String?) {
        try? store.setProgress(taskID, text)
        let engine = self.engine, taskID = self.taskID
        Task { await engine.outputAppended(taskID) }
    }
}
