import Foundation
import Testing
@testable import TaskEngine

@Suite("Deploy Devices and Deploy to Device: real git, nix copy over ssh-ng and switch, on a loopback sshd and on a device with its own store",
       .enabled(if: nixAndSSHAvailable))
struct DeployTests {
    let environment: TestEnvironment
    let server: SSHServer
    init() throws {
        environment = try TestEnvironment()
        server = try SSHServer()
    }

    /// Where a test's devices are: the loopback sshd over the controller's store (the quick path,
    /// everywhere) or, where it can boot, a device with a store of its own (issue 24). Each device
    /// entry gets a profile of its own, so several entries share one sshd.
    enum Target: String, CaseIterable, CustomTestStringConvertible, Sendable {
        case loopback, ownStore
        static var available: [Target] { OwnStoreDevice.isAvailable ? allCases : [.loopback] }
        var testDescription: String { self == .loopback ? "loopback sshd, shared store" : "device with its own store" }
    }

    /// A syntactically valid host key that no test device has.
    static let strangerHostKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJ0m6wJ8mBq0xXlPz1Y9iJcF3r5M3Hq6cYw8m3Y1bq2n"

    /// The devices of one test on `target`.
    final class Fleet: @unchecked Sendable {
        let test: DeployTests
        let device: OwnStoreDevice?
        init(_ target: Target, for test: DeployTests) throws {
            self.test = test
            device = target == .ownStore ? try OwnStoreDevice() : nil
        }

        var clientKey: String { device?.clientKey ?? test.server.clientKey }

        func entry(_ identifier: String, configuration: String = "kiosk", port: Int? = nil, hostKey: String? = nil) throws -> JSONValue {
            guard let device else { return try test.device(identifier, configuration: configuration, port: port, hostKey: hostKey) }
            guard case .object(var fields) = device.deviceEntry(identifier, configuration: configuration,
                                                                profile: "/nix/var/nix/profiles/test-\(identifier)") else { return .null }
            if let port { fields["port"] = .number(Double(port)) }
            if let hostKey { fields["host_key"] = .string(hostKey) }
            return .object(fields)
        }

        /// The lines the switch scripts wrote, where they ran.
        func switches(_ project: FixtureProject) throws -> [String] {
            try device?.lines(of: project.switchMarker) ?? project.switches
        }
    }

    func deploy(_ project: FixtureProject, _ devices: [JSONValue], fleet: Fleet) -> JSONValue {
        .object(["type": .string(DeployDevicesKind.type), "project_path": .string(project.path),
                 "devices": .array(devices), "ssh_key_path": .string(fleet.clientKey), "connect_timeout": .number(5)])
    }

    /// A device entry of a deploy submission pointing at the test sshd, with its own profile.
    func device(_ identifier: String, configuration: String = "kiosk", port: Int? = nil, hostKey: String? = nil) throws -> JSONValue {
        let profiles = environment.path("profiles/\(identifier)")
        try FileManager.default.createDirectory(atPath: profiles, withIntermediateDirectories: true)
        return .object([
            "identifier": .string(identifier), "host": .string("127.0.0.1"), "port": .number(Double(port ?? server.port)),
            "username": .string("root"), "configuration": .string(configuration),
            "host_key": .string(try hostKey ?? server.hostPublicKey), "system_profile": .string(profiles + "/system"),
        ])
    }

    func deploy(_ project: FixtureProject, _ devices: [JSONValue]) -> JSONValue {
        .object(["type": .string(DeployDevicesKind.type), "project_path": .string(project.path),
                 "devices": .array(devices), "ssh_key_path": .string(server.clientKey), "connect_timeout": .number(5)])
    }

