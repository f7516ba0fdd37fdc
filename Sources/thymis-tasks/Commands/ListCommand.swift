import ArgumentParser
import Dashboard
import Foundation
import TaskEngine

/// `list`: tasks newest first, children under their parents.
struct ListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List tasks, newest first.")

    @OptionGroup var global: GlobalOptions
    @Option(help: "Only tasks in this state: pending, running, completed, failed or cancelled.") var state: String?
    @Option(help: "Only tasks of this type, e.g. build_project_task.") var type: String?
    @Option(help: "At most this many tasks (default 50).") var limit: Int?
    @Flag(help: "Every task that matches, however many.") var all = false
    @Flag(help: "Print JSON.") var json = false

    func run() throws {
        if let limit, limit <= 0 { throw CLIError("--limit must be at least 1", code: ExitCodes.usage) }
        if all && limit != nil { throw CLIError("give --limit N or --all, not both", code: ExitCodes.usage) }
        let limit = all ? nil : (self.limit ?? 50)
        var states: [TaskState]?
        var onlyCancelled: Bool?
        if let state {
            switch state {
            case "cancelled": states = [.failed]; onlyCancelled = true
            case "failed": states = [.failed]; onlyCancelled = false
            default:
                guard let parsed = TaskState(rawValue: state) else {
                    throw CLIError("--state \(state) is not one of pending, running, completed, failed, cancelled", code: ExitCodes.usage)
                }
                states = [parsed]
            }
        }
        if let type, !TaskKindRegistry.standard.types.contains(type) {
            throw CLIError("--type \(type) is not a task type; use one of \(TaskKindRegistry.standard.types.joined(separator: ", "))",
                           code: ExitCodes.usage)
        }
        guard let store = try global.openExistingStore() else {
            // No tasks, and maybe a mistyped directory: say so on stderr, keep stdout parseable.
            if json { print("[]") }
            let message = "no tasks: \(StoreError.noStore(directory: global.directory.path))"
            FileHandle.standardError.write(Data("thymis-tasks: \(TerminalText.errorLine(message))\n".utf8))
            return
        }
        let scheduled = ScheduledAutoUpdate.current(in: global.directory)
        let filtered = states != nil || type != nil
        let parent: UUID?? = filtered ? nil : .some(nil)
        let records = try store.tasks(states: states, type: type, parent: parent, cancelled: onlyCancelled, limit: limit)
        if json {
            print(try TaskJSON.renderList(records, store: store))
            return
        }
        if let scheduled {
            // The CLI's one time format (HH:MM:SS today, MM-DD HH:MM later), not the locale's (issue 23: 15).
            let next = TaskFormat.timestamp(scheduled.nextRun)
            print("next auto-update: \(next) (\(scheduled.schedule), \(scheduled.projectPath))")
        }
        if records.isEmpty {
            print(filtered ? "no task matches" : "no tasks yet; submit one with `thymis-tasks submit --help`")
            return
        }
        // On a terminal each line ends at its right edge (no wrapped rows); into a pipe or file, whole.
        let width = Self.terminalColumns()
        func line(_ text: String) { print(width.map { TaskText.cut(text, toColumns: $0) } ?? text) }
        line(TaskText.listHeader)
        for record in records {
            line(TaskText.listLine(record, estimate: store.estimate(for: record)))
            if !filtered {
                for child in try store.children(of: record.id) {
                    line(TaskText.listLine(child, indent: 1, estimate: store.estimate(for: child)))
                }
            }
        }
        // A person at a terminal learns that the limit hid tasks; a pipe or a script gets the rows only.
        if standardOutputIsTerminal, let limit, records.count == limit {
            let left = try store.taskCount(states: states, type: type, parent: parent, cancelled: onlyCancelled) - records.count
            if left > 0 { line("… \(left) older task\(left == 1 ? "" : "s") (--limit N or --all)") }
        }
    }

    /// The terminal's width when stdout is one, else nil.
    static func terminalColumns() -> Int? {
        guard isatty(1) == 1 else { return nil }
        var size = winsize()
        guard ioctl(1, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 else { return nil }
        return Int(size.ws_col)
    }
}
