import Foundation
import Logging

/// The task engine: queues submissions, gives them pool slots, runs their plans, cancels, retries,
/// groups children under parents, and records everything in the store.
///
/// One engine per state directory (see `EngineLock`); other processes reach it through the store's
/// request table (`RequestWatcher`).
public actor TaskEngine {
    public nonisolated let store: TaskStore
    public nonisolated let registry: TaskKindRegistry
    public nonisolated let configuration: EngineConfiguration
    let logger: Logger
    let tracker: DescendantTracker

    struct RunningTask {
        let kind: any TaskKind
        let signaller: ProcessGroupSignaller
        let run: TaskRun
        var cancelReason: String?
    }

    /// Pending tasks in submission order; each pool is FIFO.
    private var queue: [(id: UUID, kind: any TaskKind)] = []
    private var running: [UUID: RunningTask] = [:]
    private var usage: [Pool: Int] = [:]
    /// Parents waiting for their children: parent id -> children not ended yet, and who waits.
    private var childWaits: [UUID: (remaining: Set<UUID>, waiter: CheckedContinuation<Void, Never>?)] = [:]
    private var endWaiters: [UUID: [CheckedContinuation<Void, Never>]] = [:]
    private var idleWaiters: [CheckedContinuation<Void, Never>] = []
    private var subscribers: [UUID: AsyncStream<EngineEvent>.Continuation] = [:]
    private var requestWatcher: Task<Void, Never>?
    private var heartbeatLoop: Task<Void, Never>?
    private var retentionLoop: RetentionLoop?
    private var requestsInFlight: Set<Int64> = []
    private(set) var isShuttingDown = false
    /// The last write of a final state that failed (a full disk, a damaged file): front ends report it.
    public private(set) var lastStoreError: Error?
    private var runsTasks = true
    /// When a task was last submitted, started or ended: the host's idle exit counts from here.
    public private(set) var lastActivity = ContinuousClock.now

    public static let interruptedReason = "interrupted: the engine stopped while it ran"

    /// The reason of a task a dead engine left running, with the time it was last known alive.
    static func interruptedReason(at date: Date?) -> String {
        guard let date else { return interruptedReason }
        let formatter = DateFormatter()
        formatter.dateFormat = "HH:mm"
        return "interrupted at about \(formatter.string(from: date)): the engine stopped while it ran"
    }

    public init(store: TaskStore, registry: TaskKindRegistry = .standard,
                configuration: EngineConfiguration = EngineConfiguration(),
                logger: Logger = Logger(label: "thymis-tasks.engine")) {
        self.store = store
        self.registry = registry
        self.configuration = configuration
        self.logger = logger
        self.tracker = .shared
    }

    /// A line in the engine's log, for whoever hosts it (`serve` says when it serves and why it stops).
    public nonisolated func log(_ message: String, metadata: Logger.Metadata = [:]) {
        logger.info("\(message)", metadata: metadata)
    }

    // MARK: - Life cycle

    /// Recovers what a dead engine left behind, queues pending tasks, and (unless told not to)
    /// starts carrying out requests from other processes. Call once, holding the engine lock.
    ///
    /// With `runsTasks: false` the engine only recovers and records (a CLI `cancel`/`retry` when no
    /// engine runs): nothing starts, pending tasks wait for the next engine that runs tasks.
    public func start(runsTasks: Bool = true, watchRequests: Bool = true) async throws {
        self.runsTasks = runsTasks
        let heartbeat = EngineHeartbeat(databasePath: store.path)
        try await recover(lastBeat: heartbeat.lastBeat())
        // What a killed engine's tasks kept there is theirs alone, and they are gone.
        try? FileManager.default.removeItem(atPath: URL(fileURLWithPath: store.path).deletingLastPathComponent().path + "/scratch")
        heartbeat.beat()
        heartbeatLoop = Task { [weak self] in
            while let self, await !self.isShuttingDown {
                try? await Task.sleep(for: EngineHeartbeat.interval)
                heartbeat.beat()
            }
        }
        if runsTasks {
            // Only an engine that runs tasks prunes (a CLI cancel's short-lived engine does not).
            let retention = RetentionLoop(store: store, policy: configuration.retention,
                                          interval: configuration.retentionInterval, logger: logger)
            retention.start()
            retentionLoop = retention
        }
        schedule()
        if watchRequests {
            let interval = configuration.requestPollInterval
            requestWatcher = Task { [weak self] in
                var pruned = ContinuousClock.now - .seconds(3600)
                while let self, await !self.isShuttingDown {
                    await self.serveRequests()
                    // Answers whose client went away before reading them (clients delete what they read).
                    if ContinuousClock.now - pruned > .seconds(60) {
                        pruned = ContinuousClock.now
                        _ = try? self.store.deleteAnsweredRequests()
                    }
                    try? await Task.sleep(for: interval)
                }
            }
        }
    }

    /// Cancels every running task (recording "cancelled: the engine shut down"), leaves pending ones
    /// queued for the next engine, and returns once each final state is stored or `deadline` passed.
    public func shutdown(deadline: Duration = .seconds(5)) async {
        guard !isShuttingDown else { return }
        isShuttingDown = true
        requestWatcher?.cancel()
        heartbeatLoop?.cancel()
        retentionLoop?.stop()
        logger.info("shutting down", metadata: ["running": "\(running.count)"])
        for id in Array(running.keys) { requestCancel(id, reason: "cancelled: the engine shut down") }
        let limit = ContinuousClock.now + deadline
        while !running.isEmpty && ContinuousClock.now < limit {
            try? await Task.sleep(for: .milliseconds(20))
        }
        // A plan that did not return in time still gets its final state.
        for (id, task) in running {
            _ = try? store.markEnded(id, state: .failed, reason: task.cancelReason ?? "cancelled: the engine shut down",
                                 cancelled: true, at: Date())
        }
        running.removeAll()
        // The free pages a background prune kept for new output go back: this engine writes no more.
        if runsTasks { OutputPruner(store: store).returnFreePages(within: .seconds(2)) }
        publish(.stopped)
        for continuation in subscribers.values { continuation.finish() }
        subscribers.removeAll()
        resumeIdleWaiters(force: true)
    }

    /// Waits until no task is pending or running in this engine.
    public func waitUntilIdle() async {
        if isIdle { return }
        await withCheckedContinuation { idleWaiters.append($0) }
    }

    public var isIdle: Bool { (queue.isEmpty || !runsTasks) && running.isEmpty }

    /// A stream of changes for one front end; it ends when the engine stops.
    public func events() -> AsyncStream<EngineEvent> {
        let id = UUID()
        let (stream, continuation) = AsyncStream<EngineEvent>.makeStream(bufferingPolicy: .bufferingNewest(1024))
        subscribers[id] = continuation
        continuation.onTermination = { [weak self] _ in Task { await self?.unsubscribe(id) } }
        return stream
    }

    private func unsubscribe(_ id: UUID) { subscribers[id] = nil }

    private func publish(_ event: EngineEvent) {
        for continuation in subscribers.values { continuation.yield(event) }
    }

    // MARK: - Submit, cancel, retry

    /// Checks raw submission JSON completely, stores it as `pending` and schedules it.
    @discardableResult
    public func submit(_ data: Data) throws -> TaskRecord {
        try submit(registry.validate(data))
    }

    @discardableResult
    public func submit(_ submission: ValidatedSubmission, retryOf: UUID? = nil) throws -> TaskRecord {
        guard !isShuttingDown else { throw EngineError.shuttingDown }
        let record = Self.newRecord(submission, parent: nil, retryOf: retryOf)
        try store.insert([record])
        lastActivity = .now
        logger.info("submitted", metadata: ["task": "\(record.id)", "type": "\(record.type)"])
        queue.append((record.id, submission.kind))
        publish(.taskChanged(record.id))
        schedule()
        return record
    }

    /// Cancels a task and waits until it has ended: a pending one at once, a running one after its
    /// process group is stopped (SIGTERM, grace, SIGKILL). A parent's children are cancelled with it.
    @discardableResult
    public func cancel(_ id: UUID) async throws -> CancelResult {
        guard let record = try store.task(id) else { throw StoreError.notFound(id.uuidString) }
        if record.state.isFinal { return .alreadyEnded(record.displayState) }
        requestCancel(id, reason: "cancelled")
        await waitUntilEnded(id)
        // It may have completed before the cancel could stop anything: then say so, as for a task
        // that had ended before the cancel came.
        if let ended = try store.task(id), !ended.cancelled, ended.state == .completed { return .alreadyEnded(ended.displayState) }
        return .cancelled
    }

    /// Starts a pending task at once, past its pool's limit (Thymis' "run immediately"): it takes a slot
    /// over the limit, so the tasks behind it in the pool wait until the pool is under its limit again.
    /// `by` says who asked (user and front end), recorded with the start.
    public func runNow(_ id: UUID, by who: String) throws -> RunNowResult {
        guard let record = try store.task(id) else { throw StoreError.notFound(id.uuidString) }
        guard record.state == .pending else { return .notPending(record.displayState) }
        guard runsTasks, !isShuttingDown else {
            throw EngineError.shuttingDown
        }
        guard let index = queue.firstIndex(where: { $0.id == id }) else {
            // A child its parent has not queued yet, or a task another engine left: it starts in its turn.
            throw EngineError.failed("task \(id.uuidString.lowercased()) is pending but not queued in this engine (a child waits for its parent to queue it); try again in a moment")
        }
        let (_, kind) = queue.remove(at: index)
        if let pool = kind.pool { usage[pool, default: 0] += 1 }
        logger.info("run now, past the pool's limit", metadata: ["task": "\(id.uuidString.lowercased())", "by": "\(who)"])
        launch(id, kind: kind, runNowBy: who)
        return .started
    }

    /// Makes a new task with the same submission, linked to the original by `retry_of`.
    public func retry(_ id: UUID) throws -> TaskRecord {
        guard let original = try store.task(id) else { throw StoreError.notFound(id.uuidString) }
        guard original.state.isFinal else {
            throw EngineError.stillRunning("task \(id.uuidString.lowercased()) is still \(original.state.rawValue); wait for it to end or cancel it first")
        }
        let submission = try registry.validate(Data(original.submission.utf8))
        return try submit(submission, retryOf: id)
    }

    static func newRecord(_ submission: ValidatedSubmission, parent: UUID?, retryOf: UUID?) -> TaskRecord {
        TaskRecord(id: UUID(), type: submission.type, submission: submission.text,
                   redactedSubmission: submission.redactedText, displayName: submission.kind.displayName,
                   target: submission.kind.target, state: .pending, submittedAt: Date(), parentID: parent,
                   retryOf: retryOf, pool: submission.kind.pool?.name)
    }

    /// Marks a task to be cancelled and starts stopping it; does not wait.
    private func requestCancel(_ id: UUID, reason: String) {
        if let index = queue.firstIndex(where: { $0.id == id }) {
            queue.remove(at: index)
            end(id, state: .failed, reason: reason, cancelled: true)
            return
        }
        if var task = running[id] {
            if task.cancelReason == nil {
                task.cancelReason = reason
                running[id] = task
                logger.info("cancelling", metadata: ["task": "\(id.uuidString.lowercased())"])
                let signaller = task.signaller, grace = configuration.gracePeriod
                Task { await signaller.stop(grace: grace) }
            }
            for child in childWaits[id]?.remaining ?? [] { requestCancel(child, reason: reason) }
            return
        }
        // Known to the store but not to this engine (e.g. left by another): end it directly.
        if let record = try? store.task(id), !record.state.isFinal {
            end(id, state: .failed, reason: reason, cancelled: true)
        }
    }

    private func waitUntilEnded(_ id: UUID) async {
        if let record = try? store.task(id), record.state.isFinal { return }
        await withCheckedContinuation { endWaiters[id, default: []].append($0) }
    }

    // MARK: - Scheduling

    /// Starts every queued task whose pool has a free slot, oldest first; parents need no slot.
    private func schedule() {
        guard runsTasks, !isShuttingDown else { return }
        var blockedPools: Set<Pool> = []
        var index = 0
        while index < queue.count {
            let (id, kind) = queue[index]
            if let pool = kind.pool {
                if blockedPools.contains(pool) { index += 1; continue }
                if usage[pool, default: 0] >= configuration.limit(of: pool) {
                    // FIFO within a pool: nothing behind this task in the same pool may pass it.
                    blockedPools.insert(pool)
                    index += 1
                    continue
                }
                usage[pool, default: 0] += 1
            }
            queue.remove(at: index)
            launch(id, kind: kind)
        }
    }

    private func launch(_ id: UUID, kind: any TaskKind, runNowBy: String? = nil) {
        do {
            try store.markStarted(id, at: Date(), runNowBy: runNowBy)
        } catch {
            if let pool = kind.pool { usage[pool, default: 1] -= 1 }
            end(id, state: .failed, reason: "could not record the start: \(error)", cancelled: false)
            return
        }
        let signaller = ProcessGroupSignaller()
        lastActivity = .now
        let run = TaskRun(taskID: id, baseEnvironment: configuration.baseEnvironment, engine: self, store: store,
                          signaller: signaller, tracker: tracker, grace: configuration.gracePeriod)
        running[id] = RunningTask(kind: kind, signaller: signaller, run: run, cancelReason: nil)
        logger.info("started", metadata: ["task": "\(id.uuidString.lowercased())", "type": "\(type(of: kind).type)"])
        publish(.taskChanged(id))
        Task.detached { [self] in
            let result: Result<Void, Error>
            do {
                try await kind.run(run)
                result = .success(())
            } catch {
                result = .failure(error)
            }
            await self.planEnded(id, result: result)
        }
    }

    private func planEnded(_ id: UUID, result: Result<Void, Error>) {
        guard let task = running.removeValue(forKey: id) else { return }
        if let pool = task.kind.pool { usage[pool, default: 1] -= 1 }
        var (state, reason, cancelled): (TaskState, String?, Bool)
        if let cancelReason = task.cancelReason, case .failure = result {
            (state, reason, cancelled) = (.failed, cancelReason, true)
        } else {
            // A plan that completed although a cancel came in: its last process had already ended
            // well, so the task ends as it ended (issue 23: such tasks were marked cancelled).
            switch result {
            case .success: (state, reason, cancelled) = (.completed, nil, false)
            case .failure(let error as TaskFailure): (state, reason, cancelled) = (.failed, error.reason, false)
            case .failure(is TaskCancelled): (state, reason, cancelled) = (.failed, "cancelled", true)
            case .failure(let error): (state, reason, cancelled) = (.failed, "\(error)", false)
            }
        }
        // A store that kept failing past a process' end: the task's own result goes next to it, never lost.
        if let problem = task.run.storeProblem, !cancelled {
            reason = "\(problem); its own result: \(state == .completed ? "completed" : reason ?? "failed")"
            state = .failed
        }
        end(id, state: state, reason: reason, cancelled: cancelled)
        schedule()
    }

    /// Records a final state and wakes whoever waits for it (a parent, a canceller, an idle waiter).
    private func end(_ id: UUID, state: TaskState, reason: String?, cancelled: Bool) {
        do {
            try store.markEnded(id, state: state, reason: reason, cancelled: cancelled, at: Date())
        } catch {
            lastStoreError = error
            retentionLoop?.nudge()
            logger.error("could not record the end of a task; retrying until it can be", metadata: ["task": "\(id.uuidString.lowercased())", "error": "\(error)"])
            let outcome = state == .completed ? "completed" : (reason ?? "failed")
            retryEnd(id, reason: "\(Self.storeFault(error)) when the task ended, so some output may be missing; its own result: \(outcome)",
                     cancelled: cancelled, at: Date())
        }
        lastActivity = .now
        logger.info("ended", metadata: ["task": "\(id.uuidString.lowercased())", "state": "\(cancelled ? "cancelled" : state.rawValue)", "reason": "\(reason ?? "")"])
        publish(.taskChanged(id))
        for waiter in endWaiters.removeValue(forKey: id) ?? [] { waiter.resume() }
        if let parent = try? store.task(id)?.parentID, var wait = childWaits[parent] {
            wait.remaining.remove(id)
            childWaits[parent] = wait
            if wait.remaining.isEmpty, let waiter = wait.waiter {
                childWaits[parent] = nil
                waiter.resume()
            }
        }
        resumeIdleWaiters(force: false)
    }

    /// Writes a task's end once the store takes writes again (a full disk freed): failed, with why,
    /// so it is never left `running` and waiters in other processes (`submit --wait`) see it end.
    private func retryEnd(_ id: UUID, reason: String, cancelled: Bool, at date: Date) {
        let store = store, logger = logger
        Task.detached {
            var delay = Duration.milliseconds(500)
            while true {
                try? await Task.sleep(for: delay)
                do {
                    _ = try store.markEnded(id, state: .failed, reason: reason, cancelled: cancelled, at: date)
                    logger.info("recorded the end of a task after a store fault", metadata: ["task": "\(id.uuidString.lowercased())"])
                    await self.publishRecordedEnd(id)
                    return
                } catch {
                    delay = min(delay * 2, .seconds(10))
                }
            }
        }
    }

    private func publishRecordedEnd(_ id: UUID) { publish(.taskChanged(id)) }

    /// "the disk was full" for SQLITE_FULL, else the store's own words.
    static func storeFault(_ error: Error) -> String {
        let cause = (error as? StoreError)?.cause ?? "\(error)"
        return cause.contains("the disk is full") ? "disk full: the store could not be written" : "the store could not be written (\(cause))"
    }

    private func resumeIdleWaiters(force: Bool) {
        guard force || isIdle else { return }
        let waiters = idleWaiters
        idleWaiters.removeAll()
        for waiter in waiters { waiter.resume() }
    }

    // MARK: - Called by running plans

    func spawnChildren(of parent: UUID, _ submissions: [ValidatedSubmission]) throws -> [TaskRecord] {
        if running[parent]?.cancelReason != nil { throw TaskCancelled() }
        let records = submissions.map { Self.newRecord($0, parent: parent, retryOf: nil) }
        try store.insert(records)
        childWaits[parent] = (Set(records.map(\.id)), nil)
        for (record, submission) in zip(records, submissions) {
            queue.append((record.id, submission.kind))
            publish(.taskChanged(record.id))
        }
        publish(.taskChanged(parent))
        schedule()
        return records
    }

    /// Children that will never run (a rollout halted before their wave): stored already ended, as
    /// cancelled, with `reason`, so every device of the deploy has its row and its reason.
    func recordSkippedChildren(of parent: UUID, _ submissions: [ValidatedSubmission], reason: String) throws -> [TaskRecord] {
        let now = Date()
        let records = submissions.map { submission -> TaskRecord in
            var record = Self.newRecord(submission, parent: parent, retryOf: nil)
            record.state = .failed
            record.cancelled = true
            record.failureReason = reason
            record.endedAt = now
            return record
        }
        try store.insert(records)
        for record in records { publish(.taskChanged(record.id)) }
        publish(.taskChanged(parent))
        return records
    }

    func waitForChildren(of parent: UUID) async {
        guard let wait = childWaits[parent], !wait.remaining.isEmpty else {
            childWaits[parent] = nil
            return
        }
        await withCheckedContinuation { continuation in
            childWaits[parent] = (wait.remaining, continuation)
        }
    }

    func outputAppended(_ id: UUID) { publish(.outputAppended(id)) }

    func processStarted(_ id: UUID) { publish(.taskChanged(id)) }

    // MARK: - Recovery

    /// Makes the store true again after an engine died: stops what it left running (only processes
    /// that are still the same ones, by /proc start time), fails its running tasks as interrupted,
    /// and queues pending tasks again.
    private func recover(lastBeat: Date?) async throws {
        // Read before anything is marked ended: a process's end would count as a sign of life.
        var signsOfLife: [UUID: Date] = [:]
        for task in try store.tasks(states: [.running]) { signsOfLife[task.id] = try store.lastSignOfLife(task: task.id) }
        for process in try store.unfinishedProcesses() {
            if let pid = process.pid, ProcessTable.isSameProcess(pid: pid, startTicks: process.pidStartTicks) {
                logger.warning("stopping a process left by a dead engine", metadata: ["pid": "\(pid)", "task": "\(process.taskID)"])
                await Self.stopLeftover(pgid: pid, grace: configuration.gracePeriod)
            }
            // Builders nix started in their own sessions, recorded while it ran.
            let stopped = await DescendantTracker.stop(try store.descendants(task: process.taskID, processIndex: process.index),
                                                       grace: .seconds(1))
            if stopped > 0 {
                logger.warning("stopped processes a dead engine's task had started", metadata: ["count": "\(stopped)", "task": "\(process.taskID)"])
            }
            try store.markProcessEnded(task: process.taskID, index: process.index, exitCode: nil, signal: nil,
                                       spawnError: nil, at: EngineHeartbeat.endOfInterrupted(startedAt: process.startedAt, lastBeat: lastBeat,
                                                                                             signOfLife: signsOfLife[process.taskID]))
        }
        // Ended when the dead engine was last known alive (its heartbeat), not now: the downtime is not
        // the task's. Without a heartbeat (an older engine) the time is now, as before.
        for task in try store.tasks(states: [.running]) {
            let end = EngineHeartbeat.endOfInterrupted(startedAt: task.startedAt, lastBeat: lastBeat, signOfLife: signsOfLife[task.id])
            // Where it had got to (an Auto-update's "committed abc; deploying") says what is done and what is not.
            let reached = task.progress.map { "; it had got to: \($0)" } ?? ""
            try store.markEnded(task.id, state: .failed, reason: Self.interruptedReason(at: lastBeat.map { _ in end }) + reached,
                                cancelled: false, at: end)
        }
        for task in try store.tasks(states: [.pending], newestFirst: false) {
            if let parent = task.parentID {
                // Children belong to a parent's run, which is over: they cannot run on their own.
                try store.markEnded(task.id, state: .failed, reason: "interrupted: its parent task \(parent.uuidString.lowercased()) stopped before it ran",
                                    cancelled: false, at: Date())
                continue
            }
            do {
                let submission = try registry.validate(Data(task.submission.utf8))
                queue.append((task.id, submission.kind))
            } catch {
                try store.markEnded(task.id, state: .failed, reason: "cannot run any more: \(error)", cancelled: false, at: Date())
            }
        }
    }

    /// Recovery finishes this before anything is scheduled.
    static func stopLeftover(pgid: Int32, grace: Duration) async {
        guard pgid > 1 else { return }
        kill(-pgid, SIGTERM)
        kill(pgid, SIGTERM)
        let deadline = ContinuousClock.now + grace
        while ContinuousClock.now < deadline && ProcessGroupSignaller.groupHasLiveMembers(pgid) {
            try? await Task.sleep(for: .milliseconds(20))
        }
        kill(-pgid, SIGKILL)
        kill(pgid, SIGKILL)
    }

    // MARK: - Requests from other processes

    /// Carries out requests other processes left in the store, recording each result.
    /// Cancels run concurrently: each waits for its task's processes to stop.
    func serveRequests() async {
        guard let requests = try? store.newRequests() else { return }
        for request in requests where !requestsInFlight.contains(request.id) {
            switch request.kind {
            case .submit:
                finish(request, Result { try submit(Data(request.payload.utf8)).id.uuidString })
            case .retry:
                finish(request, Result { try retry(store.resolve(request.payload).id).id.uuidString })
            case .runNow:
                finish(request, Result {
                    let asked = try RunNowRequest(payload: request.payload)
                    return try runNow(store.resolve(asked.id).id, by: asked.by).message
                })
            case .cancel:
                requestsInFlight.insert(request.id)
                Task {
                    let result: Result<String, Error>
                    do {
                        let id = try store.resolve(request.payload).id
                        result = .success(try await cancel(id).message)
                    } catch {
                        result = .failure(error)
                    }
                    finish(request, result)
                    requestsInFlight.remove(request.id)
                }
            }
        }
    }

    /// Records the answer with the error's `EngineError` code, so the client needs no message matching.
    private func finish(_ request: EngineRequest, _ result: Result<String, Error>) {
        do {
            try store.finishRequest(request.id, result: result.mapError { EngineError($0) })
        } catch {
            logger.error("could not record the answer to a request", metadata: ["request": "\(request.id)", "error": "\(error)"])
        }
    }
}