    @Test("a device is built at the committed revision, copied, its profile set and switched")
    func success() async throws {
        let project = try FixtureProject(in: environment.path("fixture"), configurations: ["kiosk": .normal])
        let engine = environment.makeEngine()
        try await engine.start(watchRequests: false)
        let parent = try await engine.submitValue(deploy(project, [try device("kiosk-1")]))
        let final = try await environment.store.waitFor(parent.id, toBe: [.completed, .failed], timeout: .seconds(60))
        #expect(final.state == .completed, "\(final.failureReason ?? "")")
        let child = try #require(try environment.store.children(of: parent.id).first)
        #expect(child.state == .completed, "\(child.failureReason ?? "")")
        #expect(child.displayName == "Deploy to kiosk-1" && child.target == "kiosk-1" && child.pool == "remote")
        #expect(project.switches == ["kiosk switched"])

        let steps = try environment.store.processes(of: child.id)
        // build, what the closure is and what the device lacks, switch, confirm: this device shares the
        // controller's store, so it lacks nothing and no `nix copy` runs (OwnStoreDeployTests copies).
        #expect(steps.map { $0.arguments.first ?? "" } == ["build", "path-info", "-o", "-o", "-o"])
        let revision = try project.head
        #expect(steps[0].arguments.contains("git+file:.?rev=\(revision)#nixosConfigurations.kiosk.config.system.build.toplevel"))
        #expect(steps[0].workingDirectory == project.path)
        // The closure's paths go on stdin: in the command, sshd would hand the remote shell one argument
        // over Linux's 128 KiB limit for a NixOS closure.
        let query = try #require(steps[2].arguments.last)
        #expect(query.contains("nix-store --check-validity --print-invalid $(cat)") && !query.contains("/nix/store/"), "\(query)")
        #expect(try child.result(as: DeployDeviceResult.self)?.copied?.paths == 0)
        // The switch script is installed, sets the profile and starts the switch (SafeSwitchTests has the rest).
        let start = try #require(steps[3].arguments.last)
        #expect(start.contains("/switch.sh start '\(environment.path("profiles/kiosk-1/system"))' '/nix/store/") && start.hasSuffix("' 60 1"), "\(start)")
        #expect(steps[4].arguments.last?.contains("/switch.sh' 'confirm' '60'") == true)
        #expect(try environment.store.allText(child.id, process: 3, stream: .stdout).contains("activating the configuration...\n"))
        let result = try #require(try environment.store.task(child.id)?.result(as: DeployDeviceResult.self))
        #expect(result.previous == nil && result.new.generation == 1 && result.new.storePath.hasPrefix("/nix/store/"))
        #expect(result.switchOutcome?.ending == .confirmed)
        let profileTarget = try FileManager.default.destinationOfSymbolicLink(atPath: environment.path("profiles/kiosk-1/system"))
        #expect(profileTarget.hasPrefix("system-1-link"))
        // The parent checked the repository and read the revision itself.
        #expect(try environment.store.processes(of: parent.id).map(\.arguments) ==
                [["-C", project.path, "status", "--porcelain", "--untracked-files=no"], ["-C", project.path, "rev-parse", "HEAD"]])
    }

    @Test("a dirty repository is refused before anything is built")
    func dirtyRepository() async throws {
        let project = try FixtureProject(in: environment.path("fixture"), configurations: ["kiosk": .normal])
        try "# changed\n".appendLine(to: project.path + "/flake.nix")
        let engine = environment.makeEngine()
        try await engine.start(watchRequests: false)
        let parent = try await engine.submitValue(deploy(project, [try device("kiosk-1")]))
        let final = try await environment.store.waitFor(parent.id, toBe: [.completed, .failed], timeout: .seconds(30))
        #expect(final.failureReason == "the project repository \(project.path) has uncommitted changes (flake.nix); commit or revert them first: a deploy builds the committed revision only")
        #expect(try environment.store.children(of: parent.id).isEmpty)
    }

    @Test("a build error, a missing configuration, a wrong host key and an unreachable device each fail their own child with the step named", arguments: Target.available)
    func failures(_ target: Target) async throws {
        let fleet = try Fleet(target, for: self)
        let project = try FixtureProject(in: environment.path("fixture"), configurations: ["kiosk": .normal, "broken": .failingBuild])
        let engine = environment.makeEngine()
        try await engine.start(watchRequests: false)
        let closedPort = try SSHServer.freePort()
        let parent = try await engine.submitValue(deploy(project, [
            try fleet.entry("ok-1"), try fleet.entry("broken-1", configuration: "broken"), try fleet.entry("missing-1", configuration: "missing"),
            try fleet.entry("mismatch-1", hostKey: Self.strangerHostKey), try fleet.entry("gone-1", port: closedPort),
        ], fleet: fleet))
        let final = try await environment.store.waitFor(parent.id, toBe: [.completed, .failed], timeout: .seconds(60))
        #expect(final.state == .failed)
        #expect(final.failureReason?.hasPrefix("4 of 5 failed: broken-1 (build failed: nix exited with 1: ") == true, "\(final.failureReason ?? "")")
        let children = Dictionary(uniqueKeysWithValues: try environment.store.children(of: parent.id).map { ($0.target ?? "", $0) })
        #expect(children["ok-1"]?.state == .completed)
        let broken = children["broken-1"]?.failureReason ?? ""
        #expect(broken.hasPrefix("build failed: nix exited with 1: ") && broken.contains("failed with exit code 42"), "\(broken)")
        let missing = children["missing-1"]?.failureReason ?? ""
        #expect(missing.hasPrefix("build failed: nix exited with 1: ") && missing.contains("does not provide attribute")
                && missing.contains("nixosConfigurations.missing"), "\(missing)")
        let mismatch = children["mismatch-1"]?.failureReason ?? ""
        #expect(mismatch.hasPrefix("copy failed: nix exited with 1: cannot open connection to remote store 'ssh-ng://root@127.0.0.1:")
                && mismatch.hasSuffix("; ssh: host key verification failed (the device's key is not the one trusted for it)"), "\(mismatch)")
        let gone = children["gone-1"]?.failureReason ?? ""
        #expect(gone.hasPrefix("copy failed: ") && gone.hasSuffix("; ssh: connect to host 127.0.0.1 port \(closedPort): Connection refused"), "\(gone)")
        // The dead device differs from the live ones on 127.0.0.1 only by its port: Nix's words name it with it (issue 30).
        #expect(gone.contains("ssh-ng://root@127.0.0.1:\(closedPort)'"), "\(gone)")
        #expect(try fleet.switches(project) == ["kiosk switched"])

        // The parent's cause groups its children's by step and cause.
        let cause = try #require(try environment.store.failureCause(of: final))
        #expect(cause.kind == .children && cause.children?.failed == 4 && cause.children?.total == 5)
        let groups = Set((cause.children?.groups ?? []).map { "\($0.count) \($0.step) (\($0.detail))" })
        #expect(groups.contains("1 copy (connection refused)") && groups.contains("1 copy (host key verification failed)")
                && groups.contains("1 build (toplevel-broken-\(project.nonce))"), "\(groups)")
        #expect(cause.headline.hasPrefix("4 of 5 failed: "), "\(cause.headline)")
        let brokenCause = try #require(try environment.store.failureCause(of: children["broken-1"]!))
        #expect(brokenCause.kind == .builder && brokenCause.exitCode == 42 && brokenCause.lastLines == ["about to fail"])
        let missingCause = try #require(try environment.store.failureCause(of: children["missing-1"]!))
        #expect(missingCause.kind == .nixError && missingCause.step == "build" && missingCause.headline.contains("does not provide attribute"))
        let goneCause = try #require(try environment.store.failureCause(of: children["gone-1"]!))
        #expect(goneCause.step == "copy" && goneCause.lastLines.contains { $0.contains("Connection refused") }, "\(goneCause)")
        #expect(goneCause.headline.contains("root@127.0.0.1:\(closedPort)"), "\(goneCause.headline)")
    }

    @Test("cancelling a deploy while its build runs stops nix and the builder")
    func cancel() async throws {
        let project = try FixtureProject(in: environment.path("fixture"), configurations: ["slow": .slowBuild])
        let engine = environment.makeEngine(grace: .seconds(3))
        try await engine.start(watchRequests: false)
        let parent = try await engine.submitValue(deploy(project, [try device("slow-1", configuration: "slow")]))
        let marker = "\(project.nonce)-slow-build"
        #expect(await eventually(timeout: .seconds(30)) { builderPIDs(containing: marker).count > 0 }, "the builder never started")
        #expect(try await engine.cancel(parent.id) == .cancelled)
        #expect(await eventually { builderPIDs(containing: marker).isEmpty }, "the builder outlived the cancelled deploy")
        let child = try #require(try environment.store.children(of: parent.id).first)
        #expect(child.cancelled && child.state == .failed)
    }

    @Test("20 devices with a remote limit of 8: at most 8 at once; the unreachable one fails and the parent names it", arguments: Target.available)
    func twentyDevices(_ target: Target) async throws {
        let fleet = try Fleet(target, for: self)
        let project = try FixtureProject(in: environment.path("fixture"), configurations: ["kiosk": .normal])
        // 20 deploys keep both cores busy for seconds; niced, they leave the timing-sensitive tests that
        // run in parallel their CPU. The real nix, ssh and sshd still do all the work.
        let engine = environment.makeEngine(limits: [.nix: 2, .remote: 8, .vm: 1], nicedPrograms: ["nix", "ssh", "git"])
        setpriority(__priority_which_t(PRIO_PROCESS.rawValue), id_t(server.pid), 10)
        try await engine.start(watchRequests: false)
        let closedPort = try SSHServer.freePort()
        var devices: [JSONValue] = []
        for index in 1...20 {
            devices.append(try fleet.entry(String(format: "kiosk-%02d", index), port: index == 13 ? closedPort : nil))
        }
        let parent = try await engine.submitValue(deploy(project, devices, fleet: fleet))
        let final = try await environment.store.waitFor(parent.id, toBe: [.completed, .failed], timeout: .seconds(120))
        #expect(final.state == .failed)
        #expect(final.failureReason?.hasPrefix("1 of 20 failed: kiosk-13 (copy failed: ") == true, "\(final.failureReason ?? "")")
        let children = try environment.store.children(of: parent.id)
        #expect(children.count == 20)
        let failedOutput = try children.filter { $0.state != .completed && $0.target != "kiosk-13" }
            .map { try environment.store.allText($0.id, process: 1, stream: .stderr) }
        #expect(children.filter { $0.state == .completed }.count == 19, "\(failedOutput)")
        #expect(try fleet.switches(project).count == 19)
        // Sweep the children's run intervals: never more than 8 overlap.
        var events: [(Date, Int)] = []
        for child in children {
            let start = try #require(child.startedAt), end = try #require(child.endedAt)
            events += [(start, 1), (end, -1)]
        }
        var current = 0, peak = 0
        for (_, delta) in events.sorted(by: { $0.0 == $1.0 ? $0.1 < $1.1 : $0.0 < $1.0 }) {
            current += delta
            peak = max(peak, current)
        }
        #expect(peak <= 8 && peak >= 2, "peak concurrency \(peak)")
    }
}

extension String {
    func appendLine(to path: String) throws {
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        defer { try? handle.close() }
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(utf8))
    }
}
