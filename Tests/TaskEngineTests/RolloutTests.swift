import Foundation
import Testing
@testable import TaskEngine

/// Rollout in waves (issue 26) over three devices with stores, profiles and sshds of their own.
@Suite("Rollout in waves: canaries first, each wave after the last one ended, a failure halts the rest",
       .serialized, .enabled(if: nixAndSSHAvailable && OwnStoreDevice.isAvailable))
struct RolloutTests {
    let environment: TestEnvironment
    let devices: [OwnStoreDevice]
    init() throws {
        environment = try TestEnvironment()
        devices = try (1...3).map { _ in try OwnStoreDevice() }
    }

    var identifiers: [String] { devices.indices.map { "kiosk-\($0 + 1)" } }

    func deploy(_ project: FixtureProject, _ extra: [String: JSONValue] = [:]) -> JSONValue {
        var fields: [String: JSONValue] = [
            "type": .string(DeployDevicesKind.type), "project_path": .string(project.path),
            "devices": .array(zip(identifiers, devices).map { $1.deviceEntry($0) }),
            "ssh_key_path": .string(devices[0].clientKey), "connect_timeout": .number(5),
        ]
        fields.merge(extra) { $1 }
        return .object(fields)
    }

    /// Every device accepts the first device's client key (one controller key for the fleet).
    func shareKey() throws {
        let key = try String(contentsOfFile: devices[0].clientKey + ".pub", encoding: .utf8)
        for device in devices.dropFirst() { try key.write(toFile: try device.path("/root/.ssh/authorized_keys"), atomically: false, encoding: .utf8) }
    }

    func run(_ engine: TaskEngine, _ submission: JSONValue) async throws -> (TaskRecord, [TaskRecord]) {
        let parent = try await engine.submitValue(submission)
        let final = try await environment.store.waitFor(parent.id, toBe: [.completed, .failed], timeout: .seconds(180))
        let children = try environment.store.children(of: parent.id)
        return (final, identifiers.compactMap { id in children.first { $0.target == id } })
    }

    @Test("canary, then waves of one: every wave starts after the one before ended; all confirmed")
    func waves() async throws {
        try shareKey()
        let engine = environment.makeEngine()
        try await engine.start(watchRequests: false)
        let project = try FixtureProject(in: environment.path("fixture"), configurations: ["kiosk": .normal])
        let (parent, children) = try await run(engine, deploy(project, ["canary": .array([.string("kiosk-2")]), "wave_size": .number(1)]))
        #expect(parent.state == .completed, "\(parent.failureReason ?? "")")
        #expect(parent.progress == "3/3 confirmed", "\(parent.progress ?? "")")
        let result = try #require(parent.result(as: RolloutResult.self))
        #expect(result.waves.map { $0.map(\.identifier) } == [["kiosk-2"], ["kiosk-1"], ["kiosk-3"]])
        #expect(result.waves.joined().allSatisfy { $0.outcome == .confirmed })
        // kiosk-2 (canary) ended before kiosk-1 started, which ended before kiosk-3 started.
        let byID = Dictionary(uniqueKeysWithValues: children.map { ($0.target ?? "", $0) })
        for (earlier, later) in [("kiosk-2", "kiosk-1"), ("kiosk-1", "kiosk-3")] {
            let ended = try #require(byID[earlier]?.endedAt), started = try #require(byID[later]?.startedAt)
            #expect(ended <= started, "\(later) started before \(earlier) ended")
        }
        for device in devices { #expect(try device.generation() == 1) }
    }

    @Test("a canary that rolls back halts the rollout: the others never switch, and their rows say why")
    func canaryHalts() async throws {
        try shareKey()
        let engine = environment.makeEngine()
        try await engine.start(watchRequests: false)
        let project = try FixtureProject(in: environment.path("fixture"), configurations: ["kiosk": .normal])
        let (first, _) = try await run(engine, deploy(project))
        #expect(first.state == .completed, "\(first.failureReason ?? "")")
        let before = try devices.map { try $0.profileTarget() }

        try project.changeDerivations()
        try project.commit("second")
        // The canary's health check fails: it rolls back, and the budget (0) is used up.
        try project.writeProjectFile(["devices": zip(identifiers, devices).map { id, device in
            device.projectFileEntry(id, extra: id == "kiosk-1" ? ["health_command": "echo degraded; exit 3"] : [:])
        }])
        let (parent, children) = try await run(engine, deploy(project, ["canary": .array([.string("kiosk-1")])]))
        #expect(parent.state == .failed)
        let halt = "kiosk-1 rolled back in wave 1 (1 failure, 0 allowed)"
        #expect(parent.failureReason == "rollout halted: \(halt); 2 devices not started", "\(parent.failureReason ?? "")")
        #expect(parent.progress == "0/3 confirmed · 1 rolled back · 2 not started", "\(parent.progress ?? "")")
        #expect(children.count == 3)
        #expect(children[0].failureReason?.hasPrefix("health check failed (exit 3: \"degraded\"); rolled back to generation 1") == true)
        for child in children.dropFirst() {
            #expect(child.cancelled && child.failureReason == "not started: the rollout halted after \(halt)", "\(child.failureReason ?? "")")
            #expect(try environment.store.processes(of: child.id).isEmpty)
        }
        // Nobody switched: every profile is where it was (the canary is back on it).
        #expect(try devices.map { try $0.profileTarget() } == before)
        for device in devices { #expect(try device.generation() == 1) }
        let result = try #require(parent.result(as: RolloutResult.self))
        #expect(result.waves.joined().map(\.outcome) == [.rolledBack, .notStarted, .notStarted] && result.haltedBy == halt)
    }
}
