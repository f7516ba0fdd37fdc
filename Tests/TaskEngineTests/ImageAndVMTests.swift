import Foundation
import Testing
@testable import TaskEngine

@Suite("Build Image for Device and Run NixOS VM for Device run the real nix", .enabled(if: nixAndSSHAvailable))
struct ImageAndVMTests {
    let environment: TestEnvironment
    init() throws { environment = try TestEnvironment() }

    func image(_ project: FixtureProject, _ configuration: String) -> JSONValue {
        .object(["type": .string(BuildDeviceImageKind.type), "project_path": .string(project.path),
                 "device_identifier": .string(configuration), "device_state": .object([:])])
    }

    func vm(_ project: FixtureProject, _ configuration: String) -> JSONValue {
        .object(["type": .string(RunNixOSVMKind.type), "project_path": .string(project.path), "configuration_id": .string(configuration)])
    }

    @Test("an image is built and copied (not linked) into the project's image directory; progress shows path and size")
    func imageSuccess() async throws {
        let project = try FixtureProject(in: environment.path("fixture"), configurations: ["kiosk": .normal])
        try project.writeProjectFile(["images": ["directory": "out/images"]])
        let engine = environment.makeEngine()
        try await engine.start(watchRequests: false)
        let record = try await engine.submitValue(image(project, "kiosk"))
        let final = try await environment.store.waitFor(record.id, toBe: [.completed, .failed], timeout: .seconds(60))
        #expect(final.state == .completed, "\(final.failureReason ?? "")")
        let destination = project.path + "/out/images/kiosk.img"
        #expect(final.progress == "image \(destination) (64.0 KiB)")
        let attributes = try FileManager.default.attributesOfItem(atPath: destination)
        #expect(attributes[.type] as? FileAttributeType == .typeRegular)
        #expect(attributes[.size] as? Int == 65536)
        #expect((attributes[.posixPermissions] as? Int).map { $0 & 0o200 != 0 } == true, "the copy is writable, unlike the store")
        let steps = try environment.store.processes(of: record.id)
        #expect(steps.count == 2 && steps[1].program.hasSuffix("/cp"))
        #expect(steps[0].arguments.last == ".#nixosConfigurations.kiosk.config.system.build.image")
        #expect(steps[0].workingDirectory == project.path, "the flake reference is relative to the project directory")
    }

    @Test("a configuration without the image attribute fails with Nix's missing-attribute error")
    func imageMissingAttribute() async throws {
        let project = try FixtureProject(in: environment.path("fixture"), configurations: ["bare": .noImage])
        let engine = environment.makeEngine()
        try await engine.start(watchRequests: false)
        let record = try await engine.submitValue(image(project, "bare"))
        let final = try await environment.store.waitFor(record.id, toBe: [.completed, .failed], timeout: .seconds(60))
        let reason = final.failureReason ?? ""
        #expect(reason.hasPrefix("build failed: nix exited with 1: ") && reason.contains("does not provide attribute")
                && reason.contains("config.system.build.image"), "\(reason)")
    }

    @Test("the image attribute comes from the project file, per configuration")
    func imageAttributeFromProjectFile() async throws {
        let project = try FixtureProject(in: environment.path("fixture"), configurations: ["kiosk": .normal])
        try project.writeProjectFile(["configurations": ["kiosk": ["image_attribute": "config.system.build.toplevel"]]])
        let engine = environment.makeEngine()
        try await engine.start(watchRequests: false)
        let record = try await engine.submitValue(image(project, "kiosk"))
        let final = try await environment.store.waitFor(record.id, toBe: [.completed, .failed], timeout: .seconds(60))
        #expect(final.state == .completed, "\(final.failureReason ?? "")")
        #expect(try environment.store.processes(of: record.id).first?.arguments.last?.hasSuffix(".config.system.build.toplevel") == true)
        // The toplevel's largest file is its switch script.
        #expect(FileManager.default.fileExists(atPath: project.path + "/images/kiosk.img"))
    }

    @Test("cancelling an image build stops the builder")
    func imageCancel() async throws {
        let project = try FixtureProject(in: environment.path("fixture"), configurations: ["slow": .slowBuild])
        let engine = environment.makeEngine(grace: .seconds(3))
        try await engine.start(watchRequests: false)
        let record = try await engine.submitValue(image(project, "slow"))
        let marker = "\(project.nonce)-slow-build"
        #expect(await eventually(timeout: .seconds(30)) { builderPIDs(containing: marker).count > 0 })
        #expect(try await engine.cancel(record.id) == .cancelled)
        #expect(await eventually { builderPIDs(containing: marker).isEmpty })
    }

    @Test("a VM runs in the vm pool until cancelled; nothing of it is left afterwards")
    func vmRunsUntilCancelled() async throws {
        let project = try FixtureProject(in: environment.path("fixture"), configurations: ["kiosk": .normal])
        let engine = environment.makeEngine()
        try await engine.start(watchRequests: false)
        let record = try await engine.submitValue(vm(project, "kiosk"))
        #expect(await eventually(timeout: .seconds(30)) {
            ((try? environment.store.allText(record.id, process: 1, stream: .stdout)) ?? "").contains("kiosk login:")
        })
        let running = try #require(try environment.store.task(record.id))
        #expect(running.state == .running && running.pool == "vm")
        #expect(running.progress == "running run-kiosk-vm")
        #expect(!builderPIDs(containing: "vm-kiosk-\(project.nonce)").isEmpty)
        #expect(try await engine.cancel(record.id) == .cancelled)
        #expect(await eventually { builderPIDs(containing: "vm-kiosk-\(project.nonce)").isEmpty }, "the VM outlived its task")
        #expect(try environment.store.task(record.id)?.displayState == .cancelled)
    }

    @Test("engine shutdown does not wait for a running VM: it is stopped within the grace period")
    func vmShutdown() async throws {
        let project = try FixtureProject(in: environment.path("fixture"), configurations: ["kiosk": .normal])
        let engine = environment.makeEngine(grace: .seconds(2))
        try await engine.start(watchRequests: false)
        let record = try await engine.submitValue(vm(project, "kiosk"))
        #expect(await eventually(timeout: .seconds(30)) {
            ((try? environment.store.allText(record.id, process: 1, stream: .stdout)) ?? "").contains("booting kiosk")
        })
        let started = ContinuousClock.now
        await engine.shutdown()
        #expect(ContinuousClock.now - started < .seconds(3))
        #expect(try environment.store.task(record.id)?.failureReason == "cancelled: the engine shut down")
        #expect(await eventually { builderPIDs(containing: "vm-kiosk-\(project.nonce)").isEmpty })
    }

    @Test("a VM whose build fails fails the task with the build error")
    func vmBuildError() async throws {
        let project = try FixtureProject(in: environment.path("fixture"), configurations: ["broken": .failingBuild])
        let engine = environment.makeEngine()
        try await engine.start(watchRequests: false)
        let record = try await engine.submitValue(vm(project, "broken"))
        let final = try await environment.store.waitFor(record.id, toBe: [.completed, .failed], timeout: .seconds(60))
        #expect(final.failureReason?.contains("failed with exit code 42") == true, "\(final.failureReason ?? "")")
        #expect(final.failureReason?.hasPrefix("build failed: ") == true)
    }
}
