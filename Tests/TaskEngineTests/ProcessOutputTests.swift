import Foundation
import Testing
@testable import TaskEngine

@Suite("processes run for real and every byte of their output is stored")
struct ProcessOutputTests {
    let environment: TestEnvironment
    init() throws { environment = try TestEnvironment() }

    @Test("stdout and stderr are kept apart, with exit status, pid and times")
    func bothStreams() async throws {
        let engine = environment.makeEngine()
        try await engine.start(watchRequests: false)
        let record = try await engine.submitValue(ScriptKind.submission("echo out1; echo err1 >&2; echo out2; printf 'no newline'"))
        let final = try await environment.store.waitFor(record.id, toBe: [.completed, .failed])
        #expect(final.state == .completed)
        #expect(final.startedAt != nil && final.endedAt != nil)
        #expect(try environment.store.allText(record.id, stream: .stdout) == "out1\nout2\nno newline")
        #expect(try environment.store.allText(record.id, stream: .stderr) == "err1\n")
        let process = try #require(try environment.store.processes(of: record.id).first)
        #expect(process.exitCode == 0)
        #expect(process.program == "/bin/sh")
        #expect(process.pid != nil)
        #expect(process.stdoutLines == 3)
        #expect(process.stderrLines == 1)
        #expect(process.environment["PATH"] != nil)
        let lines = try environment.store.lines(task: record.id, processIndex: 0, stream: .stdout, range: 1..<3)
        #expect(lines.map { String(decoding: $0, as: UTF8.self) } == ["out2", "no newline"])
    }

    @Test("a non-zero exit fails the task with a reason naming the step and the code")
    func failure() async throws {
        let engine = environment.makeEngine()
        try await engine.start(watchRequests: false)
        let record = try await engine.submitValue(ScriptKind.submission("echo about to fail >&2; exit 3"))
        let final = try await environment.store.waitFor(record.id, toBe: [.completed, .failed])
        #expect(final.state == .failed)
        #expect(final.failureReason == "script failed: sh exited with 3: about to fail")
        #expect(!final.cancelled)
    }

    @Test("a program that does not exist fails with a clear reason")
    func missingProgram() async throws {
        struct MissingProgramKind: TaskKind {
            static let type = "test_missing_program"
            static let typeName = "Missing"
            init(fields: SubmissionFields) throws(SubmissionError) {}
            var target: String? { nil }
            var pool: Pool? { .nix }
            func run(_ run: TaskRun) async throws {
                try await run.runRequiringSuccess(ProcessSpec(program: "no-such-program-xyz", arguments: [], environment: ["PATH": "/usr/bin:/bin"]))
            }
        }
        var registry = TaskKindRegistry.forTests
        registry.register(MissingProgramKind.self)
        let engine = TaskEngine(store: environment.store, registry: registry,
                                configuration: EngineConfiguration(baseEnvironment: TestEnvironment.childEnvironment))
        try await engine.start(watchRequests: false)
        let record = try await engine.submit(registry.validate(.object(["type": .string(MissingProgramKind.type)])))
        let final = try await environment.store.waitFor(record.id, toBe: [.completed, .failed])
        #expect(final.failureReason?.contains("\"no-such-program-xyz\" was not found in PATH") == true)
    }

    @Test("100,000 lines are all stored, in order, and read back by line range")
    func manyLines() async throws {
        let engine = environment.makeEngine()
        try await engine.start(watchRequests: false)
        let record = try await engine.submitValue(ScriptKind.submission("seq 1 100000"))
        _ = try await environment.store.waitFor(record.id, toBe: [.completed])
        let process = try #require(try environment.store.processes(of: record.id).first)
        #expect(process.stdoutLines == 100_000)
        let window = try environment.store.lines(task: record.id, processIndex: 0, stream: .stdout, range: 49_998..<50_002)
        #expect(window.map { String(decoding: $0, as: UTF8.self) } == ["49999", "50000", "50001", "50002"])
        let last = try environment.store.lines(task: record.id, processIndex: 0, stream: .stdout, range: 99_999..<100_010)
        #expect(last.map { String(decoding: $0, as: UTF8.self) } == ["100000"])
    }

    @Test("a line of several megabytes is stored whole, in pieces")
    func hugeLine() async throws {
        let engine = environment.makeEngine()
        try await engine.start(watchRequests: false)
        let record = try await engine.submitValue(ScriptKind.submission("head -c 3000000 /dev/zero | tr '\\0' x; echo; echo after"))
        _ = try await environment.store.waitFor(record.id, toBe: [.completed])
        let lines = try environment.store.lines(task: record.id, processIndex: 0, stream: .stdout, range: 0..<2)
        #expect(lines.count == 2)
        #expect(lines.first?.count == 3_000_000)
        #expect(lines.last.map { String(decoding: $0, as: UTF8.self) } == "after")
    }

    @Test("a daemonised grandchild holding stdout does not keep the task running, and is stopped")
    func daemonGrandchild() async throws {
        let engine = environment.makeEngine()
        try await engine.start(watchRequests: false)
        let pidFile = environment.path("daemon.pid")
        let record = try await engine.submitValue(ScriptKind.submission("sleep 300 & echo $! > \(pidFile); echo started"))
        let start = ContinuousClock.now
        let final = try await environment.store.waitFor(record.id, toBe: [.completed, .failed], timeout: .seconds(30))
        #expect(final.state == .completed)
        #expect(ContinuousClock.now - start < .seconds(20), "the task must not wait for the 300 s grandchild")
        let pid = try await readPID(pidFile)
        #expect(await eventually { !processIsAlive(pid) }, "the grandchild \(pid) must not outlive its task")
    }

    @Test("children get stdin /dev/null, no controlling terminal, and a session of their own")
    func isolation() async throws {
        let engine = environment.makeEngine()
        try await engine.start(watchRequests: false)
        let record = try await engine.submitValue(ScriptKind.submission(
            "readlink /proc/self/fd/0; ps -o sid=,pgid=,pid= -p $$; (tty || true)"))
        _ = try await environment.store.waitFor(record.id, toBe: [.completed])
        let text = try environment.store.allText(record.id, stream: .stdout)
        let lines = text.split(separator: "\n").map(String.init)
        #expect(lines.first == "/dev/null")
        let ids = lines[1].split(separator: " ").map(String.init)
        #expect(ids.count == 3 && ids[0] == ids[2] && ids[1] == ids[2], "sid == pgid == pid: \(lines[1])")
        #expect(text.contains("not a tty"))
    }

    @Test("the database is private: directory 0700, file 0600")
    func permissions() throws {
        let directoryMode = try FileManager.default.attributesOfItem(atPath: environment.directory.path)[.posixPermissions] as? Int
        let fileMode = try FileManager.default.attributesOfItem(atPath: environment.directory.databasePath)[.posixPermissions] as? Int
        #expect(directoryMode == 0o700)
        #expect(fileMode == 0o600)
    }
}
