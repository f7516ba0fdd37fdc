import Foundation
import Testing
@testable import TaskEngine

/// Runs git in a repository and returns its stdout; polls for its end, so the cooperative pool is never blocked.
func gitOutput(_ repository: String, _ arguments: [String]) async throws -> String {
    let log = FileManager.default.temporaryDirectory.appendingPathComponent("git-\(UUID().uuidString.prefix(8))").path
    defer { try? FileManager.default.removeItem(atPath: log) }
    // stdout only: git's own stderr chatter must not mix into what is compared.
    let pid = try SSHServer.spawn("/bin/sh", ["-c", "exec /usr/bin/git -C \"$0\" \"$@\" > \"\(log)\" 2>/dev/null", repository] + arguments)
    var status: Int32 = 0
    while waitpid(pid, &status, WNOHANG) == 0 { try await Task.sleep(for: .milliseconds(5)) }
    guard status == 0 else { throw TestTimeout("git \(arguments) failed with status \(status)") }
    return (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
}

@Suite("Auto-update: real git, nix flake update of a path: input, and a deploy to a loopback sshd",
       .enabled(if: nixAndSSHAvailable))
struct AutoUpdateTests {
    let environment: TestEnvironment
    let server: SSHServer
    let input: String
    let project: FixtureProject

    init() throws {
        environment = try TestEnvironment()
        server = try SSHServer()
        input = environment.path("input")
        try FileManager.default.createDirectory(atPath: input, withIntermediateDirectories: true)
        try Self.writeInput(input, value: 1)
        project = try FixtureProject(in: environment.path("fixture"), configurations: ["kiosk": .normal], input: input)
        let profiles = environment.path("profiles/kiosk-1")
        try FileManager.default.createDirectory(atPath: profiles, withIntermediateDirectories: true)
        try project.writeProjectFile([
            "devices": [["identifier": "kiosk-1", "configuration": "kiosk", "host": "127.0.0.1", "port": server.port,
                         "host_key": try server.hostPublicKey, "system_profile": profiles + "/system"]],
            "ssh": ["identity": server.clientKey, "connect_timeout": 5],
        ])
    }

    static func writeInput(_ directory: String, value: Int) throws {
        try "{ outputs = { self }: { value = \(value); }; }\n".write(toFile: directory + "/flake.nix", atomically: true, encoding: .utf8)
    }

    func autoUpdate(_ engine: TaskEngine, noDeploy: Bool = false) async throws -> TaskRecord {
        var fields: [String: JSONValue] = ["type": .string(AutoUpdateKind.type), "project_path": .string(project.path)]
        if noDeploy { fields["no_deploy"] = .bool(true) }
        let record = try await engine.submitValue(.object(fields))
        return try await environment.store.waitFor(record.id, toBe: [.completed, .failed], timeout: .seconds(90))
    }

    func git(_ arguments: String...) async throws -> String { try await gitOutput(project.path, arguments) }

    /// Locks the input and commits flake.lock: the state every later update starts from.
    func lockInput(_ engine: TaskEngine) async throws -> TaskRecord {
        let first = try await autoUpdate(engine, noDeploy: true)
        #expect(first.state == .completed, "\(first.failureReason ?? "")")
        return first
    }

    @Test("an input that changed gives a commit of flake.lock alone, and a deploy of that commit to the device")
    func changedInput() async throws {
        let engine = environment.makeEngine()
        try await engine.start(watchRequests: false)
        let initial = try project.head
        let first = try await lockInput(engine)
        let locked = try project.head
        #expect(locked != initial)
        #expect(first.progress == "added dep; committed \(locked.prefix(12)); not deployed (no_deploy)")
        #expect(try environment.store.children(of: first.id).isEmpty)
        #expect(try await git("show", "--name-only", "--format=%an <%ae>|%s", "HEAD") == "thymis-tasks <thymis-tasks@localhost>|flake.lock: update dep\n\nflake.lock\n")
        #expect(project.switches.isEmpty)

        // A new input revision, and an author from the project file.
        try Self.writeInput(input, value: 2)
        var file = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: project.path + "/thymis-project.json"))) as! [String: Any]
        file["auto_update"] = ["author": "Fleet Bot <bot@example.invalid>"]
        try project.writeProjectFile(file)
        let oldHash = try #require(FlakeLock.inputs(atPath: project.path + "/flake.lock")["dep"])
        let second = try await autoUpdate(engine)
        #expect(second.state == .completed, "\(second.failureReason ?? "")")
        let updated = try project.head
        let newHash = try #require(FlakeLock.inputs(atPath: project.path + "/flake.lock")["dep"])
        #expect(updated != locked && newHash != oldHash)
        #expect(try await git("rev-parse", "HEAD~1") == locked + "\n")
        #expect(try await git("show", "--name-only", "--format=%an <%ae>", "HEAD") == "Fleet Bot <bot@example.invalid>\n\nflake.lock\n")
        let message = try await git("log", "-1", "--format=%B")
        #expect(message.contains("- dep: \(oldHash) -> \(newHash)"), "\(message)")
        #expect(second.progress == "updated dep; committed \(updated.prefix(12)); deployed to kiosk-1")

        // One Deploy Devices child at the new commit, whose own child switched the device.
        let deploys = try environment.store.children(of: second.id)
        #expect(deploys.map(\.type) == [DeployDevicesKind.type])
        let deploy = try #require(deploys.first)
        #expect(deploy.state == .completed, "\(deploy.failureReason ?? "")")
        #expect(deploy.submission.contains(#""commit":"\#(updated)""#), "\(deploy.submission)")
        let device = try #require(try environment.store.children(of: deploy.id).first)
        #expect(device.state == .completed && device.target == "kiosk-1", "\(device.failureReason ?? "")")
        #expect(project.switches == ["kiosk switched"])
        // The steps, in order: stash (nothing to stash), update, commit, then nothing to restore.
        let steps = try environment.store.processes(of: second.id).map { Array($0.arguments.dropFirst(2).prefix(2)) }
        #expect(steps.first == ["rev-parse", "--verify"])
        #expect(steps.contains(["add", "--"]) && steps.contains(["-c", "commit.gpgsign=false"]))
        #expect(try await git("status", "--porcelain", "--untracked-files=no").isEmpty)
    }

    @Test("no input changed: no commit; a device that did not get HEAD yet gets it, then nothing is deployed (issue 23: 7)")
    func unchangedInput() async throws {
        let engine = environment.makeEngine()
        try await engine.start(watchRequests: false)
        _ = try await lockInput(engine)
        let head = try project.head
        let lock = FileManager.default.contents(atPath: project.path + "/flake.lock")
        // The commit was made without a deploy (no_deploy here; a crash or a failed deploy alike): the
        // next run deploys it although no input changed.
        let catchUp = try await autoUpdate(engine)
        #expect(catchUp.state == .completed, "\(catchUp.failureReason ?? "")")
        #expect(catchUp.progress == "no input changed; kiosk-1 did not get \(head.prefix(12)) yet; deployed to kiosk-1", "\(catchUp.progress ?? "")")
        #expect(project.switches == ["kiosk switched"])
        let deploy = try #require(try environment.store.children(of: catchUp.id).first)
        #expect(deploy.submission.contains(#""commit":"\#(head)""#))
        // Now every device runs HEAD: nothing to commit, nothing to deploy.
        let record = try await autoUpdate(engine)
        #expect(record.state == .completed, "\(record.failureReason ?? "")")
        #expect(record.progress == "no input changed")
        #expect(try project.head == head)
        #expect(FileManager.default.contents(atPath: project.path + "/flake.lock") == lock)
        #expect(try environment.store.children(of: record.id).isEmpty)
        #expect(project.switches == ["kiosk switched"])
        #expect(try await git("status", "--porcelain", "--untracked-files=no").isEmpty)
    }

    @Test("a failing update leaves HEAD, flake.lock and the changed work tree as they were, with no stash left")
    func failingUpdate() async throws {
        let engine = environment.makeEngine()
        try await engine.start(watchRequests: false)
        _ = try await lockInput(engine)
        let head = try project.head
        let lock = FileManager.default.contents(atPath: project.path + "/flake.lock")
        // A local change to a tracked file (stashed, then restored), and an input that is gone.
        try "# a local edit\n".appendLine(to: project.path + "/flake.nix")
        let edited = try String(contentsOfFile: project.path + "/flake.nix", encoding: .utf8)
        try FileManager.default.removeItem(atPath: input)
        let record = try await autoUpdate(engine)
        #expect(record.state == .failed)
        #expect(record.failureReason?.hasPrefix("update failed: nix exited with 1: ") == true, "\(record.failureReason ?? "")")
        #expect(try project.head == head)
        #expect(FileManager.default.contents(atPath: project.path + "/flake.lock") == lock)
        #expect(try String(contentsOfFile: project.path + "/flake.nix", encoding: .utf8) == edited)
        #expect(try await git("status", "--porcelain", "--untracked-files=no") == " M flake.nix\n")
        #expect(try await git("stash", "list").isEmpty)
        #expect(try environment.store.children(of: record.id).isEmpty)
    }

    @Test("a cancel during the update still restores the stash")
    func cancelDuringUpdate() async throws {
        // A `nix` that waits before updating, so the cancel lands while the update runs.
        let wrappers = environment.path("slow-nix")
        try FileManager.default.createDirectory(atPath: wrappers, withIntermediateDirectories: true)
        let marker = environment.path("update-started")
        let script = "#!/bin/sh\ncase \" $* \" in *\" update \"*) touch \(marker); sleep 60;; esac\nexec /usr/bin/nix \"$@\"\n"
        FileManager.default.createFile(atPath: wrappers + "/nix", contents: Data(script.utf8), attributes: [.posixPermissions: 0o755])
        var childEnvironment = TestEnvironment.childEnvironment
        childEnvironment["PATH"] = wrappers + ":" + (childEnvironment["PATH"] ?? "/usr/bin:/bin")
        let engine = TaskEngine(store: environment.store, registry: .forTests,
                                configuration: EngineConfiguration(poolLimits: [.nix: 2, .remote: 8], gracePeriod: .milliseconds(500),
                                                                   baseEnvironment: childEnvironment, requestPollInterval: .milliseconds(30)))
        try await engine.start(watchRequests: false)
        let head = try project.head
        try "# a local edit\n".appendLine(to: project.path + "/flake.nix")
        let edited = try String(contentsOfFile: project.path + "/flake.nix", encoding: .utf8)
        let record = try await engine.submitValue(.object(["type": .string(AutoUpdateKind.type), "project_path": .string(project.path)]))
        #expect(await eventually(timeout: .seconds(90)) { FileManager.default.fileExists(atPath: marker) })
        #expect(try await git("stash", "list").split(separator: "\n").count == 1)
        _ = try await engine.cancel(record.id)
        let final = try #require(try environment.store.task(record.id))
        #expect(final.state == .failed && final.cancelled && final.failureReason == "cancelled", "\(final.failureReason ?? "")")
        #expect(try project.head == head)
        #expect(try String(contentsOfFile: project.path + "/flake.nix", encoding: .utf8) == edited)
        #expect(try await git("stash", "list").isEmpty)
    }

    @Test("uncommitted changes to other files survive: staged, unstaged and untracked")
    func localChangesSurvive() async throws {
        let engine = environment.makeEngine()
        try await engine.start(watchRequests: false)
        try "first\n".write(toFile: project.path + "/notes.txt", atomically: true, encoding: .utf8)
        try "first\n".write(toFile: project.path + "/staged.txt", atomically: true, encoding: .utf8)
        try project.commit("notes")
        _ = try await lockInput(engine)
        try "first\nedited, not staged\n".write(toFile: project.path + "/notes.txt", atomically: true, encoding: .utf8)
        try "first\nedited and staged\n".write(toFile: project.path + "/staged.txt", atomically: true, encoding: .utf8)
        try project.git(["add", "staged.txt"])
        try "scratch\n".write(toFile: project.path + "/untracked.txt", atomically: true, encoding: .utf8)
        try Self.writeInput(input, value: 3)
        let before = try project.head
        let record = try await autoUpdate(engine, noDeploy: true)
        #expect(record.state == .completed, "\(record.failureReason ?? "")")
        #expect(try project.head != before)
        #expect(try await git("show", "--name-only", "--format=", "HEAD") == "flake.lock\n")
        #expect(try String(contentsOfFile: project.path + "/notes.txt", encoding: .utf8) == "first\nedited, not staged\n")
        #expect(try String(contentsOfFile: project.path + "/staged.txt", encoding: .utf8) == "first\nedited and staged\n")
        #expect(try String(contentsOfFile: project.path + "/untracked.txt", encoding: .utf8) == "scratch\n")
        #expect(try await git("diff", "--cached", "--name-only") == "staged.txt\n")
        #expect(try await git("diff", "--name-only") == "notes.txt\n")
        #expect(try await git("stash", "list").isEmpty)
        let steps = try environment.store.processes(of: record.id).map { Array($0.arguments.dropFirst(2).prefix(2)) }
        #expect(steps.contains(["stash", "push"]) && steps.contains(["stash", "pop"]))
    }

    @Test("local changes that conflict with the new flake.lock stay in a named stash; the work tree is clean; nothing is deployed")
    func conflictingStash() async throws {
        let engine = environment.makeEngine()
        try await engine.start(watchRequests: false)
        _ = try await lockInput(engine)
        try "{}\n".write(toFile: project.path + "/flake.lock", atomically: true, encoding: .utf8)
        try Self.writeInput(input, value: 4)
        let record = try await autoUpdate(engine)
        #expect(record.state == .failed)
        let reason = record.failureReason ?? ""
        #expect(reason.hasPrefix("restore failed: your local changes do not apply over the new commit (git stash pop exited with 1") && reason.contains("kept in stash@{0}"), "\(reason)")
        #expect(reason.contains("nothing was deployed"))
        #expect(try await git("status", "--porcelain", "--untracked-files=no").isEmpty)
        #expect(try await git("stash", "list").split(separator: "\n").count == 1)
        #expect(try await git("stash", "show", "--name-only", "stash@{0}") == "flake.lock\n")
        #expect(try environment.store.children(of: record.id).isEmpty)
    }
}

