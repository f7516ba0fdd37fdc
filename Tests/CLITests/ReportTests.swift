import Foundation
import Testing

/// `report` of a failed build: a pruned log is said to be pruned (not "Last 0 lines" over an empty
/// block), and every command line can be pasted into bash as it ran (issue 30: `NIX_CONFIG='…^J…'`).
@Suite("report: pruned output and command lines that can be run again", .serialized,
       .enabled(if: FileManager.default.isExecutableFile(atPath: CLIRunner.executable)
                && FileManager.default.isExecutableFile(atPath: "/bin/bash")))
struct ReportTests {
    let cli: CLIRunner
    init() throws { cli = try CLIRunner() }

    /// A real nix build whose builder prints two lines and exits 3.
    func failedBuild() async throws -> String {
        let project = try cli.makeProject("fleet", configurations: ["kiosk": "echo compiling; echo firmware-blob missing >&2; exit 3"])
        let result = try await cli.run(["submit", "build-project", "--project", project, "--wait"])
        #expect(result.status == 1, "\(result.stderr)")
        return result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    @Test("a failed build whose output was pruned: the log section says 'output pruned on DATE (N bytes)', no empty block")
    func prunedOutput() async throws {
        defer { cli.cleanUp() }
        let id = try await failedBuild()
        let before = try await cli.run(["report", id])
        #expect(before.stdout.contains("## Last 2 lines of kiosk-") && before.stdout.contains("firmware-blob missing"), "\(before.stdout)")
        let pruned = try await cli.run(["prune", "--max-output-size", "1"])
        #expect(pruned.status == 0, "\(pruned.stderr)")
        let report = try await cli.run(["report", id])
        #expect(report.status == 0, "\(report.stderr)")
        #expect(!report.stdout.contains("Last 0 lines"), "\(report.stdout)")
        let section = try #require(report.stdout.components(separatedBy: "## Last lines of kiosk-").dropFirst().first, "\(report.stdout)")
        let body = section.split(separator: "\n").dropFirst().map(String.init)
        #expect(body.first?.firstMatch(of: #/^output pruned on \d{4}-\d\d-\d\d \d\d:\d\d \([0-9.]+ [A-Za-z]+\); the cause above was kept$/#) != nil,
                "\(section)")
        #expect(!section.contains("```"), "no empty fenced block: \(section)")
        // The cause was kept and still names the builder's exit.
        #expect(report.stdout.contains("builder failed with exit code 3"))
    }

    @Test("NIX_CONFIG holding newlines is quoted $'…\\n…'; each command line, run by bash, gets the same value")
    func pasteableCommands() async throws {
        defer { cli.cleanUp() }
        let id = try await failedBuild()
        let report = try await cli.run(["report", id])
        let processes = try #require(report.stdout.components(separatedBy: "## Processes").dropFirst().first?
            .components(separatedBy: "\n## ").first, "\(report.stdout)")
        #expect(!processes.contains("^J"), "\(processes)")
        let lines = processes.split(separator: "\n").filter { $0.contains("/nix ") }
        #expect(lines.count == 2, "\(processes)")
        for line in lines {
            // Everything up to the program: the environment assignments, which bash evaluates as written.
            let program = try #require(line.range(of: " /"), "\(line)")
            let assignments = String(line[..<program.lowerBound])
            #expect(assignments.contains("NIX_CONFIG=$'"), "\(line)")
            let printed = try await cli.runProgram("/bin/bash", ["-c", "\(assignments) /usr/bin/env | grep -A3 '^NIX_CONFIG='"])
            #expect(printed.stdout.contains("substituters =\nsandbox = false\n"), "\(line)\n->\n\(printed.stdout)")
        }
    }
}
