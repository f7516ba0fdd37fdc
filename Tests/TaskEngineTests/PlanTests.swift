import Foundation
import Testing
@testable import TaskEngine

/// Plan Deploy (issue 27) against a device with a store of its own: what a new commit would change
/// (packages, sizes, units, reboot), found without switching, and checked against Nix's own
/// `nix store diff-closures` on the device.
@Suite("Plan Deploy: what a deploy would change on each device, without switching", .serialized,
       .enabled(if: nixAndSSHAvailable && OwnStoreDevice.isAvailable))
struct PlanTests {
    let environment: TestEnvironment
    let device: OwnStoreDevice
    init() throws {
        environment = try TestEnvironment()
        device = try OwnStoreDevice()
    }

    func submission(_ project: FixtureProject, plan: Bool) -> JSONValue {
        .object(["type": .string(DeployDevicesKind.type), "project_path": .string(project.path), "plan": .bool(plan),
                 "devices": .array([device.deviceEntry("kiosk-1")]), "ssh_key_path": .string(device.clientKey), "connect_timeout": .number(5)])
    }

    func run(_ engine: TaskEngine, _ value: JSONValue) async throws -> (TaskRecord, TaskRecord) {
        let parent = try await engine.submitValue(value)
        let final = try await environment.store.waitFor(parent.id, toBe: [.completed, .failed], timeout: .seconds(120))
        return (final, try #require(try environment.store.children(of: parent.id).first))
    }

    @Test("packages, sizes, copied bytes, units and a new kernel, as diff-closures sees them; the device keeps running its system")
    func plan() async throws {
        let engine = environment.makeEngine()
        try await engine.start(watchRequests: false)
        let project = try FixtureProject(in: environment.path("fixture"),
                                         configurations: ["kiosk": .system(packages: ["hello-2.10", "curl-8.0"], kernel: "6.1")])
        let (deployed, _) = try await run(engine, submission(project, plan: false))
        #expect(deployed.state == .completed, "\(deployed.failureReason ?? "")")
        let running = try #require(try device.profileTarget())

        try project.rewrite(["kiosk": .system(packages: ["hello-2.12", "openssl-3.0.1"], kernel: "6.6")])
        try project.commit("new packages and kernel")
        let (parent, child) = try await run(engine, submission(project, plan: true))
        #expect(parent.state == .completed && child.state == .completed, "\(child.failureReason ?? parent.failureReason ?? "")")
        #expect(parent.displayName == "Plan Deploy Devices" && child.type == PlanDeviceKind.type)
        let plan = try #require(child.result(as: DevicePlan.self))
        #expect(plan.current == running && plan.new != running && !plan.noChange)
        let changes = Set(plan.diff.versionChanges.map(\.versionText))
        #expect(changes == ["hello: 2.10 → 2.12", "openssl: ∅ → 3.0.1", "curl: 8.0 → ∅", "linux: 6.1 → 6.6", "initrd: 6.1 → 6.6"], "\(changes)")
        #expect(plan.units.stop == ["old-kiosk.service"] && plan.units.restart == ["kiosk.service", "sshd.service"]
                && plan.units.start == ["hello.service"] && plan.units.reload.isEmpty)
        #expect(plan.rebootRequired && plan.rebootBecause == ["kernel", "initrd"])
        #expect(plan.copied?.paths == 5, "\(String(describing: plan.copied))")
        #expect(plan.diff.sizeBefore > 0 && plan.diff.sizeAfter > 0)

        // Nix's own account of the same two closures, on the device (Nix 2.26), agrees on every name and version.
        let nix = try device.output(of: "nix --extra-experimental-features nix-command store diff-closures \(running) \(plan.new)")
        let nixChanges = Set(nix.replacingOccurrences(of: "\u{1B}\\[[0-9;]*m", with: "", options: .regularExpression)
            .split(separator: "\n").compactMap { line -> String? in
                guard line.contains("→") else { return nil }
                return line.split(separator: ",").first.map { String($0) }
            })
        #expect(nixChanges == changes, "nix: \(nix)")

        // Nothing switched: same profile generation, same system, no switch ran.
        #expect(try device.generation() == 1 && device.profileTarget() == running)
        #expect(try device.lines(of: project.switchMarker) == ["kiosk switched"])
        // The parent sums up the fleet.
        let fleet = try #require(parent.result(as: FleetPlan.self))
        #expect(fleet.changing == ["kiosk-1"] && fleet.rebootRequired == ["kiosk-1"])
        #expect(fleet.packages.contains(FleetPlan.PackageChange(change: "hello: 2.10 → 2.12", devices: ["kiosk-1"])))

        // Deployed, then planned again: no change.
        #expect(try await run(engine, submission(project, plan: false)).0.state == .completed)
        let (_, again) = try await run(engine, submission(project, plan: true))
        let none = try #require(again.result(as: DevicePlan.self))
        #expect(none.noChange && none.summary == "no change: the device runs this system already")
    }
}
