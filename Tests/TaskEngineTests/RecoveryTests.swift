import Foundation
import Testing
@testable @_spi(StoreWriting) import TaskEngine

@Suite("a new engine makes the store true again after an engine died")
struct RecoveryTests {
    let environment: TestEnvironment
    init() throws { environment = try TestEnvironment() }

    /// Starts `sleep` in a session of its own, as a dead engine's child would be.
    func orphan() throws -> Int32 {
        var pid: pid_t = 0
        let words = ["/usr/bin/setsid", "sleep", "300"]
        let argv: [UnsafeMutablePointer<CChar>?] = words.map { word in strdup(word) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        #expect(posix_spawn(&pid, words[0], nil, nil, argv, environ) == 0)
        return pid
    }

    func record(_ state: TaskState, script: String = "echo recovered") throws -> TaskRecord {
        let submission = try TaskKindRegistry.forTests.validate(ScriptKind.submission(script))
        var record = TaskEngine.newRecord(submission, parent: nil, retryOf: nil)
        record.state = state
        if state == .running { record.startedAt = Date() }
        try environment.store.insert([record])
        return record
    }

    @Test("running tasks become failed (interrupted) with an end time; their processes are stopped; pending ones run")
    func interrupted() async throws {
        let running = try record(.running)
        let pending = try record(.pending)
        let pid = try orphan()
        defer { kill(pid, SIGKILL); waitpid(pid, nil, 0) }
        #expect(await eventually { ProcessTable.startTicks(of: pid) != nil && ProcessTable.processState(of: pid) == "S" })
        var process = ProcessRecord(taskID: running.id, index: 0, program: "/usr/bin/sleep", arguments: ["300"],
                                    environment: [:], workingDirectory: nil)
        try environment.store.insertProcess(process)
        try environment.store.markProcessStarted(task: running.id, index: 0, pid: pid,
                                                 startTicks: ProcessTable.startTicks(of: pid), at: Date())

        let engine = environment.makeEngine()
        try await engine.start(watchRequests: false)

        let failed = try #require(try environment.store.task(running.id))
        #expect(failed.state == .failed)
        #expect(failed.failureReason == TaskEngine.interruptedReason)
        #expect(failed.endedAt != nil)
        #expect(await eventually {
            waitpid(pid, nil, WNOHANG)
            return !processIsAlive(pid)
        }, "the dead engine's process must be stopped")
        process = try #require(try environment.store.processes(of: running.id).first)
        #expect(process.endedAt != nil)
        #expect(try await environment.store.waitFor(pending.id, toBe: [.completed, .failed]).state == .completed)
    }

    @Test("a task that printed after the dead engine's last heartbeat ends at its last line, not before it")
    func endsAtLastOutput() async throws {
        let started = Date().addingTimeInterval(-120)
        let submission = try TaskKindRegistry.forTests.validate(ScriptKind.submission("echo x"))
        var record = TaskEngine.newRecord(submission, parent: nil, retryOf: nil)
        record.state = .running
        record.startedAt = started
        try environment.store.insert([record])
        try environment.store.insertProcess(ProcessRecord(taskID: record.id, index: 0, program: "/bin/sh", arguments: [],
                                                          environment: [:], workingDirectory: nil))
        try environment.store.markProcessStarted(task: record.id, index: 0, pid: 999_999, startTicks: 1, at: started)
        // Lines at -60 s, the last of them at -52 s; the engine's last beat was at -60 s.
        let arrived = Date().addingTimeInterval(-60)
        var chunk = OutputChunk(stream: .stdout, firstLine: 0, newlineCount: 2, bytes: Array("a\nb\n".utf8), arrivedAt: arrived)
        chunk.laterLineTimes = [LineTime(line: 1, at: arrived.addingTimeInterval(8))]
        try environment.store.appendOutput(task: record.id, processIndex: 0, chunks: [chunk], counters: OutputCounters(), nixStateJSON: nil, progress: nil)
        let heartbeat = EngineHeartbeat(databasePath: environment.store.path)
        heartbeat.beat()
        var times = [timeval(tv_sec: time(nil) - 60, tv_usec: 0), timeval(tv_sec: time(nil) - 60, tv_usec: 0)]
        #expect(utimes(heartbeat.path, &times) == 0)
        let engine = environment.makeEngine()
        try await engine.start(watchRequests: false)
        let end = try #require(try environment.store.task(record.id)?.endedAt)
        #expect(abs(end.timeIntervalSinceNow + 52) < 2, "ended \(end.timeIntervalSinceNow) s from now, not at its last line (-52 s)")
        let process = try #require(try environment.store.processes(of: record.id).first)
        #expect(process.endedAt.map { abs($0.timeIntervalSinceNow + 52) < 2 } == true)
        await engine.shutdown()
    }

    @Test("a task a dead engine left running ends at that engine's last heartbeat, not at the restart")
    func endsAtHeartbeat() async throws {
        let started = Date().addingTimeInterval(-7200)
        let submission = try TaskKindRegistry.forTests.validate(ScriptKind.submission("echo x"))
        var record = TaskEngine.newRecord(submission, parent: nil, retryOf: nil)
        record.state = .running
        record.startedAt = started
        try environment.store.insert([record])
        // The dead engine last beat an hour ago.
        let heartbeat = EngineHeartbeat(databasePath: environment.store.path)
        heartbeat.beat()
        var times = [timeval(tv_sec: time(nil) - 3600, tv_usec: 0), timeval(tv_sec: time(nil) - 3600, tv_usec: 0)]
        #expect(utimes(heartbeat.path, &times) == 0)
        let engine = environment.makeEngine()
        try await engine.start(watchRequests: false)
        let ended = try #require(try environment.store.task(record.id))
        let end = try #require(ended.endedAt)
        #expect(abs(end.timeIntervalSinceNow + 3600) < 5, "ended \(end)")
        #expect(ended.failureReason?.hasPrefix("interrupted at about ") == true, "\(ended.failureReason ?? "")")
        #expect(abs((heartbeat.lastBeat() ?? .distantPast).timeIntervalSinceNow) < 5, "the new engine beats at once")
        #expect(EngineHeartbeat.endOfInterrupted(startedAt: Date(), lastBeat: started) > started, "never before the task started")
        await engine.shutdown()
    }

    @Test("a recorded pid that now belongs to another process is never signalled")
    func reusedPID() async throws {
        let running = try record(.running)
        let pid = try orphan()
        defer { kill(pid, SIGKILL); waitpid(pid, nil, 0) }
        #expect(await eventually { ProcessTable.startTicks(of: pid) != nil })
        try environment.store.insertProcess(ProcessRecord(taskID: running.id, index: 0, program: "/usr/bin/sleep",
                                                          arguments: [], environment: [:], workingDirectory: nil))
        // Same pid, different start time: as if the pid had been reused since.
        try environment.store.markProcessStarted(task: running.id, index: 0, pid: pid,
                                                 startTicks: (ProcessTable.startTicks(of: pid) ?? 0) + 12345, at: Date())
        let engine = environment.makeEngine()
        try await engine.start(watchRequests: false)
        try await Task.sleep(for: .milliseconds(200))
        #expect(processIsAlive(pid))
        #expect(try environment.store.task(running.id)?.state == .failed)
    }
}

