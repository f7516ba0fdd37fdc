import Foundation
@testable import TaskEngine
import Testing

/// The dashboard's list in a real terminal (issue 30): which device a row is at 60 columns (11), and
/// G reaching the oldest task past the loaded window (13). Read-only: no engine runs the stored tasks.
@Suite("the dashboard's list: a short target at 60 columns, G to the oldest task (tmux)", .serialized,
       .enabled(if: Executable.path != nil && FileManager.default.isExecutableFile(atPath: TmuxSession.tmux)))
struct ListWindowTmuxTests {
    /// A state directory holding `tasks` ended Run SSH Commands, newest first in `targets` order.
    static func store(targets: [String]) throws -> (root: String, state: String) {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("list-window-\(UUID().uuidString.prefix(8))").path
        let state = root + "/state"
        let store = try TaskStore(directory: StateDirectory(path: state))
        let start = Date().addingTimeInterval(-86_400)
        let records = targets.enumerated().map { offset, target in
            let submitted = start.addingTimeInterval(Double(targets.count - offset) * 10)
            return TaskRecord(id: UUID(), type: SSHCommandKind.type, submission: "{}", redactedSubmission: "{\"type\":\"ssh_command_task\"}",
                              displayName: "Run SSH Command", target: target, state: .completed, failureReason: nil, submittedAt: submitted,
                              startedAt: submitted.addingTimeInterval(1), endedAt: submitted.addingTimeInterval(4), pool: "remote", progress: nil)
        }
        // Oldest first: the list orders by insertion.
        try store.insert(records.reversed())
        return (root, state)
    }

    static func open(_ state: String, columns: Int) async throws -> TmuxSession {
        try await TmuxSession(command: "LANG=C.UTF-8 \(Executable.path!) dashboard --read-only --state-dir \(state); sleep 30",
                              columns: columns, rows: 24)
    }

    @Test("at 60 columns every row still names its device: a short target, cut with …, before the duration")
    func narrowTarget() async throws {
        let (root, state) = try Self.store(targets: ["kiosk-1", "kiosk-livingroom-display-7", "gw"])
        defer { try? FileManager.default.removeItem(atPath: root) }
        let session = try await Self.open(state, columns: 60)
        defer { session.close() }
        // The name column is 14 wide here ("Run SSH Comman"); the detail pane's title line says "✔ completed".
        let screen = try await session.waitFor { $0.filter { $0.contains("✔ Run SSH Comma") }.count == 3 }
        let rows = screen.filter { $0.contains("✔ Run SSH Comma") }
        #expect(rows.count == 3, "\(screen.joined(separator: "\n"))")
        guard rows.count == 3 else { return }
        #expect(rows[0].contains(" kiosk-1 "), "\(rows[0])")
        #expect(rows[1].contains(" kiosk-livi…"), "the long target is cut with …: \(rows[1])")
        #expect(!rows[1].contains("display-7"))
        #expect(rows[2].contains(" gw "), "\(rows[2])")
        for row in rows {
            // The duration (3.0s) comes after the target, on every row.
            let target = row.range(of: "kiosk") ?? row.range(of: " gw ")
            let duration = row.range(of: "3.0s")
            #expect(target != nil && duration != nil && target!.upperBound <= duration!.lowerBound, "\(row)")
        }
    }

    @Test("G goes to the oldest task, past the 400 tasks loaded at start")
    func endGoesToOldest() async throws {
        let targets = (1...500).map { "device-\($0)" } + ["the-oldest"]
        let (root, state) = try Self.store(targets: targets)
        defer { try? FileManager.default.removeItem(atPath: root) }
        let session = try await Self.open(state, columns: 100)
        defer { session.close() }
        try await session.waitFor { $0.contains(text: "1/400+") }
        try await session.send("G")
        let screen = try await session.waitFor(timeout: 5) { $0.contains(text: "501/501") }
        #expect(screen.contains(text: "the-oldest"), "\(screen.joined(separator: "\n"))")
        try await session.send("g")
        try await session.waitFor { $0.contains(text: "1/501") }
    }
}
