import Foundation
import Testing
@testable import TaskEngine

/// On a terminal, `list` says how many tasks its limit left out (issue 30: 50 rows of 502 and no
/// hint); `--all` lists them all; a pipe and `--json` get the rows only.
@Suite("list: a footer for the tasks the limit left out, and --all", .serialized,
       .enabled(if: FileManager.default.isExecutableFile(atPath: CLIRunner.executable)
                && FileManager.default.isExecutableFile(atPath: "/usr/bin/script")))
struct ListFooterTests {
    let cli: CLIRunner
    init() throws { cli = try CLIRunner() }

    func insert(_ count: Int) throws {
        let store = try TaskStore(directory: StateDirectory(path: cli.stateDirectory))
        let records = (0..<count).map { offset in
            let at = Date(timeIntervalSince1970: 1_800_000_000 + Double(offset))
            return TaskRecord(id: UUID(), type: offset % 2 == 0 ? "build_project_task" : "ssh_command_task", submission: "{}",
                              redactedSubmission: "{}", displayName: "t\(offset)", target: nil, state: .completed,
                              submittedAt: at, startedAt: at, endedAt: at, pool: "nix")
        }
        try store.insert(records)
    }

    /// `thymis-tasks ARGS` on a pseudo-terminal (`script`), its output as text.
    func onTerminal(_ arguments: [String]) async throws -> String {
        let output = cli.scratch + "/pty-\(UUID().uuidString.prefix(6))"
        let command = ([CLIRunner.executable] + arguments).map { "'" + $0 + "'" }.joined(separator: " ")
        let result = try await cli.runProgram("/usr/bin/script", ["-q", "-e", "-c", "stty cols 200; " + command, output])
        #expect(result.status == 0, "\(arguments): \(result.stderr)")
        // Without `script`'s own lines ("Script started/done on ...") in its typescript.
        let text = String(decoding: FileManager.default.contents(atPath: output) ?? Data(), as: UTF8.self)
        return text.split(whereSeparator: \.isNewline).filter { !$0.hasPrefix("Script ") }.joined(separator: "\n")
    }

    @Test("62 tasks: the terminal's list ends with '… 12 older tasks (--limit N or --all)'; a filter counts what matches")
    func footer() async throws {
        defer { cli.cleanUp() }
        try insert(62)
        let listed = try await onTerminal(["list"])
        let lines = listed.split(whereSeparator: \.isNewline).map { String($0) }
        #expect(lines.filter { $0.contains(" completed ") }.count == 50, "\(listed)")
        #expect(lines.last == "… 12 older tasks (--limit N or --all)", "\(lines.last ?? "")")
        let filtered = try await onTerminal(["list", "--type", "ssh_command_task", "--limit", "30"])
        #expect(filtered.split(whereSeparator: \.isNewline).last == "… 1 older task (--limit N or --all)", "\(filtered)")
        // Everything shown: no footer.
        let all = try await onTerminal(["list", "--all"])
        #expect(all.split(whereSeparator: \.isNewline).filter { $0.contains(" completed ") }.count == 62)
        #expect(!all.contains("older task"))
        let exact = try await onTerminal(["list", "--limit", "62"])
        #expect(!exact.contains("older task"))
    }

    @Test("into a pipe and with --json: the rows only, --json a plain array; --all with --limit is refused")
    func noFooterForScripts() async throws {
        defer { cli.cleanUp() }
        try insert(55)
        let piped = try await cli.run(["list"])
        #expect(piped.status == 0 && !piped.stdout.contains("older task"), "\(piped.stdout)")
        let json = try await cli.run(["list", "--json"])
        #expect((try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [Any])?.count == 50)
        let all = try await cli.run(["list", "--json", "--all"])
        #expect((try JSONSerialization.jsonObject(with: Data(all.stdout.utf8)) as? [Any])?.count == 55)
        let both = try await cli.run(["list", "--all", "--limit", "3"])
        #expect(both.status == 64 && both.stderr.contains("give --limit N or --all, not both"), "\(both.stderr)")
    }
}
