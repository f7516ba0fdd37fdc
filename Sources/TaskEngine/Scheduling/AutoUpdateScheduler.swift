import Foundation

/// Submits an Auto-update of one project at the times of its schedule, for as long as the engine
/// runs. A run still pending or running when the next is due is not doubled: that time is skipped.
/// Times missed while no engine ran are not caught up. The next run time is written to
/// `auto-update.json` in the state directory, where `list` and the dashboard read it.
public actor AutoUpdateScheduler {
    public nonisolated let schedule: AutoUpdateSchedule
    let engine: TaskEngine
    let submission: JSONValue
    let status: ScheduledAutoUpdate.File
    let calendar: Calendar
    private var loop: Task<Void, Never>?
    private var lastTask: UUID?
    /// How many times it submitted; each time it skipped because a run was still going.
    public private(set) var submitted = 0
    public private(set) var skipped = 0

    init(engine: TaskEngine, directory: StateDirectory, schedule: AutoUpdateSchedule, submission: JSONValue, calendar: Calendar) {
        self.engine = engine
        self.schedule = schedule
        self.submission = submission
        self.status = ScheduledAutoUpdate.File(directory: directory)
        self.calendar = calendar
    }

    /// Starts submitting `{"type": "auto_update_task", "project_path": ..., "project_file": ...}` on
    /// `schedule`; stops by itself when the engine shuts down. The one call a host makes.
    @discardableResult
    public static func start(engine: TaskEngine, directory: StateDirectory, schedule: AutoUpdateSchedule,
                             projectPath: String, projectFile: String? = nil,
                             calendar: Calendar = .current) async -> AutoUpdateScheduler {
        var fields: [String: JSONValue] = ["type": .string(AutoUpdateKind.type), "project_path": .string(projectPath)]
        if let projectFile { fields["project_file"] = .string(projectFile) }
        let scheduler = AutoUpdateScheduler(engine: engine, directory: directory, schedule: schedule,
                                            submission: .object(fields), calendar: calendar)
        await scheduler.run(projectPath: projectPath)
        return scheduler
    }

    private func run(projectPath: String) async {
        let events = await engine.events()
        let anchor = Date()
        // The loop holds the scheduler strongly: it lives as long as the engine (the watcher below cancels it
        // when the engine's events end), whether or not the caller keeps the value `start` returns. A weak
        // capture let `serve`, which drops it, lose the scheduler before its first write (issue 13's flake).
        loop = Task {
            var next = self.schedule.nextFire(after: anchor, anchor: anchor, calendar: self.calendar)
            while !Task.isCancelled {
                self.status.write(ScheduledAutoUpdate(schedule: self.schedule.description, projectPath: projectPath, nextRun: next,
                                                      pid: getpid()))
                // Sleep in short steps against the wall clock: a clock change or a suspend is noticed.
                while !Task.isCancelled, Date() < next {
                    try? await Task.sleep(for: .milliseconds(Int(min(5, max(0.01, next.timeIntervalSinceNow)) * 1000)))
                }
                if Task.isCancelled { break }
                await self.fire()
                next = self.schedule.nextFire(after: max(Date(), next), anchor: anchor, calendar: self.calendar)
            }
        }
        let loop = self.loop
        Task { [status] in
            for await _ in events {}
            loop?.cancel()
            status.remove()
        }
    }

    /// Stops submitting and removes the next-run note.
    public func stop() {
        loop?.cancel()
        status.remove()
    }

    private func fire() async {
        if let lastTask, let record = try? engine.store.task(lastTask), !record.state.isFinal {
            skipped += 1
            engine.logger.info("auto-update skipped: the previous run is still going", metadata: ["task": "\(lastTask)"])
            return
        }
        do {
            let record = try await engine.submit(engine.registry.validate(submission))
            lastTask = record.id
            submitted += 1
        } catch {
            engine.logger.error("auto-update not submitted", metadata: ["error": "\(error)"])
        }
    }
}

/// The next scheduled Auto-update, as front ends show it.
public struct ScheduledAutoUpdate: Codable, Equatable, Sendable {
    public var schedule: String
    public var projectPath: String
    public var nextRun: Date
    /// The engine process that will submit it.
    public var pid: Int32

    /// The next run of the engine now holding the state directory's lock; nil when none is scheduled.
    public static func current(in directory: StateDirectory) -> ScheduledAutoUpdate? {
        guard let note = File(directory: directory).read(), EngineLock.holder(in: directory) == note.pid else { return nil }
        return note
    }

    struct File: Sendable {
        let path: String
        init(directory: StateDirectory) { path = directory.path + "/auto-update.json" }

        func write(_ note: ScheduledAutoUpdate) {
            let encoder = JSONEncoder()
            encoder.dateEncodingStrategy = .secondsSince1970
            guard let data = try? encoder.encode(note) else { return }
            try? PrivateFile.replace(atPath: path, with: data)
        }

        func read() -> ScheduledAutoUpdate? {
            guard let data = FileManager.default.contents(atPath: path) else { return nil }
            let decoder = JSONDecoder()
            decoder.dateDecodingStrategy = .secondsSince1970
            return try? decoder.decode(ScheduledAutoUpdate.self, from: data)
        }

        func remove() { try? FileManager.default.removeItem(atPath: path) }
    }
}
