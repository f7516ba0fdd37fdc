import Foundation
import Testing
@testable import TaskEngine

/// A store that fails for a few seconds while a process prints (issue 16): storing resumes, the
/// waiting output is bounded with a visible gap marker, and the task keeps the process' own result.
///
/// Most tests make the writes fail through `TaskStore.faultInjection`, which the real write path
/// checks inside its transaction (so the error takes the same way a full disk's does): as root,
/// permissions do not stop writes, and a tmpfs cannot be filled for an exact time. One test makes
/// the real WAL file immutable with `chattr +i`, as the adversarial trial did.
@Suite("a short store write failure does not stop storing output", .serialized)
struct OutputStoreFaultTests {
    let environment: TestEnvironment
    init() throws { environment = try TestEnvironment() }

    func storedLines(_ id: UUID) -> Int64 {
        ((try? environment.store.processes(of: id))?.first?.stdoutLines) ?? 0
    }

    func text(_ id: UUID) throws -> [String] {
        try environment.store.allText(id, stream: .stdout).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    }

    @Test("output written while writes fail for 1.5 s is stored afterwards, complete; the task ends with the process' own result")
    func nothingLost() async throws {
        let engine = environment.makeEngine()
        try await engine.start(watchRequests: false)
        let record = try await engine.submitValue(ScriptKind.submission(
            "i=0; while [ $i -lt 80 ]; do echo line-$i; i=$((i+1)); sleep 0.05; done; echo giving up >&2; exit 3"))
        #expect(await eventually { storedLines(record.id) > 0 }, "the first lines are stored before the fault")
        environment.store.faultInjection.failOutputWrites(for: .milliseconds(1500))
        let final = try await environment.store.waitFor(record.id, toBe: [.completed, .failed])
        #expect(environment.store.faultInjection.failures > 0, "writes really failed while the process printed")
        #expect(final.failureReason == "script failed: sh exited with 3: giving up", "nix's (here sh's) own result, not the store's")
        #expect(try text(record.id) == (0..<80).map { "line-\($0)" } + [""])
        #expect(storedLines(record.id) == 80)
    }