@Suite("Auto-update submissions are checked before anything runs")
struct AutoUpdateSubmissionTests {
    let environment: TestEnvironment
    let project: String
    init() throws {
        environment = try TestEnvironment()
        project = environment.path("project")
        try FileManager.default.createDirectory(atPath: project, withIntermediateDirectories: true)
        try "{ outputs = { self }: { }; }\n".write(toFile: project + "/flake.nix", atomically: true, encoding: .utf8)
    }

    func validate(_ fields: [String: JSONValue]) -> String? {
        var object = fields
        object["type"] = .string(AutoUpdateKind.type)
        object["project_path"] = .string(project)
        do { _ = try TaskKindRegistry.standard.validate(.object(object)); return nil } catch { return error.description }
    }

    @Test("without devices anywhere it asks for devices or no_deploy; no_deploy with devices is refused")
    func refusals() throws {
        #expect(validate([:]) == #"auto_update_task: field "devices" is not given and there is no project file to deploy to; give devices, or no_deploy: true"#)
        #expect(validate(["no_deploy": .bool(true)]) == nil)
        #expect(validate(["no_deploy": .bool(true), "devices": .array([])]) == #"auto_update_task: field "devices" is given with no_deploy: true; give one or the other"#)
        #expect(validate(["no_deploy": .string("yes")])?.contains(#"field "no_deploy""#) == true)
        try #"{"devices": [], "auto_update": {"schedule": "hourly"}}"#.write(toFile: project + "/thymis-project.json", atomically: true, encoding: .utf8)
        #expect(validate(["no_deploy": .bool(true)])?.contains(#"auto_update: field "schedule" is "hourly": starts with "hourly""#) == true)
        try #"{"auto_update": {"author": "nobody"}}"#.write(toFile: project + "/thymis-project.json", atomically: true, encoding: .utf8)
        #expect(validate(["no_deploy": .bool(true)])?.contains(#"field "author" is "nobody"; give `Name <email>`"#) == true)
    }

    @Test("the registry lists Auto-update with its display name and the nix pool")
    func registered() throws {
        #expect(TaskKindRegistry.standard.typeName(of: "auto_update_task") == "Auto-update")
        let validated = try TaskKindRegistry.standard.validate(.object(["type": .string("auto_update_task"), "project_path": .string(project),
                                                                        "no_deploy": .bool(true)]))
        #expect(validated.kind.pool == .nix && validated.kind.displayName == "Auto-update" && validated.kind.target == "project")
    }
}
