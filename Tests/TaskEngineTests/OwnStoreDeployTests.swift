import Foundation
import Testing
@testable import TaskEngine

/// Deploys to a device with a Nix store of its own (issue 24): Nix 2.26 and sshd in a Debian 13
/// root of their own (`OwnStoreDevice`), so the closure really travels, the device's Nix checks
/// what it receives, and the profile and switch are the device's.
@Suite("Deploy to a device with its own Nix store: the closure is copied, the device's profile set and its switch run there",
       .serialized, .enabled(if: nixAndSSHAvailable && OwnStoreDevice.isAvailable))
struct OwnStoreDeployTests {
    let environment: TestEnvironment
    let device: OwnStoreDevice
    init() throws {
        environment = try TestEnvironment()
        device = try OwnStoreDevice()
    }

    func deploy(_ project: FixtureProject, _ devices: [JSONValue]) -> JSONValue {
        .object(["type": .string(DeployDevicesKind.type), "project_path": .string(project.path),
                 "devices": .array(devices), "ssh_key_path": .string(device.clientKey), "connect_timeout": .number(5)])
    }

    func run(_ submission: JSONValue, timeout: Duration = .seconds(90)) async throws -> (parent: TaskRecord, child: TaskRecord) {
        let engine = environment.makeEngine()
        try await engine.start(watchRequests: false)
        let parent = try await engine.submitValue(submission)
        let final = try await environment.store.waitFor(parent.id, toBe: [.completed, .failed], timeout: timeout)
        let child = try #require(try environment.store.children(of: parent.id).first)
        return (final, child)
    }

    @Test("a deploy copies the closure into the device's store, adds a profile generation and switches there; a second adds one more")
    func success() async throws {
        let project = try FixtureProject(in: environment.path("fixture"), configurations: ["kiosk": .normal])
        #expect(try device.generation() == nil)
        let (parent, child) = try await run(deploy(project, [device.deviceEntry("kiosk-1")]))
        #expect(parent.state == .completed, "\(child.failureReason ?? parent.failureReason ?? "")")
        let toplevel = try #require(try device.profileTarget())
        #expect(toplevel.hasPrefix("/nix/store/") && toplevel.hasSuffix("-toplevel-kiosk-\(project.nonce)"), "\(toplevel)")
        // In the device's store because this deploy put it there: the overlay's upper layer holds
        // exactly what the device wrote, and the cached root never had it.
        #expect(FileManager.default.fileExists(atPath: device.upper + toplevel))
        #expect(!FileManager.default.fileExists(atPath: OwnStoreDevice.root + toplevel))
        #expect(try device.generation() == 1)
        // The switch ran on the device, not on the controller.
        #expect(try device.lines(of: project.switchMarker) == ["kiosk switched"])
        #expect(project.switches.isEmpty)
        // The copy skipped the signature check: the login is root on the device.
        let copy = try #require(try environment.store.processes(of: child.id).first { $0.arguments.first == "copy" })
        #expect(copy.arguments.contains("--no-check-sigs") && copy.arguments.contains("ssh-ng://root@127.0.0.1"))
        // Nix's ssh gets the same trust settings as every ssh of the deploy.
        let sshOpts = try #require(copy.environment["NIX_SSHOPTS"])
        for option in ["BatchMode=yes", "StrictHostKeyChecking=yes", "-p \(device.port)", "-i \(device.clientKey)"] {
            #expect(sshOpts.contains(option), "\(sshOpts)")
        }
        // What the device ran before and runs now, read on the device.
        let result = try #require(try environment.store.task(child.id)?.result(as: DeployDeviceResult.self))
        #expect(result.previous == nil && result.new == DeviceSystem(storePath: toplevel, generation: 1))

        // A new commit: generation 2, the previous system recorded as generation 1.
        try project.changeDerivations()
        try project.commit("second")
        let (secondParent, secondChild) = try await run(deploy(project, [device.deviceEntry("kiosk-1")]))
        #expect(secondParent.state == .completed, "\(secondChild.failureReason ?? "")")
        #expect(try device.generation() == 2)
        let second = try #require(try environment.store.task(secondChild.id)?.result(as: DeployDeviceResult.self))
        #expect(second.previous == DeviceSystem(storePath: toplevel, generation: 1))
        #expect(second.new.generation == 2 && second.new.storePath != toplevel)
        #expect(try device.lines(of: project.switchMarker) == ["kiosk switched", "kiosk switched"])
    }

