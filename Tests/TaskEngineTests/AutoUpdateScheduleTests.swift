import Foundation
import Testing
@testable import TaskEngine

@Suite("Auto-update schedules: parsing and the next run, in a time zone with DST")
struct AutoUpdateScheduleTests {
    var berlin: Calendar {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "Europe/Berlin")!
        return calendar
    }

    func date(_ text: String) -> Date {
        let formatter = ISO8601DateFormatter()
        return formatter.date(from: text)!
    }

    @Test("the three forms are read, and everything else is refused naming what was wrong")
    func parsing() throws {
        #expect(try AutoUpdateSchedule.parse("daily 03:00") == .daily(hour: 3, minute: 0))
        #expect(try AutoUpdateSchedule.parse("weekly Mon 03:00") == .weekly(weekday: 2, hour: 3, minute: 0))
        #expect(try AutoUpdateSchedule.parse("weekly sunday 23:59") == .weekly(weekday: 1, hour: 23, minute: 59))
        #expect(try AutoUpdateSchedule.parse("every 6h") == .every(seconds: 21600))
        #expect(try AutoUpdateSchedule.parse("every 30m") == .every(seconds: 1800))
        #expect(try AutoUpdateSchedule.parse("every 90s") == .every(seconds: 90))
        #expect(try AutoUpdateSchedule.parse("every 90s").description == "every 90s")
        #expect(try AutoUpdateSchedule.parse("weekly mon 3:05").description == "weekly Mon 03:05")
        #expect(throws: ScheduleError("daily 25:00", "has \"25:00\" where a 24-hour time HH:MM is expected, e.g. 03:00")) {
            try AutoUpdateSchedule.parse("daily 25:00")
        }
        #expect(throws: ScheduleError("weekly Mo 03:00", "has \"mo\" where a day is expected: Mon, Tue, Wed, Thu, Fri, Sat or Sun")) {
            try AutoUpdateSchedule.parse("weekly Mo 03:00")
        }
        for bad in ["", "every 0h", "every 6", "every h", "hourly", "daily", "daily 03:00 extra"] {
            #expect(throws: ScheduleError.self) { try AutoUpdateSchedule.parse(bad) }
        }
        #expect("\(ScheduleError("hourly", "x"))" == "auto-update schedule \"hourly\" x")
    }

    @Test("daily and weekly fire at local wall-clock times across DST changes; every counts from the start")
    func nextFire() throws {
        let daily = AutoUpdateSchedule.daily(hour: 3, minute: 0)
        // 03:00 local in winter is 02:00 UTC; in summer 01:00 UTC.
        #expect(daily.nextFire(after: date("2026-01-10T12:00:00Z"), anchor: .distantPast, calendar: berlin) == date("2026-01-11T02:00:00Z"))
        // Spring forward (29 March 2026, 02:00 -> 03:00): 03:00 exists, once.
        #expect(daily.nextFire(after: date("2026-03-28T12:00:00Z"), anchor: .distantPast, calendar: berlin) == date("2026-03-29T01:00:00Z"))
        // 02:30 does not exist that night: the next time that does.
        let early = AutoUpdateSchedule.daily(hour: 2, minute: 30)
        let skipped = early.nextFire(after: date("2026-03-28T12:00:00Z"), anchor: .distantPast, calendar: berlin)
        #expect(skipped == date("2026-03-29T01:00:00Z"), "\(skipped)")
        // Fall back (25 October 2026, 03:00 -> 02:00): 02:30 happens twice, the run once, the first time.
        let first = early.nextFire(after: date("2026-10-24T12:00:00Z"), anchor: .distantPast, calendar: berlin)
        #expect(first == date("2026-10-25T00:30:00Z"))
        #expect(early.nextFire(after: first, anchor: .distantPast, calendar: berlin) == date("2026-10-26T01:30:00Z"))
        // 2026-01-10 is a Saturday: the next Monday 03:00.
        let weekly = AutoUpdateSchedule.weekly(weekday: 2, hour: 3, minute: 0)
        #expect(weekly.nextFire(after: date("2026-01-10T12:00:00Z"), anchor: .distantPast, calendar: berlin) == date("2026-01-12T02:00:00Z"))
        let every = AutoUpdateSchedule.every(seconds: 3600)
        let start = date("2026-01-10T12:00:00Z")
        #expect(every.nextFire(after: start, anchor: start) == date("2026-01-10T13:00:00Z"))
        #expect(every.nextFire(after: date("2026-01-10T15:30:00Z"), anchor: start) == date("2026-01-10T16:00:00Z"))
    }
}

