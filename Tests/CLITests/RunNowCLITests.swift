import Foundation
import Testing

/// `run-now ID` (issue 30: 16): a pending task behind a full pool starts at once, and `show` says who did it.
@Suite("run-now starts a pending task past its pool's limit", .serialized,
       .enabled(if: FileManager.default.isExecutableFile(atPath: CLIRunner.executable)))
struct RunNowCLITests {
    var cli: CLIRunner
    init() throws {
        cli = try CLIRunner()
        // One nix slot, so the second build waits behind the first.
        cli.extraEnvironment = ["THYMIS_TASKS_POOLS": "nix=1"]
        cli.idleExit = "5"
    }

    @Test("a build waiting behind a long one runs at once; the long one keeps running; who did it is recorded")
    func jumpsTheQueue() async throws {
        defer { cli.cleanUp() }
        let gate = cli.scratch + "/gate"
        defer { FileManager.default.createFile(atPath: gate, contents: nil) }
        let long = try cli.makeProject("long", configurations: ["slow": "while [ ! -e \(gate) ]; do sleep 0.1; done; mkdir -p $out"])
        let quick = try cli.makeProject("quick", configurations: ["fast": "mkdir -p $out"])
        let first = try await cli.run(["submit", "build-project", "--project", long])
        let firstID = first.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        _ = try await cli.waitForState(firstID, ["running"])
        let second = try await cli.run(["submit", "build-project", "--project", quick])
        let secondID = second.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        try await Task.sleep(for: .milliseconds(500))
        #expect(try await cli.task(secondID)["state"] as? String == "pending", "the nix pool is full")

        let ran = try await cli.run(["run-now", String(secondID.prefix(8))])
        #expect(ran.status == 0, "\(ran.stderr)")
        #expect(ran.stdout == "\(secondID): started now, past its pool's limit\n", "\(ran.stdout)")
        let done = try await cli.waitForState(secondID, ["completed"])
        #expect((done["run_now_by"] as? String)?.hasSuffix(" via thymis-tasks run-now") == true, "\(done["run_now_by"] ?? "nil")")
        #expect(try await cli.task(firstID)["state"] as? String == "running", "the long build still runs")
        #expect(try await cli.task(firstID)["run_now_by"] is NSNull)
        let shown = try await cli.run(["show", secondID])
        #expect(shown.stdout.contains("run now:    started at once, past the pool's limit, by "), "\(shown.stdout)")

        // Only a pending task: a running or finished one changes nothing (exit 1), an unknown id is exit 3.
        let running = try await cli.run(["run-now", firstID])
        #expect(running.status == 1 && running.stderr.contains("is running, not pending"), "\(running.stderr)")
        let finished = try await cli.run(["run-now", secondID])
        #expect(finished.status == 1 && finished.stderr.contains("is completed, not pending"), "\(finished.stderr)")
        let unknown = try await cli.run(["run-now", "ffffffff"])
        #expect(unknown.status == 3, "\(unknown.stderr)")

        FileManager.default.createFile(atPath: gate, contents: nil)
        _ = try await cli.waitForState(firstID, ["completed"])
    }
}
