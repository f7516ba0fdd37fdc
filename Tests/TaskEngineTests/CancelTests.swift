import Foundation
import Testing
@testable import TaskEngine

@Suite("cancel stops tasks, their process groups and their children")
struct CancelTests {
    let environment: TestEnvironment
    init() throws { environment = try TestEnvironment() }

    @Test("a pending task ends at once as cancelled")
    func pending() async throws {
        let engine = environment.makeEngine(limits: [.nix: 1])
        try await engine.start(watchRequests: false)
        let blocker = try await engine.submitValue(ScriptKind.submission("sleep 30"))
        let waiting = try await engine.submitValue(ScriptKind.submission("echo never"))
        _ = try await environment.store.waitFor(blocker.id, toBe: [.running])
        #expect(try await engine.cancel(waiting.id) == .cancelled)
        let final = try #require(try environment.store.task(waiting.id))
        #expect(final.state == .failed && final.cancelled && final.failureReason == "cancelled")
        #expect(final.displayState == .cancelled)
        #expect(try environment.store.processes(of: waiting.id).isEmpty)
        _ = try await engine.cancel(blocker.id)
    }

    @Test("a running task that ignores SIGTERM is killed after the grace period, grandchildren too")
    func stubbornProcessGroup() async throws {
        let engine = environment.makeEngine(grace: .milliseconds(300))
        try await engine.start(watchRequests: false)
        let pids = environment.path("pids")
        let script = """
            trap '' TERM
            sh -c 'trap "" TERM; while true; do sleep 0.05; done' &
            echo $! >> \(pids)
            echo $$ >> \(pids)
            while true; do sleep 0.05; done
            """
        let record = try await engine.submitValue(ScriptKind.submission(script))
        _ = try await environment.store.waitFor(record.id, toBe: [.running])
        _ = try await readPID(pids)
        try await Task.sleep(for: .milliseconds(100))
        let started = ContinuousClock.now
        #expect(try await engine.cancel(record.id) == .cancelled)
        #expect(ContinuousClock.now - started < .seconds(10))
        let final = try #require(try environment.store.task(record.id))
        #expect(final.state == .failed && final.cancelled && final.failureReason == "cancelled")
        let recorded = try String(contentsOfFile: pids, encoding: .utf8).split(separator: "\n").compactMap { Int32($0) }
        #expect(recorded.count == 2)
        for pid in recorded { #expect(await eventually { !processIsAlive(pid) }, "pid \(pid) survived the cancel") }
        let process = try #require(try environment.store.processes(of: record.id).first)
        #expect(process.signal == SIGKILL)
    }

    @Test("a well-behaved process ends on SIGTERM, before the grace period")
    func gracefulTerm() async throws {
        // A long grace period: ending well before it shows SIGTERM did the work (bounds are loose
        // because the whole suite shares two cores).
        let engine = environment.makeEngine(grace: .seconds(20))
        try await engine.start(watchRequests: false)
        let record = try await engine.submitValue(ScriptKind.submission("exec sleep 60"))
        _ = try await environment.store.waitFor(record.id, toBe: [.running])
        try await Task.sleep(for: .milliseconds(100))
        let started = ContinuousClock.now
        _ = try await engine.cancel(record.id)
        #expect(ContinuousClock.now - started < .seconds(10))
        #expect(try environment.store.processes(of: record.id).first?.signal == SIGTERM)
    }

    @Test("cancelling a finished task changes nothing and says so")
    func finished() async throws {
        let engine = environment.makeEngine()
        try await engine.start(watchRequests: false)
        let record = try await engine.submitValue(ScriptKind.submission("true"))
        let done = try await environment.store.waitFor(record.id, toBe: [.completed])
        #expect(try await engine.cancel(record.id) == .alreadyEnded(.completed))
        #expect(try environment.store.task(record.id) == done)
    }

    @Test("a cancelled parent cancels its children")
    func parentCascade() async throws {
        let engine = environment.makeEngine(limits: [.remote: 1])
        try await engine.start(watchRequests: false)
        let parent = try await engine.submitValue(.object(["type": .string(ParentKind.type),
                                                           "scripts": .array([.string("sleep 60"), .string("sleep 60")])]))
        _ = try await environment.store.waitFor(parent.id, toBe: [.running])
        #expect(await eventually { ((try? environment.store.children(of: parent.id)) ?? []).contains { $0.state == .running } })
        #expect(try await engine.cancel(parent.id) == .cancelled)
        let final = try #require(try environment.store.task(parent.id))
        #expect(final.cancelled && final.state == .failed)
        let children = try environment.store.children(of: parent.id)
        #expect(children.count == 2)
        #expect(children.allSatisfy { $0.state == .failed && $0.cancelled }, "\(children.map(\.failureReason))")
    }

    @Test("shutdown stops never-ending tasks, records their final state, and keeps pending ones queued")
    func shutdown() async throws {
        let engine = environment.makeEngine(limits: [.nix: 1], grace: .milliseconds(300))
        try await engine.start(watchRequests: false)
        let endless = try await engine.submitValue(ScriptKind.submission("trap '' TERM; while true; do sleep 0.05; done"))
        let queued = try await engine.submitValue(ScriptKind.submission("echo later"))
        _ = try await environment.store.waitFor(endless.id, toBe: [.running])
        let started = ContinuousClock.now
        await engine.shutdown()
        // In-process and sharing two cores with the whole suite: the bound only proves shutdown does not
        // wait for the task (it never ends by itself). The 5 s exit of a real process is CLITests' "signals".
        #expect(ContinuousClock.now - started < .seconds(10), "shutdown must not wait for a task that ignores SIGTERM")
        let final = try #require(try environment.store.task(endless.id))
        #expect(final.state == .failed && final.cancelled && final.failureReason == "cancelled: the engine shut down")
        #expect(try environment.store.task(queued.id)?.state == .pending)

        // The next engine runs what was left pending.
        let next = environment.makeEngine()
        try await next.start(watchRequests: false)
        #expect(try await environment.store.waitFor(queued.id, toBe: [.completed, .failed]).state == .completed)
    }

    @Test("a cancel that comes after the task's process ended well leaves it completed, and says it had ended")
    func cancelAfterTheWork() async throws {
        let engine = environment.makeEngine()
        try await engine.start(watchRequests: false)
        let record = try await engine.submitValue(.object(["type": .string(LateEndKind.type)]))
        #expect(await eventually {
            (try? environment.store.processes(of: record.id).first?.endedAt) != nil
        }, "the process never ended")
        let result = try await engine.cancel(record.id)
        let ended = try #require(try environment.store.task(record.id))
        #expect(ended.state == .completed && !ended.cancelled, "\(ended.failureReason ?? "")")
        #expect(result == .alreadyEnded(.completed))
    }
}