@Suite("The Auto-update scheduler submits on time, once per interval", .enabled(if: nixAndSSHAvailable))
struct AutoUpdateSchedulerTests {
    let environment: TestEnvironment
    init() throws { environment = try TestEnvironment() }

    @Test("every 2s: one submission per interval, the next run noted for front ends, nothing after the engine stops")
    func firesOncePerInterval() async throws {
        let project = try FixtureProject(in: environment.path("fixture"), configurations: ["kiosk": .normal])
        let key = environment.path("key")
        try "not a real key\n".write(toFile: key, atomically: true, encoding: .utf8)
        try project.writeProjectFile(["devices": [["identifier": "kiosk-1", "host": "127.0.0.1", "configuration": "kiosk",
                                                   "host_key": "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJ0m6wJ8mBq0xXlPz1Y9iJcF3r5M3Hq6cYw8m3Y1bq2n"]],
                                      "ssh": ["identity": key]])
        let lock = try #require(try EngineLock.acquire(in: environment.directory))
        let engine = environment.makeEngine()
        try await engine.start(watchRequests: false)
        let started = Date()
        let scheduler = await AutoUpdateScheduler.start(engine: engine, directory: environment.directory,
                                                        schedule: .every(seconds: 2), projectPath: project.path)
        let note = try #require(await eventually { ScheduledAutoUpdate.current(in: environment.directory) != nil } ? ScheduledAutoUpdate.current(in: environment.directory) : nil)
        #expect(note.schedule == "every 2s" && note.projectPath == project.path)
        #expect(note.nextRun > started && note.nextRun.timeIntervalSince(started) < 120)
        try await Task.sleep(for: .milliseconds(7000))
        await engine.shutdown()
        let stopped = Date()
        let submitted = await scheduler.submitted, skipped = await scheduler.skipped
        let tasks = try environment.store.tasks(states: nil, type: AutoUpdateKind.type, parent: .some(nil), limit: 100)
            .sorted { $0.submittedAt < $1.submittedAt }
        // One fire per 2 s since the scheduler started (a loaded machine stretches the sleep, so count
        // the intervals that really passed; the last may be woken late): each either submitted or
        // skipped because the previous run was still going, never both.
        let intervals = Int(stopped.timeIntervalSince(note.nextRun.addingTimeInterval(-2)) / 2)
        #expect(intervals >= 3 && (intervals - 1...intervals).contains(submitted + skipped),
                "\(intervals) intervals, submitted \(submitted), skipped \(skipped)")
        #expect(submitted >= 1 && tasks.count == submitted)
        for (earlier, later) in zip(tasks, tasks.dropFirst()) {
            #expect(later.submittedAt.timeIntervalSince(earlier.submittedAt) > 1.5)
        }
        #expect(tasks.filter { $0.state == .completed }.allSatisfy { $0.progress == "no input changed" })
        #expect(await eventually { ScheduledAutoUpdate.current(in: environment.directory) == nil })
        try await Task.sleep(for: .milliseconds(2500))
        #expect(try environment.store.tasks(states: nil, type: AutoUpdateKind.type, parent: .some(nil), limit: 100).count == submitted)
        withExtendedLifetime(lock) {}
    }

    @Test("a scheduler whose handle is dropped (as serve does) still notes its next run and keeps running")
    func droppedHandleKeepsRunning() async throws {
        let lock = try #require(try EngineLock.acquire(in: environment.directory))
        let engine = environment.makeEngine()
        try await engine.start(watchRequests: false)
        // Twenty starts in a row: the weak capture this guards against lost the scheduler in some of them.
        for round in 0..<20 {
            _ = await AutoUpdateScheduler.start(engine: engine, directory: environment.directory,
                                                schedule: .every(seconds: 3600), projectPath: "/round/\(round)")
            #expect(await eventually { ScheduledAutoUpdate.current(in: environment.directory)?.projectPath == "/round/\(round)" },
                    "round \(round): no next-run note")
        }
        await engine.shutdown()
        #expect(await eventually { ScheduledAutoUpdate.current(in: environment.directory) == nil })
        withExtendedLifetime(lock) {}
    }
}
