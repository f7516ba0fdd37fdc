import Foundation
import Testing
@testable import TaskEngine

@Suite("pools limit concurrency; parents group children")
struct SchedulingTests {
    let environment: TestEnvironment
    init() throws { environment = try TestEnvironment() }

    @Test("a task waits pending while its pool is full, and pools are FIFO")
    func poolLimit() async throws {
        let engine = environment.makeEngine(limits: [.nix: 1, .remote: 1])
        try await engine.start(watchRequests: false)
        let gate = environment.path("gate")
        let first = try await engine.submitValue(ScriptKind.submission("while [ ! -e \(gate) ]; do sleep 0.02; done", name: "first"))
        let second = try await engine.submitValue(ScriptKind.submission("date +%s%N", name: "second"))
        let third = try await engine.submitValue(ScriptKind.submission("date +%s%N", name: "third"))
        let other = try await engine.submitValue(ScriptKind.submission("true", name: "other-pool", pool: "remote"))
        _ = try await environment.store.waitFor(first.id, toBe: [.running])
        // Another pool is not blocked by a full one.
        #expect(try await environment.store.waitFor(other.id, toBe: [.completed]).state == .completed)
        try await Task.sleep(for: .milliseconds(200))
        #expect(try environment.store.task(second.id)?.state == .pending)
        #expect(try environment.store.task(third.id)?.state == .pending)
        FileManager.default.createFile(atPath: gate, contents: nil)
        let secondDone = try await environment.store.waitFor(second.id, toBe: [.completed])
        let thirdDone = try await environment.store.waitFor(third.id, toBe: [.completed])
        #expect(secondDone.startedAt! <= thirdDone.startedAt!)
        #expect(secondDone.endedAt! <= thirdDone.startedAt!, "with one slot the third starts after the second ended")
    }

    @Test("a parent completes when all children completed; it takes no slot")
    func parentCompletes() async throws {
        let engine = environment.makeEngine(limits: [.nix: 1, .remote: 1])
        try await engine.start(watchRequests: false)
        let parent = try await engine.submitValue(.object(["type": .string(ParentKind.type),
                                                           "scripts": .array([.string("echo a"), .string("echo b")])]))
        let final = try await environment.store.waitFor(parent.id, toBe: [.completed, .failed])
        #expect(final.state == .completed)
        let children = try environment.store.children(of: parent.id)
        #expect(children.count == 2)
        #expect(children.allSatisfy { $0.state == .completed && $0.parentID == parent.id && $0.pool == "remote" })
    }

    @Test("one failing child fails only itself, and the parent names it")
    func parentNamesFailedChild() async throws {
        let engine = environment.makeEngine(limits: [.remote: 8])
        try await engine.start(watchRequests: false)
        let parent = try await engine.submitValue(.object(["type": .string(ParentKind.type),
                                                           "scripts": .array([.string("true"), .string("exit 7"), .string("true")])]))
        let final = try await environment.store.waitFor(parent.id, toBe: [.completed, .failed])
        #expect(final.state == .failed)
        #expect(final.failureReason == "1 of 3 failed: child-1 (script failed: sh exited with 7)")
        let states = try environment.store.children(of: parent.id).map(\.state)
        #expect(states == [.completed, .failed, .completed])
    }

    @Test("retry makes a new task with the same submission, linked by retry_of")
    func retry() async throws {
        let engine = environment.makeEngine()
        try await engine.start(watchRequests: false)
        let original = try await engine.submitValue(ScriptKind.submission("exit 1", name: "flaky"))
        _ = try await environment.store.waitFor(original.id, toBe: [.failed])
        let retried = try await engine.retry(original.id)
        #expect(retried.retryOf == original.id)
        #expect(retried.submission == original.submission)
        #expect(retried.id != original.id)
        _ = try await environment.store.waitFor(retried.id, toBe: [.failed])
    }

    @Test("the engine publishes changes as an async stream")
    func events() async throws {
        let engine = environment.makeEngine()
        try await engine.start(watchRequests: false)
        let stream = await engine.events()
        let record = try await engine.submitValue(ScriptKind.submission("echo hi"))
        var sawOutput = false
        var sawEnd = false
        for await event in stream {
            if event == .outputAppended(record.id) { sawOutput = true }
            if event == .taskChanged(record.id), try environment.store.task(record.id)?.state == .completed { sawEnd = true }
            if sawOutput && sawEnd { break }
        }
        #expect(sawOutput && sawEnd)
    }
}
