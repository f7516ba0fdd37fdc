import Foundation
import Testing
@testable import TaskEngine

@Suite("the command line, run as a user would run it", .serialized,
       .enabled(if: FileManager.default.isExecutableFile(atPath: CLIRunner.executable)))
struct CLITests {
    let cli: CLIRunner
    init() throws { cli = try CLIRunner() }

    @Test("malformed submission JSON: one clear line, exit 2, nothing stored")
    func malformedFile() async throws {
        defer { cli.cleanUp() }
        let result = try await cli.run(["submit", "--file", "-"], stdin: #"{"type": "build_project_task", "#)
        #expect(result.status == 2)
        #expect(result.stderr.split(separator: "\n").count == 1)
        #expect(result.stderr.hasPrefix("thymis-tasks: the submission is not valid JSON"))
        #expect(try await cli.tasks().isEmpty)
    }

    @Test("a missing field and a project without flake.nix are named; exit 2")
    func badFields() async throws {
        defer { cli.cleanUp() }
        let missing = try await cli.run(["submit", "--file", "-"], stdin: #"{"type": "build_project_task"}"#)
        #expect(missing.status == 2)
        #expect(missing.stderr == "thymis-tasks: build_project_task: field \"project_path\" is missing\n")
        let empty = cli.scratch + "/no-flake"
        try FileManager.default.createDirectory(atPath: empty, withIntermediateDirectories: true)
        let noFlake = try await cli.run(["submit", "build-project", "--project", empty])
        #expect(noFlake.status == 2)
        #expect(noFlake.stderr.contains("project path \(empty) has no flake.nix"))
        #expect(try await cli.tasks().isEmpty)
    }

    @Test("usage errors are one line with exit 64; --help exits 0")
    func usage() async throws {
        defer { cli.cleanUp() }
        let bad = try await cli.run(["list", "--limit", "many"])
        #expect(bad.status == 64)
        #expect(bad.stderr.split(separator: "\n").count == 1)
        let help = try await cli.run(["--help"])
        #expect(help.status == 0)
        #expect(help.stdout.contains("Exit codes:"))
        #expect(help.stdout.contains("submit"))
    }

    @Test("build-project --wait runs the real nix; list, show and logs see it")
    func buildAndInspect() async throws {
        defer { cli.cleanUp() }
        let project = try cli.makeProject("fleet", configurations: ["kiosk-1": "echo hello from the builder; mkdir -p $out"])
        let result = try await cli.run(["submit", "build-project", "--project", project, "--wait"])
        #expect(result.status == 0, "\(result.stderr)")
        let id = result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(UUID(uuidString: id) != nil)
        #expect(result.stderr.contains("no engine was running"))
        let tasks = try await cli.tasks()
        #expect(tasks.count == 1)
        #expect(tasks.first?["state"] as? String == "completed")
        #expect(tasks.first?["display_name"] as? String == "Build Project")
        let detail = try await cli.task(String(id.prefix(8)))
        let processes = detail["processes"] as? [[String: Any]] ?? []
        #expect(processes.count == 2)
        #expect((processes.last?["nix"] as? [String: Any])?["builds"] != nil)
        let logs = try await cli.run(["logs", id, "--stream", "build"])
        #expect(logs.stdout.contains("hello from the builder"))
        // Without --stream: the eval's stdout, then each build log under the derivation's name.
        let all = try await cli.run(["logs", id]).stdout
        let heading = try #require(all.range(of: "== build log of "), "\(all)")
        #expect(all[heading.lowerBound...].contains(".drv) ==\nhello from the builder"), "\(all)")
        let human = try await cli.run(["show", id])
        #expect(human.stdout.contains("✔ Build Project  [completed]"))
        let list = try await cli.run(["list"])
        #expect(list.stdout.contains("completed"))
    }

    @Test("unknown and ambiguous ids: exit 3 with the candidates")
    func ids() async throws {
        defer { cli.cleanUp() }
        let store = try TaskStore(directory: StateDirectory(path: cli.stateDirectory))
        let submission = try TaskKindRegistry.standard.validate(.object([
            "type": .string("ssh_command_task"), "target_host": .string("h"), "command": .string("id"),
            "ssh_key_path": .string("/etc/hostname"), "ssh_known_hosts_path": .string("/etc/hostname"),
        ]))
        var first = TaskEngine.newRecord(submission, parent: nil, retryOf: nil)
        first.id = UUID(uuidString: "ABCDEF01-0000-4000-8000-000000000001")!
        var second = first
        second.id = UUID(uuidString: "ABCDEF02-0000-4000-8000-000000000002")!
        try store.insert([first, second])
        let none = try await cli.run(["show", "0123"])
        #expect(none.status == 3)
        #expect(none.stderr == "thymis-tasks: no task matches \"0123\"; `thymis-tasks list` shows the task ids\n")
        let ambiguous = try await cli.run(["show", "abcdef0"])
        #expect(ambiguous.status == 3)
        #expect(ambiguous.stderr.contains("matches 2 tasks"))
        let hostile = try await cli.run(["show", "'; rm -rf /"])
        #expect(hostile.status == 3)
    }

    @Test("cancel from another process reaches the background engine a submit started; the build stops")
    func crossProcessCancel() async throws {
        defer { cli.cleanUp() }
        let marker = "thymis-cli-slow-\(UUID().uuidString.prefix(8))"
        let project = try cli.makeProject("slow", configurations: ["slow": "echo \(marker); sleep 120; echo done"])
        let submitter = try cli.start(["submit", "build-project", "--project", project])
        let submitted = try await cli.wait(submitter, timeout: .seconds(20))
        #expect(submitted.status == 0, "\(submitted.stderr)")
        let id = submitted.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        _ = try await cli.waitForState(id, ["running"])
        #expect(await waitUntil { !commandLines(containing: marker).isEmpty }, "the builder never started")
        let cancel = try await cli.run(["cancel", String(id.prefix(8))])
        #expect(cancel.status == 0, "\(cancel.stderr)")
        #expect(cancel.stdout.contains("cancelled"))
        let record = try await cli.task(id)
        #expect(record["display_state"] as? String == "cancelled")
        #expect(await waitUntil { commandLines(containing: marker).isEmpty }, "the builder outlived the cancel")
        let again = try await cli.run(["cancel", id])
        #expect(again.status == 1)
        #expect(again.stderr.contains("already cancelled"))
    }

    @Test("logs --follow of a running build follows its build log, headed by the derivation, until the task ends")
    func followBuildLog() async throws {
        defer { cli.cleanUp() }
        let marker = "thymis-cli-follow-\(UUID().uuidString.prefix(8))"
        let project = try cli.makeProject("follow", configurations: ["slow": "echo first-\(marker); sleep 3; echo second-\(marker); touch $out"])
        let submitted = try await cli.run(["submit", "build-project", "--project", project])
        let id = submitted.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        _ = try await cli.waitForState(id, ["running"])
        #expect(await waitUntil { !commandLines(containing: marker).isEmpty }, "the builder never started")
        let followed = try await cli.run(["logs", id, "--follow"], timeout: .seconds(60))
        #expect(followed.status == 0, "\(followed.stderr)")
        #expect(followed.stdout.contains("== build log of slow-"), "\(followed.stdout)")
        #expect(followed.stdout.contains("first-\(marker)\nsecond-\(marker)"), "\(followed.stdout)")
    }

    @Test("kill -9 of the engine mid-build: the next engine fails the task as interrupted and stops nix and its builder")
    func crashRecovery() async throws {
        defer { cli.cleanUp() }
        let marker = "thymis-cli-crash-\(UUID().uuidString.prefix(8))"
        let project = try cli.makeProject("crash", configurations: ["slow": "echo before-the-crash-\(marker); sleep 120; echo done"])
        let submitted = try await cli.run(["submit", "build-project", "--project", project])
        let id = submitted.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(await waitUntil { !commandLines(containing: marker).isEmpty }, "the builder never started")
        // A trickle of output is stored after at most 3 s (issue 15): kill once the line is stored.
        let deadline = ContinuousClock.now + .seconds(15)
        while ContinuousClock.now < deadline,
              (try? await cli.run(["logs", id, "--stream", "build"]))?.stdout.contains("before-the-crash-\(marker)") != true {
            try await Task.sleep(for: .milliseconds(200))
        }
        let engine = try await cli.enginePID()
        kill(engine, SIGKILL)
        let killedAt = Date()
        #expect(await cli.waitForNoEngine(), "the killed engine let the lock go")
        #expect(try await cli.task(id)["state"] as? String == "running", "nothing recorded the end yet")
        // The engine stays down a while: that time must not count as the task's.
        try await Task.sleep(for: .seconds(4))

        // Any process that becomes the engine recovers first.
        let other = try cli.makeProject("other", configurations: ["quick": "mkdir -p $out"])
        let next = try await cli.run(["submit", "build-project", "--project", other, "--wait"])
        #expect(next.status == 0, "\(next.stderr)")
        let record = try await cli.task(id)
        #expect(record["state"] as? String == "failed")
        let reason = record["failure_reason"] as? String ?? ""
        #expect(reason.hasPrefix("interrupted at about ") && reason.contains(": the engine stopped while it ran"), "\(reason)")
        // Ended at the dead engine's last heartbeat (at most one interval before the kill), not at the restart.
        let ended = (record["ended_at"] as? String).flatMap { try? Date($0, strategy: .iso8601) }
        #expect(ended.map { $0 <= killedAt.addingTimeInterval(1) && $0 >= killedAt.addingTimeInterval(-11) } == true,
                "ended \(String(describing: ended)), killed \(killedAt)")
        #expect(await waitUntil(timeout: .seconds(10)) { commandLines(containing: marker).isEmpty },
                "nix or its builder outlived the crashed engine: \(commandLines(containing: marker))")
        let logs = try await cli.run(["logs", id, "--stream", "build"])
        #expect(logs.stdout.contains("before-the-crash-\(marker)"), "output read before the kill is kept")
    }

