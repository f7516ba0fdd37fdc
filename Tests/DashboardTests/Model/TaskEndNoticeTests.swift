import Foundation
@testable import TaskEngine
import Testing
@testable import Dashboard

/// The end of a long task while the dashboard is open: the header says so for a few seconds and the
/// terminal is told once (bell for failures by default, OSC 9/777 with --notify osc), at most once a second.
@Suite("A notice when a long task ends (issue 10)")
struct TaskEndNoticeTests {
    static func record(_ name: String, state: TaskState, ran seconds: TimeInterval, parent: UUID? = nil, id: UUID = UUID()) -> TaskRecord {
        let start = Date().addingTimeInterval(-seconds - 1)
        return TaskRecord(id: id, type: "build_project_task", submission: "{}", redactedSubmission: "{}", displayName: name,
                          target: nil, state: state, failureReason: state == .failed ? "build: exit 1" : nil,
                          submittedAt: start, startedAt: start, endedAt: state.isFinal ? start.addingTimeInterval(seconds) : nil,
                          parentID: parent, pool: "nix")
    }

    @Test("only top-level tasks seen unfinished, that ran over 10 s, give a notice")
    func whichTasks() {
        let long = Self.record("Build Project", state: .running, ran: 30)
        let short = Self.record("Update Nix Flake", state: .running, ran: 3)
        let child = Self.record("Deploy to Device", state: .running, ran: 30, parent: UUID())
        let old = Self.record("Old", state: .completed, ran: 60)
        let before = [long, short, child, old]
        var after = before.map { record -> TaskRecord in
            var ended = record
            if !ended.state.isFinal { ended.state = .failed; ended.endedAt = record.startedAt!.addingTimeInterval(record.id == short.id ? 3 : 30) }
            return ended
        }
        after.append(Self.record("New", state: .completed, ran: 40))
        let notices = TaskEndNotice.ended(before: before, after: after)
        #expect(notices.map(\.taskID) == [long.id])
        #expect(notices.first?.headline == "Build Project failed after 30s")
        #expect(TaskEndNotice.ended(before: [], after: after).isEmpty, "the first load tells nothing")
    }

    @Test("bell for failures only, osc for completed and failed, off for nothing; never twice within a second")
    func alerterModes() {
        let failed = TaskEndNotice(taskID: UUID(), name: "Build Project", state: .failed, duration: 30)
        let completed = TaskEndNotice(taskID: UUID(), name: "Build Project", state: .completed, duration: 30)
        let cancelled = TaskEndNotice(taskID: UUID(), name: "Build Project", state: .cancelled, duration: 30)
        let start = ContinuousClock.now
        var bell = TaskEndAlerter(mode: .bell)
        #expect(bell.alert(for: completed, now: start) == nil)
        #expect(bell.alert(for: failed, now: start) == .bell)
        #expect(bell.alert(for: failed, now: start + .milliseconds(500)) == nil, "a second alert within a second")
        #expect(bell.alert(for: failed, now: start + .milliseconds(1100)) == .bell)
        var osc = TaskEndAlerter(mode: .osc)
        #expect(osc.alert(for: cancelled, now: start) == nil)
        #expect(osc.alert(for: completed, now: start) == .desktop(title: "thymis-tasks", body: "Build Project completed after 30s"))
        var off = TaskEndAlerter(mode: .off)
        #expect(off.alert(for: failed, now: start) == nil)
    }

    @Test("the notification's bytes carry no control character from a task name, in tmux too")
    func sequences() {
        let hostile = TerminalAlert.desktop(title: "thymis-tasks", body: "evil\u{1B}]0;T\u{07}\u{9B}6n\u{202E} name")
        #expect(hostile.sequence(environment: ["TERM": "xterm-256color"]) == Array("\u{1B}]9;thymis-tasks: evil]0;T6n name\u{07}".utf8))
        #expect(hostile.sequence(environment: ["TERM": "rxvt-unicode"]) == Array("\u{1B}]777;notify;thymis-tasks;evil]0;T6n name\u{07}".utf8))
        #expect(hostile.sequence(environment: ["TERM": "tmux-256color", "TMUX": "/tmp/t,1,0"])
                == Array("\u{1B}Ptmux;\u{1B}\u{1B}]9;thymis-tasks: evil]0;T6n name\u{07}\u{1B}\\".utf8))
        #expect(TerminalAlert.bell.sequence() == [0x07])
    }

    @Test("through the loop: a long task failing rings once and the header says which task ended")
    func throughTheLoop() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("dash-notice-\(UUID().uuidString.prefix(8))").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = try TaskStore(directory: StateDirectory(path: directory))
        let first = Self.record("Build Project", state: .running, ran: 30)
        let second = Self.record("Update Nix Flake", state: .running, ran: 30)
        try store.insert([first, second])
        let terminal = MemoryTerminal(rows: 30, columns: 120)
        let mailbox = Mailbox()
        let loop = DashboardLoop(terminal: terminal, store: store, model: DashboardModel(size: terminal.size), mailbox: mailbox, connection: .none)
        try loop.start()
        loop.render()
        #expect(terminal.alerts.isEmpty)
        #expect(try store.markEnded(first.id, state: .failed, reason: "build: exit 1", cancelled: false, at: Date()))
        mailbox.post(.taskChanged(first.id))
        loop.step(waitLimit: 0)
        loop.render()
        #expect(terminal.alerts == [.bell])
        #expect(terminal.lines[0].contains("Build Project failed after"), "\(terminal.lines[0])")
        // Another failure in the same second: the header moves on, the terminal is not told again.
        #expect(try store.markEnded(second.id, state: .failed, reason: "update: exit 1", cancelled: false, at: Date()))
        mailbox.post(.taskChanged(second.id))
        loop.step(waitLimit: 0)
        loop.render()
        #expect(terminal.alerts == [.bell])
        #expect(terminal.lines[0].contains("Update Nix Flake failed after"), "\(terminal.lines[0])")
    }
}
