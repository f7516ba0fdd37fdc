import Foundation
@testable import TaskEngine
import Testing
@testable import Dashboard

/// `thymis-tasks list` on a real terminal: each line ends at the pane's right edge with a visible
/// `…` instead of wrapping onto the next row; into a pipe the lines stay whole.
@Suite("list cuts its lines at the terminal width (tmux)", .serialized, .enabled(if: Executable.path != nil && FileManager.default.isExecutableFile(atPath: TmuxSession.tmux)))
struct ListWidthTmuxTests {
    /// A store with tasks whose names, targets and reasons are long (one with wide characters),
    /// and a short one; none running, so every line reads the same each time it is listed.
    static func store() throws -> (root: String, state: String) {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("list-width-\(UUID().uuidString.prefix(8))").path
        let state = root + "/state"
        let store = try TaskStore(directory: StateDirectory(path: state))
        let start = Date().addingTimeInterval(-3600)
        func task(_ name: String, _ state: TaskState, target: String, type: String = "build_project_task",
                  reason: String? = nil, progress: String? = nil, minute: Double) -> TaskRecord {
            let submitted = start.addingTimeInterval(minute * 60)
            return TaskRecord(id: UUID(), type: type, submission: "{}", redactedSubmission: "{\"type\":\"\(type)\"}", displayName: name,
                              target: target, state: state, failureReason: reason, submittedAt: submitted,
                              startedAt: state == .pending ? nil : submitted.addingTimeInterval(1),
                              endedAt: state.isFinal ? submitted.addingTimeInterval(95) : nil, pool: "nix", progress: progress)
        }
        try store.insert([
            task("Build Project", .failed, target: "a-fleet-project-with-a-really-long-checkout-name",
                 reason: "build: builder for '/nix/store/0123456789abcdfghijklmnpqrsvwxyz-kiosk-image-with-a-long-derivation-name.drv' failed with exit code 2 after compiling for a very long time",
                 minute: 1),
            task("Run SSH Command on a device whose name is longer than the column", .failed, target: "root@kiosk-漢字-東京-支店-端末-一番",
                 type: "ssh_command_task", reason: "ssh: exit 1: 端末の設定ファイルが見つかりません (the device's configuration file was not found on the device at all)",
                 minute: 2),
            task("Update Nix Flake", .pending, target: "fleet", type: "project_flake_update_task",
                 progress: "waiting for a slot in the nix pool, which two long builds hold at the moment", minute: 3),
            task("Build Project", .completed, target: "x", minute: 4),
        ])
        return (root, state)
    }

    /// What `list` prints into a pipe: the whole lines.
    static func wholeLines(state: String) async throws -> [String] {
        let listed = try await run(Executable.path!, ["list", "--state-dir", state])
        #expect(listed.status == 0)
        return listed.output.split(separator: "\n").map { String($0).trimmingTrailingSpaces }
    }

    /// `list` in a pane `columns` wide, as the terminal shows it (rows joined back where tmux wrapped them).
    static func listedInPane(state: String, columns: Int) async throws -> [String] {
        let session = try await TmuxSession(command: "LANG=C.UTF-8 \(Executable.path!) list --state-dir \(state); echo LIST-DONE; sleep 30",
                                            columns: columns, rows: 20)
        defer { session.close() }
        try await session.waitFor { $0.contains(text: "LIST-DONE") }
        let joined = try await run(TmuxSession.tmux, ["capture-pane", "-p", "-J", "-t", session.name]).output
        let lines = joined.split(separator: "\n").map { String($0).trimmingTrailingSpaces }
        return Array(lines.prefix { $0 != "LIST-DONE" })
    }

    @Test("at 60 and 200 columns no line is wider than the pane, and each longer one ends in … at the edge")
    func cutsAtTheWidth() async throws {
        let (root, state) = try Self.store()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let whole = try await Self.wholeLines(state: state)
        #expect(whole.count == 5, "a header and four tasks: \(whole)")
        #expect(whole.contains { TerminalText.displayWidth(of: $0) > 200 }, "some lines are wider than both panes")
        #expect(whole.contains { $0.contains("漢字") })

        for columns in [60, 200] {
            let shown = try await Self.listedInPane(state: state, columns: columns)
            #expect(shown.count == whole.count, "one row per line, none wrapped, at \(columns): \(shown)")
            for (line, full) in zip(shown, whole) {
                let width = TerminalText.displayWidth(of: line)
                #expect(width <= columns, "\(width) columns at \(columns): \(line)")
                if TerminalText.displayWidth(of: full) > columns {
                    #expect(line.hasSuffix("…"), "a cut line shows … at \(columns): \(line)")
                    #expect(width >= columns - 1, "the cut is at the edge (a wide character may leave one column): \(line)")
                    #expect(full.hasPrefix(String(line.dropLast())), "the line's start is kept: \(line)")
                } else {
                    #expect(line == full, "a line that fits is whole at \(columns)")
                }
            }
        }
    }
}

extension String {
    fileprivate var trimmingTrailingSpaces: String {
        var text = self
        while text.last == " " { text.removeLast() }
        return text
    }
}
