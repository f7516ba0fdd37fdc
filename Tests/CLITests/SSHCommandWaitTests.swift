import Foundation
import Testing

/// `submit ssh-command --wait` against a real sshd on loopback: as `ssh host cmd` (issue 30, item 4).
@Suite("submit ssh-command --wait streams the output and exits with the remote status", .serialized,
       .enabled(if: SSHServer.isAvailable && FileManager.default.isExecutableFile(atPath: CLIRunner.executable)))
struct SSHCommandWaitTests {
    let cli: CLIRunner
    let server: SSHServer
    init() throws {
        cli = try CLIRunner()
        server = try SSHServer()
    }

    func submit(_ command: String, _ extra: [String] = [], port: Int? = nil) -> [String] {
        ["submit", "ssh-command", "--host", "127.0.0.1", "--port", "\(port ?? server.port)", "--identity", server.clientKey,
         "--known-hosts", server.knownHosts, "--connect-timeout", "5", "--wait"] + extra + ["--", command]
    }

    @Test("the command's stdout goes to ours, its stderr to ours, and its exit status is ours; the id goes to stderr")
    func streamsAndExits() async throws {
        defer { cli.cleanUp() }
        let result = try await cli.run(submit("echo out-line; echo err-line >&2; exit 3"))
        #expect(result.status == 3, "\(result.stderr)")
        #expect(result.stdout == "out-line\n", "stdout is the remote command's alone")
        #expect(result.stderr.contains("err-line"), "\(result.stderr)")
        let id = try #require(try await cli.tasks().first?["id"] as? String)
        #expect(result.stderr.contains("thymis-tasks: task \(id)"), "\(result.stderr)")

        let ok = try await cli.run(submit("echo fine"))
        #expect(ok.status == 0 && ok.stdout == "fine\n", "\(ok.status) \(ok.stdout) \(ok.stderr)")
    }

    @Test("output arrives while the remote command still runs")
    func live() async throws {
        defer { cli.cleanUp() }
        // The engine stores a trickle of output after at most 4 s (docs/architecture.md): 8 s to see it, 10 s of command.
        let started = try cli.start(submit("echo first-part; sleep 10; echo second-part"))
        let arrived = await waitUntil(timeout: .seconds(8)) {
            ((try? String(contentsOfFile: started.stdout, encoding: .utf8)) ?? "").contains("first-part")
        }
        var status: Int32 = 0
        #expect(arrived, "the first line was not on stdout within 8 s")
        #expect(waitpid(started.pid, &status, WNOHANG) == 0, "the command still runs when its first line is there")
        let result = try await cli.wait(started)
        #expect(result.status == 0 && result.stdout == "first-part\nsecond-part\n", "\(result.stdout) \(result.stderr)")
    }

    @Test("a connection failure exits 255, as ssh does, with ssh's reason on stderr")
    func connectionFailure() async throws {
        defer { cli.cleanUp() }
        let result = try await cli.run(submit("true", port: try SSHServer.freePort()))
        #expect(result.status == 255, "\(result.stderr)")
        #expect(result.stderr.contains("Connection refused"), "\(result.stderr)")
        #expect(result.stdout.isEmpty)
    }

    @Test("--quiet streams nothing; the id is on stdout and the exit status is still the remote command's")
    func quiet() async throws {
        defer { cli.cleanUp() }
        let result = try await cli.run(submit("echo hidden-out; echo hidden-err >&2; exit 4", ["--quiet"]))
        #expect(result.status == 4, "\(result.stderr)")
        #expect(!result.stdout.contains("hidden") && !result.stderr.contains("hidden"), "\(result.stdout) \(result.stderr)")
        #expect(UUID(uuidString: result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) != nil, "\(result.stdout)")
    }

    @Test("--json prints NDJSON: the id line, then the final record with the fields of show --json")
    func json() async throws {
        defer { cli.cleanUp() }
        let result = try await cli.run(submit("echo json-out; exit 2", ["--json"]))
        #expect(result.status == 2, "\(result.stderr)")
        let lines = result.stdout.split(separator: "\n")
        #expect(lines.count == 2, "one document per line: \(result.stdout)")
        let documents = lines.compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        #expect(documents.count == 2, "every line is a JSON object: \(result.stdout)")
        guard documents.count == 2, let id = documents[0]["id"] as? String else { return }
        #expect(documents[1]["id"] as? String == id)
        let shown = try await cli.task(id)
        #expect(Set(documents[1].keys) == Set(shown.keys), "\(documents[1].keys.sorted()) vs \(shown.keys.sorted())")
        let processes = documents[1]["processes"] as? [[String: Any]]
        #expect(processes?.first?["exit_code"] as? Int == 2)
        #expect(documents[1]["cause"] is [String: Any])
        #expect(!lines.contains("json-out"), "stdout holds JSON only, not the command's output")
    }

    @Test("hostile remote output is shown visibly on a terminal, not interpreted")
    func hostileOutput() async throws {
        defer { cli.cleanUp() }
        let output = cli.scratch + "/pty"
        let command = (([CLIRunner.executable] + submit(#"printf 'a\033]0;pwned\007b\033[2Jc\n'"#))
            .map { "'" + $0.replacingOccurrences(of: "'", with: "'\\''") + "'" }).joined(separator: " ")
        let wrapper = output + ".sh"
        try ("#!/bin/sh\nexec " + command + "\n").write(toFile: wrapper, atomically: true, encoding: .utf8)
        chmod(wrapper, 0o755)
        _ = try await cli.runProgram("/usr/bin/script", ["-q", "-e", "-c", wrapper, output])
        let bytes = [UInt8](FileManager.default.contents(atPath: output) ?? Data())
        let text = String(decoding: bytes, as: UTF8.self)
        #expect(text.contains("a^[]0;pwned") && text.contains("^[[2Jc"), "shown visibly, not dropped: \(text)")
        let problems = terminalSafetyProblems(bytes)
        #expect(problems.isEmpty, "\(problems.prefix(5))")
    }

    @Test("--quiet without --wait, or on a form that streams nothing, is refused before anything is stored")
    func quietRefused() async throws {
        defer { cli.cleanUp() }
        var arguments = submit("true", ["--quiet"])
        arguments.removeAll { $0 == "--wait" }
        let result = try await cli.run(arguments)
        #expect(result.status == 64, "\(result.stderr)")
        #expect(result.stderr.contains("--quiet") && result.stderr.contains("--wait"), "\(result.stderr)")
        let project = try cli.makeProject("quiet", configurations: ["c": "mkdir -p $out"])
        let build = try await cli.run(["submit", "build-project", "--project", project, "--wait", "--quiet"])
        #expect(build.status == 64 && build.stderr.contains("--quiet"), "\(build.stderr)")
        #expect(try await cli.tasks().isEmpty, "nothing was stored")
    }
}