    @Test("SIGTERM, SIGINT or SIGHUP to an engine: final states recorded, nothing left running, exit within 5 s",
          arguments: [SIGTERM, SIGINT, SIGHUP])
    func signals(_ signal: Int32) async throws {
        defer { cli.cleanUp() }
        let marker = "thymis-cli-signal-\(signal)-\(UUID().uuidString.prefix(8))"
        let project = try cli.makeProject("sig", configurations: ["slow": "echo \(marker); sleep 120; echo done"])
        let submitted = try await cli.run(["submit", "build-project", "--project", project])
        let id = submitted.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(await waitUntil { !commandLines(containing: marker).isEmpty }, "the builder never started")
        let engine = try await cli.enginePID()
        let started = ContinuousClock.now
        kill(engine, signal)
        #expect(await cli.waitForNoEngine(timeout: .seconds(15)))
        #expect(ContinuousClock.now - started < .seconds(5))
        let log = (try? String(contentsOfFile: cli.stateDirectory + "/thymis-tasks.log", encoding: .utf8)) ?? ""
        #expect(log.contains("signal received; shutting down signal=\(signal)"), "shut down cleanly, not killed by the signal")
        let record = try await cli.task(id)
        #expect(record["state"] as? String == "cancelled", "a shutdown cancels: the list shows it cancelled, and so does --json")
        #expect(record["failure_reason"] as? String == "cancelled: the engine shut down")
        #expect(await waitUntil(timeout: .seconds(5)) { commandLines(containing: marker).isEmpty })
    }

