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
