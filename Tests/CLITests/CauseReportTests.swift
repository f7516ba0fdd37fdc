import Foundation
import Testing
@testable import TaskEngine

@Suite("why a task failed: show's cause, logs --failed, report", .serialized,
       .enabled(if: FileManager.default.isExecutableFile(atPath: CLIRunner.executable)))
struct CauseReportTests {
    let cli: CLIRunner
    init() throws { cli = try CLIRunner() }

    @Test("a failed build: show leads with the cause, --json has it, logs --failed prints the builder's log, the report has every part and no secret")
    func failedBuild() async throws {
        defer { cli.cleanUp() }
        let canary = "canary-token-\(UUID().uuidString)"
        let project = try cli.makeProject("broken", configurations: [
            "kiosk-1": "echo compiling; echo 'has ``` backticks'; echo 'firmware-blob: missing' >&2; exit 7",
        ])
        let submission = #"{"type": "build_project_task", "project_path": "\#(project)", "access_tokens": {"example.invalid": "\#(canary)"}}"#
        let result = try await cli.run(["submit", "--file", "-", "--wait"], stdin: submission)
        #expect(result.status == 1, "\(result.stderr)")
        let id = try #require(result.stdout.split(separator: "\n").first.map(String.init))

        let show = try await cli.run(["show", id])
        let head = show.stdout.split(separator: "\n").prefix(15).map(String.init)
        #expect(head.contains { $0.hasPrefix("cause: build: kiosk-1") && $0.hasSuffix("builder failed with exit code 7") }, "\(head)")
        #expect(head.contains("  exit code:  7"))
        #expect(head.contains("    > firmware-blob: missing"))

        let detail = try await cli.task(id)
        let cause = try #require(detail["cause"] as? [String: Any])
        #expect(cause["kind"] as? String == "builder" && cause["exit_code"] as? Int == 7 && cause["step"] as? String == "build")
        #expect(cause["last_lines"] as? [String] == ["compiling", "has ``` backticks", "firmware-blob: missing"])

        let failed = try await cli.run(["logs", id, "--failed"])
        #expect(failed.status == 0)
        #expect(failed.stdout == "compiling\nhas ``` backticks\nfirmware-blob: missing\n", "\(failed.stdout)")

        let report = try await cli.run(["report", id])
        #expect(report.status == 0, "\(report.stderr)")
        let text = report.stdout
        #expect(text.hasPrefix("# Build Project: failed\n"))
        for part in ["(`build_project_task`)", "- state: failed", "started: ", "thymis-tasks ", "nix (Nix) 2.", "## Cause",
                     "cause: build: kiosk-1", "## Submission", "\"access_tokens\"", "## Processes", "nix build", "## Last 3 lines of kiosk-1"] {
            #expect(text.contains(part), "missing \(part)")
        }
        // The log holds a run of three backticks: its fence is longer.
        #expect(text.contains("````\ncompiling\nhas ``` backticks\nfirmware-blob: missing\n````\n"), "\(text)")
        #expect(!text.contains(canary))
        let json = try await cli.run(["show", id, "--json"])
        #expect(!show.stdout.contains(canary) && !json.stdout.contains(canary))
    }
}
