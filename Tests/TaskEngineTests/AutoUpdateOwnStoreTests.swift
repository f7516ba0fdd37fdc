import Foundation
import Testing
@testable import TaskEngine

/// Auto-update's deploy against a device with a store of its own (issue 24): the updated closure
/// travels into the device's store, its profile gains a generation and its switch is confirmed,
/// three levels down (Auto-update → Deploy Devices → Deploy to Device).
@Suite("Auto-update deploys to a device with its own Nix store", .serialized,
       .enabled(if: nixAndSSHAvailable && OwnStoreDevice.isAvailable))
struct AutoUpdateOwnStoreTests {
    let environment: TestEnvironment
    let device: OwnStoreDevice
    init() throws {
        environment = try TestEnvironment()
        device = try OwnStoreDevice()
    }

    @Test("an updated input is committed and deployed: the closure is copied into the device's store, generation 1, confirmed")
    func updateAndDeploy() async throws {
        let input = environment.path("input")
        try FileManager.default.createDirectory(atPath: input, withIntermediateDirectories: true)
        try AutoUpdateTests.writeInput(input, value: 1)
        let project = try FixtureProject(in: environment.path("fixture"), configurations: ["kiosk": .normal], input: input)
        try project.writeProjectFile(["devices": [device.projectFileEntry("kiosk-1")], "ssh": ["identity": device.clientKey, "connect_timeout": 5]])
        let engine = environment.makeEngine()
        try await engine.start(watchRequests: false)
        let update = try await engine.submitValue(.object(["type": .string(AutoUpdateKind.type), "project_path": .string(project.path)]))
        let final = try await environment.store.waitFor(update.id, toBe: [.completed, .failed], timeout: .seconds(120))
        #expect(final.state == .completed, "\(final.failureReason ?? "")")

        let deploy = try #require(try environment.store.children(of: update.id).first)
        let child = try #require(try environment.store.children(of: deploy.id).first)
        #expect(child.state == .completed && child.target == "kiosk-1", "\(child.failureReason ?? "")")
        let result = try #require(child.result(as: DeployDeviceResult.self))
        #expect(result.switchOutcome?.ending == .confirmed && result.new.generation == 1)
        #expect(result.copied?.paths == 1)
        // Copied by this deploy: in the device's own layer, not in the cached root, not switched on the host.
        let toplevel = try #require(try device.profileTarget())
        #expect(toplevel == result.new.storePath)
        #expect(FileManager.default.fileExists(atPath: device.upper + toplevel))
        #expect(!FileManager.default.fileExists(atPath: OwnStoreDevice.root + toplevel))
        #expect(try device.lines(of: project.switchMarker) == ["kiosk switched"] && project.switches.isEmpty)
    }
}
