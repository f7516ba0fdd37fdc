import Foundation
import GRDB
import Logging
import Testing
@testable @_spi(StoreWriting) import TaskEngine

@Suite("output retention: the oldest finished tasks' output goes, records stay, the file shrinks", .serialized)
struct RetentionTests {
    let environment: TestEnvironment
    init() throws { environment = try TestEnvironment() }

    /// Runs one script task per size (incompressible output of that many bytes, base64 of random bytes) one
    /// after another, so their end times are in order; returns their ids oldest first.
    func runTasks(printing sizes: [Int], engine: TaskEngine, failLast: Bool = false) async throws -> [UUID] {
        var ids: [UUID] = []
        for (index, size) in sizes.enumerated() {
            let fail = failLast && index == sizes.count - 1 ? "; echo 'the real error' >&2; exit 7" : ""
            let record = try await engine.submitValue(ScriptKind.submission(
                "head -c \(size * 3 / 4) /dev/urandom | base64 -w 76\(fail)", name: "t\(index)"))
            _ = try await environment.store.waitFor(record.id, toBe: [.completed, .failed])
            ids.append(record.id)
        }
        return ids
    }

    func storedBytes(_ id: UUID) throws -> Int64 {
        try environment.store.read { db in
            try Int64.fetchOne(db, sql: "SELECT COALESCE(SUM(length(bytes)), 0) FROM output WHERE task_id = ?", arguments: [id.uuidString]) ?? 0
        }
    }

