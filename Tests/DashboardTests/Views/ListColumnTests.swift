import Foundation
import TaskEngine
import Testing
@testable import Dashboard

/// The list's one-line columns (issue 15): plain text, never a builder's raw escapes.
@Suite("Task list: progress and reason columns, filter line")
struct ListColumnTests {
    static func screen(_ model: DashboardModel) -> [String] {
        let terminal = MemoryTerminal(rows: 40, columns: 140)
        DashboardScreen(theme: Theme(ascii: false, color: true)).draw(on: terminal, model: model, content: nil, now: Fixtures.start)
        return terminal.lines
    }

    @Test("a builder's SGR colours are stripped in the progress column; a reason shows its first line, shortened")
    func plainColumns() {
        var model = Fixtures.model()
        let running = Fixtures.task("Build Project", state: .running, progress: "kiosk-1: \u{1B}[32mcompiling\u{1B}[0m unit 5", minute: 9)
        let failed = Fixtures.task("Build Project", state: .failed, target: "broken",
                                   reason: "build failed: nix exited with 1: builder for 'x.drv' failed with exit code 2;\n  last 1 log line:\n  > boom", minute: 8)
        model.apply(.tasksLoaded(TaskListSnapshot(topLevel: [running, failed], children: [:], hasMore: false)))
        let lines = Self.screen(model)
        #expect(lines.contains { $0.contains("kiosk-1: compiling unit 5") }, "\(lines.joined(separator: "\n"))")
        #expect(!lines.contains { $0.contains("^[") })
        // The row says which builder failed and how, without nix's own exit status (issue 30).
        #expect(lines.contains { $0.hasSuffix("build failed: x: builder exit 2") }, "\(lines.joined(separator: "\n"))")
        #expect(!lines.contains { $0.contains("^J") || $0.contains("> boom") }, "only the first line in the list")
    }

    @Test("the type filter names the type, not its id")
    func typeFilterName() {
        var model = Fixtures.model()
        _ = model.handle(.character("t"))
        let lines = Self.screen(model)
        let filterLine = lines.first { $0.contains("filter: type=") } ?? ""
        #expect(!filterLine.contains("_task"), "\(filterLine)")
        #expect(filterLine.contains("type=" + model.registry.typeName(of: model.typeFilter ?? "")))
    }

    @Test("a reason too long for the overview says where the whole of it is; the Submission tab holds every line")
    func longReason() {
        let reason = "build failed: nix exited with 1: builder for '/nix/store/" + String(repeating: "x", count: 150) + "-kiosk.drv' failed with exit code 2;\n  last 1 log line:\n  > main.c:42: error: boom"
        let task = Fixtures.task("Build Project", state: .failed, reason: reason)
        let process = ProcessRecord(taskID: task.id, index: 0, program: "/usr/bin/nix", arguments: [], environment: [:], workingDirectory: nil)
        let detail = TaskDetail(record: task, processes: [process], nixStates: [nil], children: [])
        let terminal = MemoryTerminal(rows: 40, columns: 140)
        var model = Fixtures.model()
        model.apply(.tasksLoaded(TaskListSnapshot(topLevel: [task], children: [:], hasMore: false)))
        let content = DetailContent(detail: detail, window: LogWindow(detail.submissionDocument(), state: model.log, height: 10))
        DashboardScreen(theme: Theme(ascii: false, color: true)).draw(on: terminal, model: model, content: content, now: Fixtures.start)
        #expect(terminal.line(1).contains("… 1: whole reason"), "\(terminal.line(1))")
        let text = detail.submissionDocument().plainText(limitBytes: 100_000)
        #expect(text.contains("failure reason\n  build failed: nix exited with 1") && text.contains("  > main.c:42: error: boom"))
    }

    @Test("at 60 columns each row keeps a short target, cut with …, before the duration (issue 30)")
    func narrowTarget() {
        var model = Fixtures.model(columns: 60)
        let short = Fixtures.task("Run SSH Command", type: "ssh_command_task", target: "kiosk-1", minute: 9)
        let long = Fixtures.task("Run SSH Command", type: "ssh_command_task", target: "kiosk-livingroom-display-7", minute: 8)
        model.apply(.tasksLoaded(TaskListSnapshot(topLevel: [short, long], children: [:], hasMore: false)))
        let terminal = MemoryTerminal(rows: 40, columns: 60)
        DashboardScreen(theme: Theme(ascii: false, color: true)).draw(on: terminal, model: model, content: nil, now: Fixtures.start)
        // "Run SSH Comman": the name column is 14 wide at 60 columns.
        let rows = terminal.lines.filter { $0.contains("✔ Run SSH Comma") }
        #expect(rows.count == 2, "\(terminal.lines.joined(separator: "\n"))")
        guard rows.count == 2 else { return }
        #expect(rows[0].contains(" kiosk-1 "), "\(rows[0])")
        #expect(rows[1].contains(" kiosk-livi… "), "\(rows[1])")
        for row in rows {
            #expect(TerminalText.displayWidth(of: row) <= 60)
            let target = row.range(of: "kiosk")!, duration = row.range(of: "4.0s")
            #expect(duration.map { target.upperBound <= $0.lowerBound } == true, "the duration follows the target: \(row)")
        }
        // With ASCII glyphs the cut shows ~, as every other cut in the dashboard does.
        let ascii = MemoryTerminal(rows: 40, columns: 60)
        DashboardScreen(theme: Theme(ascii: true, color: false)).draw(on: ascii, model: model, content: nil, now: Fixtures.start)
        #expect(ascii.lines.contains { $0.contains(" kiosk-livi~ ") }, "\(ascii.lines.joined(separator: "\n"))")
    }
}
