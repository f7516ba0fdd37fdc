import Foundation
import Testing
@testable import TaskEngine

/// Run now (issue 30: 16): a pending task starts at once past its pool's limit, recorded with who
/// asked, in this process or through the request table; the limit still holds for the others.
@Suite("run now: a pending task past its pool's limit")
struct RunNowTests {
    let environment: TestEnvironment
    init() throws { environment = try TestEnvironment() }

    @Test("run now starts the second of a full one-slot pool at once; the third still waits its turn")
    func startsPastTheLimit() async throws {
        let engine = environment.makeEngine(limits: [.nix: 1])
        try await engine.start(watchRequests: false)
        let gate = environment.path("gate")
        let wait = "while [ ! -e \(gate) ]; do sleep 0.02; done"
        let first = try await engine.submitValue(ScriptKind.submission(wait, name: "first"))
        let second = try await engine.submitValue(ScriptKind.submission(wait, name: "second"))
        let third = try await engine.submitValue(ScriptKind.submission("true", name: "third"))
        _ = try await environment.store.waitFor(first.id, toBe: [.running])
        #expect(try environment.store.task(second.id)?.state == .pending)

        #expect(try await engine.runNow(third.id, by: "alice via a test") == .started)
        let jumped = try await environment.store.waitFor(third.id, toBe: [.completed])
        #expect(jumped.runNowBy == "alice via a test")
        #expect(try environment.store.task(first.id)?.state == .running, "the first still holds the slot")
        // The pool is back at its limit, not over it: the second keeps waiting for the first.
        try await Task.sleep(for: .milliseconds(200))
        #expect(try environment.store.task(second.id)?.state == .pending)
        #expect(try environment.store.task(second.id)?.runNowBy == nil)

        #expect(try await engine.runNow(first.id, by: "alice") == .notPending(.running))
        FileManager.default.createFile(atPath: gate, contents: nil)
        let secondDone = try await environment.store.waitFor(second.id, toBe: [.completed])
        #expect(secondDone.runNowBy == nil, "started in its turn")
        #expect(try await engine.runNow(second.id, by: "alice") == .notPending(.completed))
    }

    @Test("a run_now request through the request table is carried out and answered, with who asked")
    func throughTheRequestTable() async throws {
        let engine = environment.makeEngine(limits: [.nix: 1])
        try await engine.start()
        let gate = environment.path("gate")
        let first = try await engine.submitValue(ScriptKind.submission("while [ ! -e \(gate) ]; do sleep 0.02; done", name: "first"))
        let second = try await engine.submitValue(ScriptKind.submission("true", name: "second"))
        _ = try await environment.store.waitFor(first.id, toBe: [.running])
        let client = EngineClient(directory: environment.directory, store: environment.store)
        // The test holds no lock, so tell the client an engine exists by taking the lock ourselves.
        let lock = try #require(try EngineLock.acquire(in: environment.directory))
        defer { _ = lock }
        let (_, answer) = try await client.send(.runNow, payload: RunNowRequest(id: String(second.id.uuidString.prefix(8)), by: "bob via the dashboard").payload,
                                                timeout: .seconds(10))
        #expect(answer == .done(RunNowResult.startedMessage))
        #expect(try await environment.store.waitFor(second.id, toBe: [.completed]).runNowBy == "bob via the dashboard")
        let (_, bad) = try await client.send(.runNow, payload: "not json", timeout: .seconds(10))
        guard case .failed(let error) = bad else { Issue.record("a malformed request was not refused: \(bad)"); return }
        #expect(error.description.contains("run_now request"), "\(error)")
        FileManager.default.createFile(atPath: gate, contents: nil)
        await engine.shutdown()
    }
}