@Suite("other processes reach the engine through the store's request table")
struct RequestTableTests {
    let environment: TestEnvironment
    init() throws { environment = try TestEnvironment() }

    @Test("submit, cancel and retry requests are carried out and answered")
    func requests() async throws {
        let engine = environment.makeEngine()
        try await engine.start()
        let client = EngineClient(directory: environment.directory, store: environment.store)
        // The test holds no lock, so tell the client an engine exists by taking the lock ourselves.
        let lock = try #require(try EngineLock.acquire(in: environment.directory))
        let submission = ScriptKind.submission("sleep 30").canonicalText()
        let (_, submitted) = try await client.send(.submit, payload: submission, timeout: .seconds(10))
        guard case .done(let idText) = submitted, let id = UUID(uuidString: idText) else {
            Issue.record("submit answered \(submitted)")
            return
        }
        _ = try await environment.store.waitFor(id, toBe: [.running])
        let (_, cancelled) = try await client.send(.cancel, payload: idText, timeout: .seconds(10))
        #expect(cancelled == .done("cancelled"))
        #expect(try environment.store.task(id)?.cancelled == true)
        let (_, retried) = try await client.send(.retry, payload: String(idText.prefix(8)), timeout: .seconds(10))
        guard case .done(let retryText) = retried, let retryID = UUID(uuidString: retryText) else {
            Issue.record("retry answered \(retried)")
            return
        }
        #expect(try environment.store.task(retryID)?.retryOf == id)
        let (_, refused) = try await client.send(.submit, payload: #"{"type": "nope"}"#, timeout: .seconds(10))
        guard case .failed(let error) = refused else { Issue.record("\(refused)"); return }
        #expect(error.code == .invalidSubmission)
        #expect(error.description.contains("\"nope\" is unknown"))
        _ = try await engine.cancel(retryID)
        await engine.shutdown()
        withExtendedLifetime(lock) {}
    }

    @Test("an engine's refusal is read back as the same EngineError, and the row is gone once read")
    func typedAnswers() async throws {
        let host = try #require(try EngineHost.acquire(in: environment.directory) { environment.makeEngine() })
        try await host.start()
        let client = EngineClient(directory: environment.directory, store: environment.store)
        let (id, answer) = try await client.send(.retry, payload: "0123abcd", timeout: .seconds(10))
        guard case .failed(let error) = answer else { Issue.record("\(answer)"); return }
        #expect(error.code == .noSuchTask)
        #expect(error.description.contains("no task matches \"0123abcd\""))
        #expect(try environment.store.request(id) == nil, "read answers are deleted")
        await host.shutdown()
    }

    @Test("answers nobody read are deleted after their lifetime; waiting requests are kept")
    func pruning() throws {
        let store = environment.store
        let old = try store.enqueueRequest(.cancel, payload: "x")
        try store.finishRequest(old, result: .failure(.noSuchTask("no task matches \"x\"")))
        let waiting = try store.enqueueRequest(.cancel, payload: "y")
        #expect(try store.deleteAnsweredRequests(olderThan: 600) == 0)
        #expect(try store.deleteAnsweredRequests(olderThan: -1) == 1)
        #expect(try store.request(old) == nil)
        #expect(try store.request(waiting)?.status == .new)
    }

    @Test("an idle exit waits for the idle time after the last task, and not while a request waits")
    func idleExit() async throws {
        let host = try #require(try EngineHost.acquire(in: environment.directory) { environment.makeEngine() })
        try await host.start(watchRequests: false)
        _ = try await host.engine.submit(Data(ScriptKind.submission("sleep 0.3").canonicalText().utf8))
        let started = ContinuousClock.now
        let exit = await host.run(idleExit: .milliseconds(500), poll: .milliseconds(20))
        #expect(exit == .idle)
        #expect(ContinuousClock.now - started >= .milliseconds(800), "0.3 s of work, then 0.5 s idle")
        // A request nobody carried out keeps it from exiting.
        _ = try environment.store.enqueueRequest(.cancel, payload: "x")
        let stopper = Task { try? await Task.sleep(for: .seconds(1)); host.stop() }
        #expect(await host.run(idleExit: .zero, poll: .milliseconds(20)) == .stopped)
        _ = await stopper.value
        await host.shutdown()
    }

    @Test("only one process holds the engine lock; it is free again once released")
    func lock() throws {
        let first = try EngineLock.acquire(in: environment.directory)
        #expect(first != nil)
        #expect(try EngineLock.acquire(in: environment.directory) == nil)
        #expect(EngineLock.holder(in: environment.directory) == getpid())
        withExtendedLifetime(first) {}
    }
}
