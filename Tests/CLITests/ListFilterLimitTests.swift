import Foundation
import Testing
@testable import TaskEngine

/// `list --state X --type T --limit N` gives up to N tasks of that state and type: the limit is
/// taken after every filter, not before (issue 30: `--state cancelled --limit 1` said "no task matches").
@Suite("list: the limit applies after the state and type filters", .serialized,
       .enabled(if: FileManager.default.isExecutableFile(atPath: CLIRunner.executable)))
struct ListFilterLimitTests {
    let cli: CLIRunner
    init() throws { cli = try CLIRunner() }

    @Test("every state and type filter, with limits 1, 3 and 50, against the same filter applied to every task")
    func everyFilter() async throws {
        defer { cli.cleanUp() }
        let store = try TaskStore(directory: StateDirectory(path: cli.stateDirectory))
        // Newest last: 7 failed and 2 cancelled builds interleaved, then completed, running and pending of another type.
        let plan: [(String, TaskState, Bool)] = [
            ("build_project_task", .failed, true), ("build_project_task", .failed, false), ("build_project_task", .failed, false),
            ("ssh_command_task", .completed, false), ("build_project_task", .failed, false), ("build_project_task", .failed, true),
            ("build_project_task", .failed, false), ("ssh_command_task", .failed, false), ("build_project_task", .failed, false),
            ("ssh_command_task", .completed, false), ("ssh_command_task", .running, false), ("ssh_command_task", .pending, false),
        ]
        var all: [TaskRecord] = []
        for (offset, (type, state, cancelled)) in plan.enumerated() {
            let at = Date(timeIntervalSince1970: 1_800_000_000 + Double(offset))
            all.append(TaskRecord(id: UUID(), type: type, submission: "{}", redactedSubmission: "{}", displayName: "t\(offset)",
                                  target: nil, state: state, failureReason: state == .failed ? (cancelled ? "cancelled" : "x") : nil,
                                  cancelled: cancelled, submittedAt: at, startedAt: at, endedAt: state.isFinal ? at : nil,
                                  pool: nil))
        }
        for record in all { try store.insert([record]) }
        let newestFirst = Array(all.reversed())
        let states: [String?] = [nil, "pending", "running", "completed", "failed", "cancelled"]
        let types: [String?] = [nil, "build_project_task", "ssh_command_task"]
        for state in states {
            for type in types where state != nil || type != nil {
                let matching = newestFirst.filter { record in
                    let stateMatches: Bool = switch state {
                    case nil: true
                    case "cancelled": record.cancelled
                    case "failed": record.state == .failed && !record.cancelled
                    default: record.state.rawValue == state
                    }
                    return stateMatches && (type == nil || record.type == type)
                }
                for limit in [1, 3, 50] {
                    var arguments = ["list", "--json", "--limit", String(limit)]
                    if let state { arguments += ["--state", state] }
                    if let type { arguments += ["--type", type] }
                    let result = try await cli.run(arguments)
                    #expect(result.status == 0, "\(arguments): \(result.stderr)")
                    let rows = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [[String: Any]] ?? []
                    let ids = rows.compactMap { $0["id"] as? String }
                    #expect(ids == matching.prefix(limit).map { $0.id.uuidString.lowercased() }, "\(arguments)")
                }
            }
        }
    }
}
