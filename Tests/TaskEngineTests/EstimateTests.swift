import Foundation
import Testing
@testable import TaskEngine

@Suite("estimates come from the median of past durations, and are absent without history")
struct EstimateTests {
    let environment: TestEnvironment
    init() throws { environment = try TestEnvironment() }

    @Test("no history, no estimate; then the median of the same type and target")
    func taskEstimate() async throws {
        let engine = environment.makeEngine()
        try await engine.start(watchRequests: false)
        let first = try await engine.submitValue(ScriptKind.submission("sleep 0.3", name: "kiosk"))
        _ = try await environment.store.waitFor(first.id, toBe: [.running])
        let firstRecord = try #require(try environment.store.task(first.id))
        #expect(environment.store.estimate(for: firstRecord) == nil)
        _ = try await environment.store.waitFor(first.id, toBe: [.completed])
        for _ in 0..<2 {
            let next = try await engine.submitValue(ScriptKind.submission("sleep 0.3", name: "kiosk"))
            _ = try await environment.store.waitFor(next.id, toBe: [.completed])
        }
        let expected = try #require(try environment.store.estimatedDuration(type: ScriptKind.type, target: "kiosk"))
        #expect(expected >= 0.3 && expected < 30)
        #expect(try environment.store.estimatedDuration(type: ScriptKind.type, target: "other") == nil)
        let running = try await engine.submitValue(ScriptKind.submission("sleep 5", name: "kiosk"))
        _ = try await environment.store.waitFor(running.id, toBe: [.running])
        let runningRecord = try #require(try environment.store.task(running.id))
        let estimate = try #require(environment.store.estimate(for: runningRecord))
        #expect(estimate.expected == expected)
        #expect(estimate.description(format: { String(format: "%.0fs", $0) }).hasPrefix("est. "))
        _ = try await engine.cancel(running.id)
    }

    @Test("the median ignores outliers")
    func median() {
        #expect(TaskStore.median([]) == nil)
        #expect(TaskStore.median([3]) == 3)
        #expect(TaskStore.median([1, 100, 2]) == 2)
        #expect(TaskStore.median([1, 2, 3, 4]) == 2.5)
    }

    @Test("derivation build times are recorded from real nix builds")
    func derivationTimes() async throws {
        let project = environment.path("timed")
        try makeFlake(in: project, configurations: ["timed": "sleep 0.2; mkdir -p $out"])
        let engine = environment.makeEngine()
        try await engine.start(watchRequests: false)
        let record = try await engine.submit(Data(#"{"type": "build_project_task", "project_path": "\#(project)"}"#.utf8))
        _ = try await environment.store.waitFor(record.id, toBe: [.completed, .failed], timeout: .seconds(60))
        let snapshot = try environment.store.processes(of: record.id).last?.nixStateJSON
        let state = try #require(NixStateSnapshot.decode(snapshot))
        let name = try #require(state.derivations.first?.name)
        let seconds = try #require(try environment.store.estimatedBuildDuration(derivationName: name))
        #expect(seconds >= 0.2 && seconds < 10)
    }
}

@Suite("the store's change counter lets a front end read only what changed")
struct ChangeCounterTests {
    let environment: TestEnvironment
    init() throws { environment = try TestEnvironment() }

    @Test("inserts and visible changes bump the counter; reading since a version returns just those tasks")
    func changedSince() async throws {
        let start = try environment.store.taskVersion()
        let engine = environment.makeEngine()
        try await engine.start(watchRequests: false)
        let first = try await engine.submitValue(ScriptKind.submission("echo one"))
        _ = try await environment.store.waitFor(first.id, toBe: [.completed])
        let afterFirst = try environment.store.taskVersion()
        #expect(afterFirst >= start + 3, "insert, start and end each count")
        let (changed, version) = try environment.store.tasksChanged(since: start)
        #expect(changed.map(\.id) == [first.id])
        #expect(version == afterFirst)
        let second = try await engine.submitValue(ScriptKind.submission("echo two"))
        _ = try await environment.store.waitFor(second.id, toBe: [.completed])
        let (later, _) = try environment.store.tasksChanged(since: afterFirst)
        #expect(later.map(\.id) == [second.id])
        #expect(later.first?.state == .completed)
    }
}
