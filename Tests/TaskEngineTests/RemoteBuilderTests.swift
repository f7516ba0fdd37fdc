import Foundation
import Logging
import NixLog
import Testing
@testable import TaskEngine

/// A real `ssh-ng://` remote builder on the loopback sshd, with a store of its own.
///
/// The builder's side must not use this machine's `/nix/store` database (MACHINE.md: an ssh builder
/// sharing the store deadlocks on a lock), so its `nix-daemon --stdio` runs on a chroot store under
/// `root` (`remote-store=`). Nix builds in a chroot store only in its sandbox, which needs `/bin/sh`
/// and friends inside (`sandbox-paths`), and the builder must not wait for cache.nixos.org: both
/// are set by `remote-program=`, a wrapper that exports `NIX_CONFIG` for that daemon. The ssh port
/// and known hosts reach Nix's ssh through `NIX_SSHOPTS` in the engine's environment.
final class RemoteBuilder: @unchecked Sendable {
    let server: SSHServer
    let directory: String
    /// Root of the builder's store: its outputs land in `root/nix/store`.
    let root: String
    /// The store URI, as Nix names the machine on Build activities.
    let uri: String

    init(server: SSHServer) throws {
        self.server = server
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("thymis-builder-\(UUID().uuidString.prefix(8))").path
        root = directory + "/root"
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        let daemon = directory + "/nix-daemon"
        let script = """
            #!/bin/sh
            export NIX_CONFIG='sandbox = true
            sandbox-paths = /bin /usr /lib /lib64
            substituters ='
            exec nix-daemon "$@"

            """
        FileManager.default.createFile(atPath: daemon, contents: Data(script.utf8), attributes: [.posixPermissions: 0o755])
        uri = "ssh-ng://root@127.0.0.1?remote-program=\(daemon)&remote-store=\(root)"
    }

    deinit { try? FileManager.default.removeItem(atPath: directory) }

    /// The project file's `nix.builders` entry: the key in the third field, 2 jobs, speed 1.
    var builderEntry: String { "\(uri) x86_64-linux \(server.clientKey) 2 1" }

    /// Names in the builder's store.
    var storeEntries: [String] { (try? FileManager.default.contentsOfDirectory(atPath: root + "/nix/store")) ?? [] }

    /// An engine whose nix processes reach the sshd on its port with its known hosts.
    func makeEngine(_ environment: TestEnvironment) -> TaskEngine {
        var childEnvironment = TestEnvironment.childEnvironment
        childEnvironment["NIX_SSHOPTS"] = "-p \(server.port) -o BatchMode=yes -o StrictHostKeyChecking=yes -o UserKnownHostsFile=\(server.knownHosts) -o ConnectTimeout=5"
        let configuration = EngineConfiguration(poolLimits: [.nix: 2, .remote: 8, .vm: 1], gracePeriod: .milliseconds(500),
                                                baseEnvironment: childEnvironment, requestPollInterval: .milliseconds(30))
        return TaskEngine(store: environment.store, registry: .forTests, configuration: configuration,
                          logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
    }
}

@Suite("Remote builders: the project's builders and max-jobs reach nix, which builds over ssh-ng on a builder with its own store",
       .enabled(if: nixAndSSHAvailable && FileManager.default.isExecutableFile(atPath: "/usr/bin/nix-daemon")))
struct RemoteBuilderTests {
    let environment: TestEnvironment
    let server: SSHServer
    let builder: RemoteBuilder

    init() throws {
        environment = try TestEnvironment()
        server = try SSHServer()
        builder = try RemoteBuilder(server: server)
    }

    func projectFile(maxJobs: Any = 0) -> [String: Any] {
        ["nix": ["builders": [builder.builderEntry], "max_jobs": maxJobs]]
    }

    @Test("Build Project builds every configuration on the builder: outputs in its store, each derivation names the machine")
    func buildProject() async throws {
        let project = try FixtureProject(in: environment.path("fixture"), configurations: ["alpha": .normal, "beta": .normal])
        try project.writeProjectFile(projectFile())
        let engine = builder.makeEngine(environment)
        try await engine.start(watchRequests: false)
        let record = try await engine.submitValue(.object(["type": .string(BuildProjectKind.type), "project_path": .string(project.path)]))
        let final = try await environment.store.waitFor(record.id, toBe: [.completed, .failed], timeout: .seconds(60))
        #expect(final.state == .completed, "\(final.failureReason ?? "")")

        let build = try #require(try environment.store.processes(of: record.id).last)
        let nixConfig = build.environment["NIX_CONFIG"] ?? ""
        #expect(nixConfig.contains("builders = \(builder.builderEntry)\n") && nixConfig.hasSuffix("max-jobs = 0"), "\(nixConfig)")
        let state = try #require(NixStateSnapshot.decode(build.nixStateJSON))
        #expect(state.derivations.map(\.name).sorted() == ["toplevel-alpha-\(project.nonce)", "toplevel-beta-\(project.nonce)"])
        #expect(state.derivations.allSatisfy { $0.host == builder.uri && $0.status == .built }, "\(state.derivations)")
        #expect(state.machines == [NixMachineCounts(machine: builder.uri, built: 2)])
        #expect(NixStateSnapshot.progressLine(state) == "builds 2/2 · ssh-ng://root@127.0.0.1 2 built")
        // Built there (max-jobs 0 leaves no local slot), then copied back here.
        for name in ["alpha", "beta"] {
            let output = try #require(builder.storeEntries.first { $0.hasSuffix("-toplevel-\(name)-\(project.nonce)") })
            #expect(FileManager.default.isExecutableFile(atPath: "/nix/store/\(output)/bin/switch-to-configuration"))
        }
    }

