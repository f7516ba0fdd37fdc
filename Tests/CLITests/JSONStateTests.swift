import Foundation
import Testing
@testable import TaskEngine

/// `--json`'s `state` is what the list shows: a cancelled task is "cancelled", not "failed" with
/// `cancelled: true` (issue 30: scripts reading `.state` counted cancels as failures), every field is
/// documented in docs/cli.md, and the exit codes of `submit --wait` and `cancel` agree with `state`.
@Suite("--json: state as the list shows it, every field documented, exit codes that agree", .serialized,
       .enabled(if: FileManager.default.isExecutableFile(atPath: CLIRunner.executable)))
struct JSONStateTests {
    let cli: CLIRunner
    init() throws { cli = try CLIRunner() }

    static let docs = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("docs/cli.md")

    func insert(_ states: [(TaskState, Bool)]) throws -> [TaskRecord] {
        let store = try TaskStore(directory: StateDirectory(path: cli.stateDirectory))
        var records: [TaskRecord] = []
        for (offset, (state, cancelled)) in states.enumerated() {
            let at = Date(timeIntervalSince1970: 1_800_000_000 + Double(offset))
            let record = TaskRecord(id: UUID(), type: "build_project_task", submission: "{}", redactedSubmission: "{}",
                                    displayName: "t\(offset)", target: nil, state: state,
                                    failureReason: state == .failed ? (cancelled ? "cancelled" : "build failed: x") : nil,
                                    cancelled: cancelled, submittedAt: at, startedAt: at, endedAt: state.isFinal ? at : nil, pool: "nix")
            try store.insert([record])
            records.append(record)
        }
        return records
    }

    @Test("list --json and show --json: state is cancelled for a cancelled task, failed for a failed one, as list shows")
    func cancelledState() async throws {
        defer { cli.cleanUp() }
        let records = try insert([(.failed, true), (.failed, false), (.completed, false)])
        let listed = try await cli.tasks()
        let states = Dictionary(uniqueKeysWithValues: listed.map { ($0["id"] as? String ?? "", $0) })
        let cancelled = try #require(states[records[0].id.uuidString.lowercased()])
        #expect(cancelled["state"] as? String == "cancelled")
        #expect(cancelled["cancelled"] as? Bool == true && cancelled["display_state"] as? String == "cancelled")
        let failed = try #require(states[records[1].id.uuidString.lowercased()])
        #expect(failed["state"] as? String == "failed" && failed["cancelled"] as? Bool == false)
        let shown = try await cli.task(records[0].id.uuidString)
        #expect(shown["state"] as? String == "cancelled")
        // The human list says the same word.
        let text = try await cli.run(["list"])
        #expect(text.stdout.split(separator: "\n").contains { $0.hasPrefix(String(records[0].id.uuidString.lowercased().prefix(8))) && $0.contains("cancelled") })
    }

    @Test("every field of list --json and show --json is in docs/cli.md's JSON field table")
    func everyFieldDocumented() async throws {
        defer { cli.cleanUp() }
        let records = try insert([(.failed, false)])
        let docs = try String(contentsOf: Self.docs, encoding: .utf8)
        let section = try #require(docs.components(separatedBy: "## JSON fields").dropFirst().first?.components(separatedBy: "\n## ").first)
        // The table's first column: one or more `name`s.
        var documented: Set<String> = []
        for line in section.split(separator: "\n") where line.hasPrefix("| `") {
            let first = line.split(separator: "|").first ?? ""
            for match in first.matches(of: #/`([a-z_]+)`/#) { documented.insert(String(match.output.1)) }
        }
        let listed = try #require(try await cli.tasks().first)
        let shown = try await cli.task(records[0].id.uuidString)
        let fields = Set(listed.keys).union(shown.keys)
        #expect(fields.count > 20)
        #expect(fields.subtracting(documented).isEmpty, "undocumented: \(fields.subtracting(documented).sorted())")
        #expect(documented.subtracting(fields).isEmpty, "documented but not printed: \(documented.subtracting(fields).sorted())")
    }

    @Test("submit --wait --json of a build cancelled meanwhile: exit 1, final state cancelled; cancel: exit 0, then 1")
    func cancelExitCodes() async throws {
        defer { cli.cleanUp() }
        let marker = "thymis-json-cancel-\(UUID().uuidString.prefix(8))"
        let project = try cli.makeProject("slow", configurations: ["slow": "echo \(marker); sleep 120"])
        let waiter = try cli.start(["submit", "build-project", "--project", project, "--wait", "--json"])
        let deadline = ContinuousClock.now + .seconds(30)
        var id: String?
        while id == nil, ContinuousClock.now < deadline {
            let first = (try? String(contentsOfFile: waiter.stdout, encoding: .utf8))?.split(separator: "\n").first
            id = first.flatMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }?["id"] as? String
            try await Task.sleep(for: .milliseconds(100))
        }
        let taskID = try #require(id, "submit --wait printed no id")
        _ = try await cli.waitForState(taskID, ["running"])
        let cancel = try await cli.run(["cancel", taskID])
        #expect(cancel.status == 0, "\(cancel.stderr)")
        let waited = try await cli.wait(waiter, timeout: .seconds(30))
        #expect(waited.status == 1, "\(waited.stderr)")
        // The last line is the final record, on one line or pretty: everything after the id line.
        let final = waited.stdout.split(separator: "\n", maxSplits: 1).dropFirst().first.map(String.init) ?? ""
        let record = try #require(try JSONSerialization.jsonObject(with: Data(final.utf8)) as? [String: Any], "\(waited.stdout)")
        #expect(record["state"] as? String == "cancelled" && record["cancelled"] as? Bool == true)
        let again = try await cli.run(["cancel", taskID])
        #expect(again.status == 1 && again.stderr.contains("already cancelled"), "\(again.stderr)")
    }
}