    @Test("retry with no engine running starts one in the background, which runs it; serve by hand then takes requests")
    func retryAndServe() async throws {
        defer { cli.cleanUp() }
        let project = try cli.makeProject("flaky", configurations: ["c": "mkdir -p $out"])
        let first = try await cli.run(["submit", "build-project", "--project", project, "--wait"])
        let id = first.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(await cli.waitForNoEngine(), "the background engine exits after the idle time")
        let retry = try await cli.run(["retry", id])
        #expect(retry.status == 0, "\(retry.stderr)")
        #expect(retry.stderr.contains("started one in the background"))
        let newID = retry.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(try await cli.task(newID)["retry_of"] as? String == id.lowercased())
        _ = try await cli.waitForState(newID, ["completed"], timeout: .seconds(30))
        #expect(await cli.waitForNoEngine())

        let serve = try cli.start(["serve"])
        _ = try await cli.enginePID()
        // A client submit goes through serve's engine.
        let client = try await cli.run(["submit", "build-project", "--project", project, "--wait", "--json"])
        #expect(client.status == 0)
        #expect(!client.stderr.contains("no engine was running"))
        // Started by hand, serve never exits on idle (the background engines here do after 2 s).
        try await Task.sleep(for: .seconds(4))
        var status: Int32 = 0
        #expect(waitpid(serve.pid, &status, WNOHANG) == 0, "serve still runs")
        let started = ContinuousClock.now
        kill(serve.pid, SIGTERM)
        let served = try await cli.wait(serve, timeout: .seconds(10))
        #expect(served.status == 0)
        #expect(ContinuousClock.now - started < .seconds(5))
    }
}

func waitUntil(timeout: Duration = .seconds(30), _ condition: () -> Bool) async -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if condition() { return true }
        try? await Task.sleep(for: .milliseconds(50))
    }
    return condition()
}

/// Pids whose command line contains `marker`.
func commandLines(containing marker: String) -> [Int32] {
    guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return [] }
    return entries.compactMap { entry -> Int32? in
        guard let pid = Int32(entry), pid != getpid(),
              let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline"),
              let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              !stat.contains(") Z ") else { return nil }
        return String(decoding: data.map { $0 == 0 ? 32 : $0 }, as: UTF8.self).contains(marker) ? pid : nil
    }
}