    @Test("a build failing on the builder fails the task with Nix's error and counts as failed on that machine")
    func failingBuild() async throws {
        let project = try FixtureProject(in: environment.path("fixture"), configurations: ["broken": .failingBuild])
        try project.writeProjectFile(projectFile())
        let engine = builder.makeEngine(environment)
        try await engine.start(watchRequests: false)
        let record = try await engine.submitValue(.object(["type": .string(BuildProjectKind.type), "project_path": .string(project.path)]))
        let final = try await environment.store.waitFor(record.id, toBe: [.completed, .failed], timeout: .seconds(60))
        #expect(final.state == .failed)
        // The reason names the machine (without its query) and the builder's own failure, not Nix's generic exit code 1.
        let reason = final.failureReason ?? ""
        #expect(reason.contains("toplevel-broken-\(project.nonce).drv' on 'ssh-ng://root@127.0.0.1' failed"), "\(reason)")
        #expect(reason.contains("failed with exit code"), "\(reason)")
        let build = try #require(try environment.store.processes(of: record.id).last)
        let state = try #require(NixStateSnapshot.decode(build.nixStateJSON))
        #expect(state.machines == [NixMachineCounts(machine: builder.uri, failed: 1)])
        let log = try environment.store.outputStreams(task: record.id).filter { $0.stream.isBuildLog }
            .map { try environment.store.allText(record.id, process: $0.processIndex, stream: $0.stream) }.joined()
        #expect(log.contains("about to fail"))
    }

    @Test("a deploy builds on the builder, then copies to the device and switches as before")
    func deploy() async throws {
        let project = try FixtureProject(in: environment.path("fixture"), configurations: ["kiosk": .normal])
        try project.writeProjectFile(projectFile())
        let profiles = environment.path("profiles")
        try FileManager.default.createDirectory(atPath: profiles, withIntermediateDirectories: true)
        let device: JSONValue = .object([
            "identifier": .string("kiosk-1"), "host": .string("127.0.0.1"), "port": .number(Double(server.port)),
            "username": .string("root"), "configuration": .string("kiosk"),
            "host_key": .string(try server.hostPublicKey), "system_profile": .string(profiles + "/system"),
        ])
        let engine = builder.makeEngine(environment)
        try await engine.start(watchRequests: false)
        let parent = try await engine.submitValue(.object([
            "type": .string(DeployDevicesKind.type), "project_path": .string(project.path), "devices": .array([device]),
            "ssh_key_path": .string(server.clientKey), "connect_timeout": .number(5),
        ]))
        let final = try await environment.store.waitFor(parent.id, toBe: [.completed, .failed], timeout: .seconds(60))
        let child = try #require(try environment.store.children(of: parent.id).first)
        #expect(final.state == .completed && child.state == .completed, "\(child.failureReason ?? final.failureReason ?? "")")
        #expect(project.switches == ["kiosk switched"])
        let build = try #require(try environment.store.processes(of: child.id).first)
        let state = try #require(NixStateSnapshot.decode(build.nixStateJSON))
        #expect(state.derivations.map(\.host) == [builder.uri])
        #expect(builder.storeEntries.contains { $0.hasSuffix("-toplevel-kiosk-\(project.nonce)") })
    }

    @Test("max_jobs is a whole number or \"auto\"; anything else names the field")
    func maxJobsField() throws {
        let project = try FixtureProject(in: environment.path("fixture"), configurations: ["alpha": .normal], commit: false)
        try project.writeProjectFile(projectFile(maxJobs: "auto"))
        let path = project.path + "/" + ProjectFile.defaultName
        #expect(try ProjectFile.load(path).nix.maxJobs == "auto")
        for bad: Any in [-1, 1.5, "many", 20_000] {
            try project.writeProjectFile(projectFile(maxJobs: bad))
            do {
                _ = try ProjectFile.load(path)
                Issue.record("max_jobs \(bad) was accepted")
            } catch {
                #expect("\(error)".contains("field \"max_jobs\" must be a whole number from 0"), "\(error)")
            }
        }
    }
}
