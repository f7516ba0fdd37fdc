import Foundation
import Testing
@testable import TaskEngine

@Suite("Run SSH Command against a real sshd on loopback", .enabled(if: SSHServer.isAvailable), .serialized)
struct SSHCommandTests {
    let environment: TestEnvironment
    let server: SSHServer
    init() throws {
        environment = try TestEnvironment()
        server = try SSHServer()
    }

    @Test("the command runs on the host; its output is the task's output")
    func success() async throws {
        let engine = environment.makeEngine()
        try await engine.start(watchRequests: false)
        let record = try await engine.submitValue(server.submission("echo hello from $(whoami); echo oops >&2"))
        let final = try await environment.store.waitFor(record.id, toBe: [.completed, .failed], timeout: .seconds(30))
        #expect(final.state == .completed, "\(final.failureReason ?? "")")
        #expect(final.target == "root@127.0.0.1:\(server.port)")
        #expect(try environment.store.allText(record.id, stream: .stdout) == "hello from root\n")
        #expect(try environment.store.allText(record.id, stream: .stderr).contains("oops"))
        let arguments = try #require(try environment.store.processes(of: record.id).first).arguments
        for option in ["BatchMode=yes", "StrictHostKeyChecking=yes", "UserKnownHostsFile=\(server.knownHosts)", "ConnectTimeout=5"] {
            #expect(arguments.contains(option))
        }
    }

    @Test("secret variables reach the remote command over stdin: never in argv, ps, the store or the submission (issue 23: 5)")
    func secretEnvironment() async throws {
        let token = "tok-\(UUID().uuidString)", multi = "line one\nline 'two' $(not run)\n\n"
        let tokenFile = environment.path("token"), multiFile = environment.path("multi"), emptyFile = environment.path("empty")
        try (token + "\n").write(toFile: tokenFile, atomically: true, encoding: .utf8)
        try (multi + "\n").write(toFile: multiFile, atomically: true, encoding: .utf8)
        try "".write(toFile: emptyFile, atomically: true, encoding: .utf8)
        guard case .object(var fields) = server.submission(#"printf '%s|%s|%s|' "$API_TOKEN" "$MULTI" "${EMPTY-unset}"; cat; sleep 1"#) else { return }
        fields["secret_env_files"] = .object(["API_TOKEN": .string(tokenFile), "MULTI": .string(multiFile), "EMPTY": .string(emptyFile)])
        let engine = environment.makeEngine()
        try await engine.start(watchRequests: false)
        let record = try await engine.submitValue(.object(fields))
        // While it runs, no process on this machine shows the value (the sshd's children included).
        var seenInPS = false
        let deadline = ContinuousClock.now + .seconds(3)
        while ContinuousClock.now < deadline {
            let ps = try capture("/bin/ps", ["-eo", "args"]).stdout
            if ps.contains(token) { seenInPS = true }
            if try environment.store.task(record.id)?.state.isFinal == true { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        let final = try await environment.store.waitFor(record.id, toBe: [.completed, .failed], timeout: .seconds(30))
        #expect(final.state == .completed, "\(final.failureReason ?? "")")
        // The remote command got every value exactly (newlines, quotes and an empty one), and an empty stdin after them.
        #expect(try environment.store.allText(record.id, stream: .stdout) == "\(token)|\(multi)||")
        #expect(!seenInPS, "a secret value showed in ps")
        let process = try #require(try environment.store.processes(of: record.id).first)
        #expect(!process.arguments.joined(separator: " ").contains(token) && !process.shellLine.contains(token))
        #expect(!final.submission.contains(token) && !final.redactedSubmission.contains(token))
        #expect(process.arguments.last?.contains("API_TOKEN") == true, "the names are shown, the values are not")

        // A path the engine cannot read as a file at run time (here a directory, which passes the
        // submit-time access check) fails the task naming it; nothing runs.
        let unreadable = environment.path("token-dir")
        try FileManager.default.createDirectory(atPath: unreadable, withIntermediateDirectories: true)
        fields["secret_env_files"] = .object(["API_TOKEN": .string(unreadable)])
        let second = try await engine.submitValue(.object(fields))
        let failed = try await environment.store.waitFor(second.id, toBe: [.completed, .failed], timeout: .seconds(30))
        #expect(failed.state == .failed && failed.failureReason?.contains("secrets failed: cannot read \(unreadable) for API_TOKEN") == true,
                "\(failed.failureReason ?? "")")
        // Bad names are refused at submit.
        fields["secret_env_files"] = .object(["1BAD": .string(multiFile)])
        #expect(throws: SubmissionError.self) { try TaskKindRegistry.standard.validate(.object(fields)) }
    }

    @Test("the remote command's exit code fails the task")
    func remoteFailure() async throws {
        let engine = environment.makeEngine()
        try await engine.start(watchRequests: false)
        let record = try await engine.submitValue(server.submission("exit 4"))
        let final = try await environment.store.waitFor(record.id, toBe: [.completed, .failed], timeout: .seconds(30))
        #expect(final.failureReason == "the command on root@127.0.0.1:\(server.port) exited with 4")
    }

    @Test("a host key mismatch fails without connecting")
    func hostKeyMismatch() async throws {
        let engine = environment.makeEngine()
        try await engine.start(watchRequests: false)
        let record = try await engine.submitValue(server.submission("echo should-not-run", knownHosts: server.wrongKnownHosts))
        let final = try await environment.store.waitFor(record.id, toBe: [.completed, .failed], timeout: .seconds(30))
        #expect(final.state == .failed)
        #expect(final.failureReason?.contains("exit 255") == true)
        #expect(try environment.store.allText(record.id, stream: .stderr).contains("REMOTE HOST IDENTIFICATION HAS CHANGED")
                || (try environment.store.allText(record.id, stream: .stderr).contains("Host key verification failed")))
        #expect(try environment.store.allText(record.id, stream: .stdout).isEmpty)
    }

    @Test("an unreachable device fails with ssh's reason")
    func unreachable() async throws {
        let engine = environment.makeEngine()
        try await engine.start(watchRequests: false)
        let closedPort = try SSHServer.freePort()
        let record = try await engine.submitValue(server.submission("true", port: closedPort))
        let final = try await environment.store.waitFor(record.id, toBe: [.completed, .failed], timeout: .seconds(30))
        #expect(final.state == .failed)
        #expect(try environment.store.allText(record.id, stream: .stderr).contains("Connection refused"))
    }

    @Test("cancel stops a long remote command")
    func cancel() async throws {
        let engine = environment.makeEngine()
        try await engine.start(watchRequests: false)
        let record = try await engine.submitValue(server.submission("sleep 60"))
        _ = try await environment.store.waitFor(record.id, toBe: [.running])
        try await Task.sleep(for: .milliseconds(500))
        let started = ContinuousClock.now
        #expect(try await engine.cancel(record.id) == .cancelled)
        #expect(ContinuousClock.now - started < .seconds(5))
    }
}