    @Test("a copy that checks signatures of an unsigned closure is refused by the device, with what to do")
    func unsignedRefused() async throws {
        let project = try FixtureProject(in: environment.path("fixture"), configurations: ["kiosk": .normal])
        // A key the device does not trust: the copy then checks signatures and the device says no.
        let key = environment.path("untrusted.sec")
        try generateKey(named: "untrusted", to: key)
        try project.writeProjectFile(["nix": ["signing_key": key]])
        try project.commit("signing key")
        let (parent, child) = try await run(deploy(project, [device.deviceEntry("kiosk-1")]))
        #expect(parent.state == .failed)
        let reason = child.failureReason ?? ""
        #expect(reason.hasPrefix("copy failed: nix exited with 1: ") && reason.contains("lacks a signature by a trusted key")
                && reason.contains("the device does not trust nix.signing_key: add its public key"), "\(reason)")
        #expect(try device.generation() == nil)
        #expect(try device.lines(of: project.switchMarker).isEmpty)
    }

    @Test("with nix.signing_key trusted by the device, the closure is signed and copied with the check on")
    func signedCopy() async throws {
        let key = environment.path("controller.sec")
        let publicKey = try generateKey(named: "controller", to: key)
        // The device trusts the controller's key (as a NixOS device with trusted-public-keys would).
        try "extra-trusted-public-keys = \(publicKey)\n".appendLine(to: try device.path("/etc/nix/nix.conf"))
        let project = try FixtureProject(in: environment.path("fixture"), configurations: ["kiosk": .normal])
        try project.writeProjectFile(["nix": ["signing_key": key]])
        try project.commit("signing key")
        let (parent, child) = try await run(deploy(project, [device.deviceEntry("kiosk-1")]))
        #expect(parent.state == .completed, "\(child.failureReason ?? "")")
        let steps = try environment.store.processes(of: child.id)
        #expect(steps.map { $0.arguments.first ?? "" }.prefix(5) == ["build", "store", "path-info", "-o", "copy"])
        let toplevel = try #require(try device.profileTarget())
        #expect(steps[1].arguments.starts(with: ["store", "sign"]) && steps[1].arguments.suffix(4) == ["--key-file", key, "--recursive", toplevel],
                "\(steps[1].arguments)")
        #expect(!steps[4].arguments.contains("--no-check-sigs"))
        #expect(try device.generation() == 1)
    }

    @Test("a connection dropped mid-copy fails the task with ssh's reason; a retry once the device is back completes")
    func droppedConnection() async throws {
        // 600 MB: the copy runs for seconds (Nix 2.8's ssh-ng copy reports no bytes, so the drop is timed from its start).
        let project = try FixtureProject(in: environment.path("fixture"), configurations: ["kiosk": .large(megabytes: 600)])
        let engine = environment.makeEngine()
        try await engine.start(watchRequests: false)
        let parent = try await engine.submitValue(deploy(project, [device.deviceEntry("kiosk-1")]))
        let copying = await eventually(timeout: .seconds(120)) {
            guard let child = try? environment.store.children(of: parent.id).first,
                  let copy = try? environment.store.processes(of: child.id).first(where: { $0.arguments.first == "copy" }) else { return false }
            return copy.pid != nil
        }
        #expect(copying, "the copy never started")
        try await Task.sleep(for: .milliseconds(700))
        device.stop()
        let final = try await environment.store.waitFor(parent.id, toBe: [.completed, .failed], timeout: .seconds(60))
        #expect(final.state == .failed)
        let child = try #require(try environment.store.children(of: parent.id).first)
        let reason = child.failureReason ?? ""
        #expect(reason.hasPrefix("copy failed: nix exited with 1") && (reason.contains("; ssh: ") || reason.contains("the connection to the device was lost")),
                "\(reason)")
        #expect(try device.generation() == nil)

        try device.boot()
        let retried = try await engine.retry(child.id)
        let again = try await environment.store.waitFor(retried.id, toBe: [.completed, .failed], timeout: .seconds(120))
        #expect(again.state == .completed, "\(again.failureReason ?? "")")
        #expect(try device.generation() == 1)
        #expect(try device.lines(of: project.switchMarker) == ["kiosk switched"])
    }

    @Test("a large closure's copy shows what is copied of what must be, with a rate, before it ends; a second deploy copies only what changed")
    func copyProgress() async throws {
        let project = try FixtureProject(in: environment.path("fixture"), configurations: ["kiosk": .large(megabytes: 300)])
        let engine = environment.makeEngine()
        try await engine.start(watchRequests: false)
        let parent = try await engine.submitValue(deploy(project, [device.deviceEntry("kiosk-1")]))
        // The child's row while it runs, sampled the way a dashboard reads it.
        var seen: [String] = []
        let deadline = ContinuousClock.now + .seconds(180)
        while ContinuousClock.now < deadline {
            if let child = try environment.store.children(of: parent.id).first {
                if let progress = child.progress, progress.hasPrefix("copying"), seen.last != progress { seen.append(progress) }
                if child.state.isFinal { break }
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        let child = try #require(try environment.store.children(of: parent.id).first)
        #expect(child.state == .completed, "\(child.failureReason ?? "")")
        // "copying 120 MB of 315 MB (1 path) to root@127.0.0.1:PORT · 110 MB/s · 2 s left"
        let intermediate = seen.filter { line in
            guard let done = Self.megabytes(in: line, at: 1), let total = Self.megabytes(in: line, at: 4) else { return false }
            return done > 0 && done < total
        }
        #expect(!intermediate.isEmpty, "no value between 0 and the total: \(seen)")
        #expect(seen.contains { $0.contains("(1 path)") && $0.contains("MB/s") }, "\(seen)")
        let copied = try #require(child.result(as: DeployDeviceResult.self)?.copied)
        #expect(copied.paths == 1 && copied.closurePaths == 1 && copied.bytes > 300_000_000, "\(copied)")

        // Deployed again unchanged: nothing is missing on the device, nothing to copy.
        let again = try await engine.submitValue(deploy(project, [device.deviceEntry("kiosk-1")]))
        _ = try await environment.store.waitFor(again.id, toBe: [.completed, .failed], timeout: .seconds(60))
        let second = try #require(try environment.store.children(of: again.id).first)
        #expect(second.result(as: DeployDeviceResult.self)?.copied?.paths == 0)
    }

    @Test("the device's disk fills up during the copy: the task says so and what to do; the profile is untouched")
    func diskFull() async throws {
        let small = try OwnStoreDevice(diskMegabytes: 64)
        let project = try FixtureProject(in: environment.path("fixture"), configurations: ["kiosk": .large(megabytes: 150)])
        let engine = environment.makeEngine()
        try await engine.start(watchRequests: false)
        let parent = try await engine.submitValue(.object([
            "type": .string(DeployDevicesKind.type), "project_path": .string(project.path),
            "devices": .array([small.deviceEntry("kiosk-1")]), "ssh_key_path": .string(small.clientKey), "connect_timeout": .number(5)]))
        _ = try await environment.store.waitFor(parent.id, toBe: [.completed, .failed], timeout: .seconds(120))
        let child = try #require(try environment.store.children(of: parent.id).first)
        let reason = child.failureReason ?? ""
        #expect(child.state == .failed && reason.hasPrefix("copy failed: nix exited with 1"), "\(reason)")
        #expect(reason.contains("the device's disk is full: free space there (nix-collect-garbage -d on the device) and retry"), "\(reason)")
        #expect(try small.generation() == nil)
        #expect(try small.lines(of: project.switchMarker).isEmpty)
    }

    /// The number before " MB" as the `index`-th word of a progress line ("copying 120 MB of 315 MB ...").
    static func megabytes(in line: String, at index: Int) -> Double? {
        let words = line.split(separator: " ")
        guard words.count > index + 1, words[index + 1] == "MB" else { return nil }
        return Double(words[index])
    }

    /// `nix key generate-secret` with the controller's nix; returns the public key.
    @discardableResult
    func generateKey(named name: String, to path: String) throws -> String {
        let secret = try output("/usr/bin/nix", ["--extra-experimental-features", "nix-command", "key", "generate-secret", "--key-name", name])
        try secret.write(toFile: path, atomically: true, encoding: .utf8)
        return try output("/bin/sh", ["-c", "nix --extra-experimental-features nix-command key convert-secret-to-public < '\(path)'"])
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }

    func output(_ program: String, _ arguments: [String]) throws -> String {
        let result = try capture(program, arguments)
        guard result.status == 0 else { throw TestTimeout("\(program) \(arguments) exited \(result.status): \(result.stderr)") }
        return result.stdout
    }
}
