import Dashboard
import Foundation
import NixLog
import TaskEngine

/// Human-readable task lines for the terminal; everything that came from outside is sanitised.
enum TaskText {
    static func glyph(_ state: TaskDisplayState) -> String { TaskFormat.glyph(state) }

    /// "-" for a task that has not started, else the shared duration format.
    static func duration(_ seconds: TimeInterval?) -> String { seconds.map(TaskFormat.duration) ?? "-" }

    static func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? String(text.prefix(width)) : text + String(repeating: " ", count: width - text.count)
    }

    /// `text` cut to `columns` display columns, `…` at the end when cut.
    static func cut(_ text: String, toColumns columns: Int) -> String { TerminalText.cut(text, toColumns: columns) }

    /// One line of `list`.
    static func listLine(_ record: TaskRecord, indent: Int = 0, estimate: Estimate? = nil) -> String {
        let id = TaskFormat.shortID(record.id)
        let state = "\(glyph(record.displayState)) \(record.displayState.rawValue)"
        let name = String(repeating: "  ", count: indent) + TerminalText.plain(record.displayName)
        var detail = record.state == .failed ? TaskFormat.listReason(record) : record.progress
        if let estimate { detail = "(\(estimate.description(format: TaskFormat.duration))) " + (detail ?? "") }
        return [pad(id, 8), pad(state, 11), pad(name, 26), pad(TerminalText.plain(record.target ?? "-"), 20),
                pad(TaskFormat.timestamp(record.submittedAt), 16), pad(duration(record.duration()), 8),
                TerminalText.plain(detail.map { firstLine($0) } ?? "")].joined(separator: " ")
    }

    static let listHeader = [pad("ID", 8), pad("STATE", 11), pad("TASK", 26), pad("TARGET", 20), pad("SUBMITTED", 16),
                             pad("TIME", 8), "PROGRESS / REASON"].joined(separator: " ")

    static func firstLine(_ text: String) -> String {
        let line = text.split(whereSeparator: \.isNewline).first.map(String.init) ?? ""
        return line.count > 120 ? String(line.prefix(120)) + "…" : line
    }

    /// The whole of `show`.
    static func detail(_ record: TaskRecord, store: TaskStore) throws -> String {
        var lines: [String] = []
        lines.append("\(glyph(record.displayState)) \(TerminalText.plain(record.displayName))  [\(record.displayState.rawValue)]")
        // Why it failed comes first: within the first lines, before everything else.
        if let cause = try store.failureCause(of: record) { lines += cause.textLines.map(TerminalText.plain) }
        lines.append("id:         \(record.id.uuidString.lowercased())")
        lines.append("type:       \(record.type)")
        if let target = record.target { lines.append("target:     \(TerminalText.plain(target))") }
        lines.append("submitted:  \(TaskJSON.iso(record.submittedAt))")
        lines.append("started:    \(record.startedAt.map(TaskJSON.iso) ?? "-")")
        lines.append("ended:      \(record.endedAt.map(TaskJSON.iso) ?? "-")")
        lines.append("duration:   \(duration(record.duration()))")
        if let estimate = store.estimate(for: record) { lines.append("estimate:   \(estimate.description(format: TaskFormat.duration))") }
        if let pool = record.pool { lines.append("pool:       \(pool)") }
        if let who = record.runNowBy { lines.append("run now:    started at once, past the pool's limit, by \(TerminalText.plain(who))") }
        if let reason = record.failureReason {
            // The lines after the first quote the failed builder's last log lines (as `nix build` does).
            for (index, line) in reason.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
                lines.append((index == 0 ? "reason:     " : "            ") + TerminalText.plain(String(line)))
            }
        }
        if let progress = record.progress { lines.append("progress:   \(TerminalText.plain(progress))") }
        for section in record.resultSections {
            let label = (section.title + ":").padding(toLength: max(12, section.title.count + 2), withPad: " ", startingAt: 0)
            for (index, line) in section.lines.enumerated() {
                lines.append((index == 0 ? label : String(repeating: " ", count: label.count)) + TerminalText.plain(line))
            }
        }
        if let pruned = record.outputPruned { lines.append("output:     \(pruned.notice); the counts below are what it printed") }
        if let parent = record.parentID { lines.append("parent:     \(parent.uuidString.lowercased())") }
        if let retryOf = record.retryOf { lines.append("retry of:   \(retryOf.uuidString.lowercased())") }
        let children = try store.children(of: record.id)
        if !children.isEmpty {
            lines.append("children:")
            for child in children { lines.append("  " + listLine(child, estimate: store.estimate(for: child))) }
        }
        lines.append("submission:")
        let pretty = (try? JSONValue.parse(Data(record.redactedSubmission.utf8)))?.canonicalText(pretty: true) ?? record.redactedSubmission
        for line in pretty.split(separator: "\n") { lines.append("  " + TerminalText.plain(String(line))) }
        for process in try store.processes(of: record.id) {
            // Numbered from 1, as the dashboard and the cause block number them.
            lines.append("process \(process.index + 1): \(process.statusDescription)")
            lines.append("  $ \(TerminalText.plain(process.shellLine))")
            if let cwd = process.workingDirectory { lines.append("  cwd: \(TerminalText.plain(cwd))") }
            if let pid = process.pid { lines.append("  pid: \(pid)") }
            lines.append("  started \(process.startedAt.map(TaskJSON.iso) ?? "-"), ended \(process.endedAt.map(TaskJSON.iso) ?? "-")")
            // A nix whose stderr was all `@nix` messages has none left: say where they went, not "0 lines".
            let stderr = process.stderrLines == 0 && process.nixStateJSON != nil
                ? "stderr: only Nix's messages (summarised below)"
                : "stderr \(process.stderrLines) lines / \(process.stderrBytes) bytes"
            lines.append("  stdout \(process.stdoutLines) lines / \(process.stdoutBytes) bytes, \(stderr)")
            if let state = NixStateSnapshot.decode(process.nixStateJSON) {
                for line in NixLogReport(state: state).text.split(separator: "\n", omittingEmptySubsequences: false) {
                    lines.append("  " + TerminalText.plain(String(line)))
                }
            }
        }
        return lines.joined(separator: "\n")
    }
}