    @Test("more than 8 MiB waiting: the oldest is dropped and a marker says how much and when, where it is missing")
    func boundedWithMarker() async throws {
        let engine = environment.makeEngine()
        try await engine.start(watchRequests: false)
        let go = environment.path("go")
        // 200,000 numbered lines of 60 bytes (12 MB) while the store fails, then a last line after it works again.
        let record = try await engine.submitValue(ScriptKind.submission("""
            echo first; while [ ! -e \(go) ]; do sleep 0.02; done
            seq -w 1 200000 | sed 's/$/ ..................................................../'
            sleep 6; echo last
            """))
        #expect(await eventually { storedLines(record.id) > 0 })
        environment.store.faultInjection.failOutputWrites(for: .seconds(3))
        _ = FileManager.default.createFile(atPath: go, contents: nil)
        let final = try await environment.store.waitFor(record.id, toBe: [.completed, .failed], timeout: .seconds(60))
        #expect(final.state == .completed, "\(final.failureReason ?? "")")

        let lines = try text(record.id)
        #expect(lines.first == "first")
        #expect(lines.suffix(2) == ["last", ""])
        let marker = try #require(lines.dropFirst().first, "a line after the first")
        let pattern = /\[thymis-tasks: (\d+) bytes lost at \d\d:\d\d:\d\d: an I\/O error \(injected by a test\)\]/
        let match = try #require(marker.wholeMatch(of: pattern), "the gap marker comes where lines are missing: \(marker)")
        // What follows the marker continues without a hole up to the last numbered line.
        let numbered = lines.dropFirst(2).dropLast(2)
        let first = try #require(numbered.first.flatMap { Int($0.prefix(6)) })
        #expect(numbered.count == 200_000 - first + 1)
        #expect(numbered.enumerated().allSatisfy { Int($0.element.prefix(6)) == first + $0.offset })
        #expect(Int(match.1) == (first - 1) * 60, "the marker counts exactly the dropped lines' bytes")
        #expect((first - 1) * 60 >= 12_000_000 - OutputWriter.backlogLimit, "at most 8 MiB waited")

        // Line numbers are those of what is stored: the counter, and paging by line, agree with the text.
        #expect(storedLines(record.id) == Int64(lines.count - 1))
        let page = try environment.store.lines(task: record.id, processIndex: 0, stream: .stdout, range: 1..<3)
        #expect(page.map { String(decoding: $0, as: UTF8.self) } == [marker, numbered.first!])
        let last = Int64(lines.count - 2)
        #expect(try environment.store.lines(task: record.id, processIndex: 0, stream: .stdout, range: last..<(last + 1))
            .map { String(decoding: $0, as: UTF8.self) } == ["last"])
    }

    @Test("a store still failing after the process ended: the task ends failed, naming the loss and the process' own result")
    func failingPastTheEnd() async throws {
        let engine = environment.makeEngine()
        try await engine.start(watchRequests: false)
        let go = environment.path("go")
        let record = try await engine.submitValue(ScriptKind.submission(
            "echo first; while [ ! -e \(go) ]; do sleep 0.02; done; echo second"))
        #expect(await eventually { storedLines(record.id) > 0 })
        // Longer than the final retry window: the output is given up, the end (not an output write) is recorded.
        environment.store.faultInjection.failOutputWrites(for: OutputWriter.finalRetryWindow + .seconds(5))
        _ = FileManager.default.createFile(atPath: go, contents: nil)
        let final = try await environment.store.waitFor(record.id, toBe: [.completed, .failed], timeout: .seconds(60))
        #expect(final.state == .failed)
        #expect(final.failureReason == "the store could not be written (an I/O error (injected by a test)), so 7 bytes of its output are missing; its own result: completed")
        #expect(try text(record.id) == ["first", ""])
    }

    @Test("the WAL file made immutable for 2 s (chattr +i): output resumes, complete",
          .enabled(if: getuid() == 0 && FileManager.default.isExecutableFile(atPath: "/usr/bin/chattr")))
    func immutableWAL() async throws {
        let engine = environment.makeEngine()
        try await engine.start(watchRequests: false)
        let record = try await engine.submitValue(ScriptKind.submission(
            "i=0; while [ $i -lt 100 ]; do echo line-$i; i=$((i+1)); sleep 0.05; done"))
        #expect(await eventually { storedLines(record.id) > 0 })
        let wal = environment.store.path + "-wal"
        guard runQuietly("/usr/bin/chattr", ["+i", wal]) == 0 else { return }  // a file system without attributes
        defer { _ = runQuietly("/usr/bin/chattr", ["-i", wal]) }
        #expect(throws: StoreError.self, "the fault is real: a write fails") {
            try environment.store.setProgress(record.id, "probe")
        }
        let stalled = storedLines(record.id)
        try await Task.sleep(for: .seconds(2))
        #expect(storedLines(record.id) == stalled, "nothing was stored while the WAL was immutable")
        #expect(runQuietly("/usr/bin/chattr", ["-i", wal]) == 0)
        let final = try await environment.store.waitFor(record.id, toBe: [.completed, .failed], timeout: .seconds(30))
        #expect(final.state == .completed, "\(final.failureReason ?? "")")
        #expect(try text(record.id) == (0..<100).map { "line-\($0)" } + [""])
    }
}

/// Runs a program with no output, returning its wait status.
func runQuietly(_ program: String, _ arguments: [String]) -> Int32 {
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    for fd: Int32 in [0, 1, 2] { posix_spawn_file_actions_addopen(&actions, fd, "/dev/null", fd == 0 ? O_RDONLY : O_WRONLY, 0) }
    let words = [program] + arguments
    let argv: [UnsafeMutablePointer<CChar>?] = words.map { word in strdup(word) } + [nil]
    defer { for pointer in argv { free(pointer) } }
    var pid: pid_t = 0
    guard posix_spawn(&pid, program, &actions, nil, argv, environ) == 0 else { return -1 }
    var status: Int32 = 0
    waitpid(pid, &status, 0)
    return status
}