    @Test("by size: oldest first until the rest fits; a running task and every record are untouched")
    func bySize() async throws {
        let engine = environment.makeEngine()
        try await engine.start(watchRequests: false)
        let ids = try await runTasks(printing: [400_000, 400_000, 400_000, 400_000], engine: engine, failLast: true)
        // A task still running, with output stored already: never pruned, whatever the limit.
        let running = try await engine.submitValue(ScriptKind.submission("head -c 300000 /dev/urandom | base64; sleep 30", name: "running"))
        _ = try await environment.store.waitFor(running.id, toBe: [.running])
        let deadline = ContinuousClock.now + .seconds(15)
        while try storedBytes(running.id) < 300_000, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(50)) }
        let runningBefore = try environment.store.allText(running.id, stream: .stdout)
        #expect(runningBefore.utf8.count >= 300_000)

        let usage = try environment.store.storedOutputBytes()
        let perTask = try storedBytes(ids[0])
        // Room for the running task and about two finished ones: the two oldest must go.
        let limit = usage - 2 * perTask + perTask / 2
        let report = try OutputPruner(store: environment.store).prune(OutputRetentionPolicy(maxSize: limit, maxAge: nil))
        #expect(report.tasks == 2)
        #expect(report.storedBytes >= 2 * perTask - 4096)
        #expect(report.printedBytes > report.storedBytes)  // base64 compresses a little: printed is more
        #expect(try environment.store.storedOutputBytes() <= limit)

        for (index, id) in ids.enumerated() {
            let record = try #require(try environment.store.task(id))
            let process = try #require(try environment.store.processes(of: id).first)
            #expect(process.stdoutBytes >= 400_000, "the record keeps what it printed")
            #expect(process.exitCode != nil)
            if index < 2 {
                let pruned = try #require(record.outputPruned, "task \(index) is one of the two oldest")
                #expect(pruned.bytes == process.stdoutBytes + process.stderrBytes)
                #expect(pruned.notice.hasPrefix("output pruned on "))
                #expect(try storedBytes(id) == 0)
                #expect(try environment.store.allText(id, stream: .stdout).isEmpty)
            } else {
                #expect(record.outputPruned == nil)
                #expect(try storedBytes(id) > 0)
            }
        }
        let failed = try #require(try environment.store.task(ids[3]))
        #expect(failed.failureReason?.contains("the real error") == true)
        #expect(try environment.store.task(running.id)?.outputPruned == nil)
        #expect(try environment.store.allText(running.id, stream: .stdout) == runningBefore)

        // Even a limit of one byte leaves the running task alone.
        _ = try OutputPruner(store: environment.store).prune(OutputRetentionPolicy(maxSize: 1, maxAge: nil))
        #expect(try environment.store.allText(running.id, stream: .stdout) == runningBefore)
        #expect(try ids.allSatisfy { try environment.store.task($0)?.outputPruned != nil })
        _ = try await engine.cancel(running.id)
        await engine.shutdown()
    }

    @Test("by age: only tasks that ended before the limit, whatever their size; a dry run changes nothing")
    func byAge() async throws {
        let engine = environment.makeEngine()
        try await engine.start(watchRequests: false)
        let ids = try await runTasks(printing: [50_000, 50_000, 50_000], engine: engine)
        await engine.shutdown()
        // The first two ended 100 and 91 days ago (as if the controller had run that long).
        try environment.store.write { db in
            for (id, days) in [(ids[0], 100.0), (ids[1], 91.0)] {
                try db.execute(sql: "UPDATE task SET ended_at = ? WHERE id = ?",
                               arguments: [Date().timeIntervalSince1970 - days * 86_400, id.uuidString])
            }
        }
        let policy = OutputRetentionPolicy(maxSize: nil, maxAge: 90 * 86_400)
        let dry = try OutputPruner(store: environment.store).prune(policy, dryRun: true)
        #expect(dry.tasks == 2)
        #expect(dry.printedBytes > 100_000)
        #expect(try ids.allSatisfy { try environment.store.task($0)?.outputPruned == nil && storedBytes($0) > 0 })

        let report = try OutputPruner(store: environment.store).prune(policy)
        #expect(report.tasks == 2)
        #expect(report.storedBytes == dry.storedBytes)
        #expect(try environment.store.task(ids[0])?.outputPruned != nil)
        #expect(try environment.store.task(ids[1])?.outputPruned != nil)
        #expect(try environment.store.task(ids[2])?.outputPruned == nil)
        #expect(try storedBytes(ids[2]) > 0)
        #expect(try OutputPruner(store: environment.store).prune(policy).tasks == 0, "a second pass finds nothing")
    }

    @Test("freed pages go back to the file system: the files shrink")
    func fileShrinks() async throws {
        let engine = environment.makeEngine()
        try await engine.start(watchRequests: false)
        let ids = try await runTasks(printing: [6_000_000, 6_000_000, 200_000], engine: engine)
        await engine.shutdown()
        environment.store.checkpointAndTruncate()
        let before = environment.store.fileBytes()
        #expect(before > 8_000_000)  // base64 of random bytes: ~4.5 MB a task stored
        let report = try OutputPruner(store: environment.store).prune(OutputRetentionPolicy(maxSize: 1_000_000, maxAge: nil))
        #expect(report.tasks == 2)
        #expect(report.returnedBytes > 7_000_000)
        #expect(report.fileBytesAfter < before - 7_000_000, "files \(before) -> \(report.fileBytesAfter)")
        #expect(environment.store.fileBytes() == report.fileBytesAfter)
        #expect(try storedBytes(ids[2]) > 0)
        #expect(try environment.store.allText(ids[2], stream: .stdout).utf8.count > 200_000)
    }

    @Test("a pass stopped after marking a task is finished by the next, even with no limits")
    func resumesInterruptedPass() async throws {
        let engine = environment.makeEngine()
        try await engine.start(watchRequests: false)
        let ids = try await runTasks(printing: [3_000_000], engine: engine)
        await engine.shutdown()
        #expect(try environment.store.markOutputPruned(ids[0], at: Date()))
        let step = try environment.store.deletePrunedChunks(ids[0], maxRows: 1, maxBytes: 1)
        #expect(!step.done)
        #expect(try storedBytes(ids[0]) > 0)
        let report = try OutputPruner(store: environment.store).prune(OutputRetentionPolicy(maxSize: nil, maxAge: nil))
        #expect(report.tasks == 0, "already counted when it was marked")
        #expect(try storedBytes(ids[0]) == 0)
        #expect(try environment.store.storedOutputBytes() == 0)
    }

    @Test("the engine applies its policy in the background and the task's version changes for attached front ends")
    func engineInBackground() async throws {
        let configuration = EngineConfiguration(baseEnvironment: TestEnvironment.childEnvironment, requestPollInterval: .milliseconds(30),
                                                retention: OutputRetentionPolicy(maxSize: 100_000, maxAge: nil),
                                                retentionInterval: .milliseconds(200))
        let engine = TaskEngine(store: environment.store, registry: .forTests, configuration: configuration,
                                logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
        try await engine.start(watchRequests: false)
        let ids = try await runTasks(printing: [200_000, 200_000], engine: engine)
        let version = try environment.store.taskVersion()
        let deadline = ContinuousClock.now + .seconds(15)
        while try environment.store.task(ids[1])?.outputPruned == nil, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(try environment.store.task(ids[0])?.outputPruned != nil)
        #expect(try environment.store.task(ids[1])?.outputPruned != nil)
        #expect(try environment.store.storedOutputBytes() <= 100_000)
        let changed = try environment.store.tasksChanged(since: version).records.map(\.id)
        #expect(changed.contains(ids[0]) && changed.contains(ids[1]))
        await engine.shutdown()
    }

    @Test("sizes and ages as settings take: 20GB, 512MiB, 90d, 12h, off; anything else names the setting")
    func parsing() throws {
        #expect(ByteCountText.parse("20GB") == 20_000_000_000)
        #expect(ByteCountText.parse("1.5 GiB") == 1_610_612_736)
        #expect(ByteCountText.parse("500M") == 500_000_000)
        #expect(ByteCountText.parse("4096") == 4096)
        #expect(ByteCountText.parse("12 parsecs") == nil)
        #expect(ByteCountText.parse("-1GB") == nil)
        #expect(try OutputRetentionPolicy.parseSize("off", setting: "x") == nil)
        #expect(try OutputRetentionPolicy.parseAge("90d", setting: "x") == 90 * 86_400)
        #expect(try OutputRetentionPolicy.parseAge("12h", setting: "x") == 12 * 3600)
        #expect(try OutputRetentionPolicy.parseAge("2w", setting: "x") == 14 * 86_400)
        #expect(try OutputRetentionPolicy.parseAge("none", setting: "x") == nil)
        #expect(throws: ConfigurationError.self) { try OutputRetentionPolicy.parseAge("90", setting: "x") }
        do {
            _ = try OutputRetentionPolicy.resolve(environment: ["THYMIS_TASKS_OUTPUT_MAX_SIZE": "lots"])
            Issue.record("a bad size was taken")
        } catch {
            #expect("\(error)".contains("THYMIS_TASKS_OUTPUT_MAX_SIZE \"lots\" is not a size"))
        }
        let policy = try OutputRetentionPolicy.resolve(environment: ["THYMIS_TASKS_OUTPUT_MAX_AGE": "30d"])
        #expect(policy == OutputRetentionPolicy(maxSize: 10_000_000_000, maxAge: 30 * 86_400))
        #expect(OutputRetentionPolicy.default.summary == "at most 10.0 GB, no age limit")
    }

    @Test("every line has the time its chunk arrived; lines apart in time have times apart")
    func lineTimes() async throws {
        let engine = environment.makeEngine()
        try await engine.start(watchRequests: false)
        let before = Date()
        let record = try await engine.submitValue(ScriptKind.submission("echo one; echo two; sleep 0.4; echo three; printf four"))
        _ = try await environment.store.waitFor(record.id, toBe: [.completed, .failed])
        await engine.shutdown()
        let times = try environment.store.lineTimes(task: record.id, processIndex: 0, stream: .stdout, range: 0..<5)
        #expect(times.count == 5)
        let known = times.compactMap { $0 }
        #expect(known.count == 4, "four lines, and nothing past the end: \(times)")
        #expect(times[4] == nil)
        #expect(known.allSatisfy { $0 >= before.addingTimeInterval(-0.01) && $0 <= Date() })
        #expect(known[1].timeIntervalSince(known[0]) < 0.1)
        #expect(known[2].timeIntervalSince(known[1]) > 0.3)
        #expect(try environment.store.lines(task: record.id, processIndex: 0, stream: .stdout, range: 0..<4)
            .map { String(decoding: $0, as: UTF8.self) } == ["one", "two", "three", "four"])
    }

    @Test("the background reserve scales with the size limit, and an engine shutting down gives free pages back")
    func reserveAndShutdown() async throws {
        #expect(OutputPruner(store: environment.store, background: true, maxSize: 1_000_000).freeReserve == 125_000)
        #expect(OutputPruner(store: environment.store, background: true, maxSize: 10_000_000_000).freeReserve == 64 << 20)
        #expect(OutputPruner(store: environment.store, background: true).freeReserve == 64 << 20)
        #expect(OutputPruner(store: environment.store).freeReserve == 0)

        // 24 MB of output, then pruned without a vacuum: the pages stay in the file as free space.
        let submission = try TaskKindRegistry.forTests.validate(ScriptKind.submission("echo x"))
        var record = TaskEngine.newRecord(submission, parent: nil, retryOf: nil)
        record.state = .completed
        record.endedAt = Date()
        try environment.store.insert([record])
        try environment.store.insertProcess(ProcessRecord(taskID: record.id, index: 0, program: "/bin/sh", arguments: [],
                                                          environment: [:], workingDirectory: nil))
        for index in 0..<24 {
            var bytes = [UInt8](repeating: 0, count: 1 << 20)
            for offset in bytes.indices { bytes[offset] = UInt8.random(in: 0...255) }
            bytes[bytes.count - 1] = 10
            let chunk = OutputChunk(stream: .stdout, firstLine: Int64(index), newlineCount: 1, bytes: bytes, arrivedAt: Date())
            try environment.store.appendOutput(task: record.id, processIndex: 0, chunks: [chunk], counters: OutputCounters(),
                                               nixStateJSON: nil, progress: nil)
        }
        environment.store.checkpointAndTruncate()
        #expect(try environment.store.markOutputPruned(record.id, at: Date()))
        while try !environment.store.deletePrunedChunks(record.id, maxRows: 1000, maxBytes: .max).done {}
        environment.store.checkpointAndTruncate()
        let before = environment.store.fileBytes()
        #expect(before > 20_000_000, "\(before)")

        let engine = environment.makeEngine()
        try await engine.start(watchRequests: false)
        await engine.shutdown()
        let after = environment.store.fileBytes()
        #expect(after < 4_000_000, "\(before) bytes before the shutdown, \(after) after")
    }
}
