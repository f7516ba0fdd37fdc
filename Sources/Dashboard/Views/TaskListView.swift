import Foundation
import NixLog
import TaskEngine

/// The task list at the bottom: a column header, then one line per task (state glyph, name,
/// target, submitted time, live duration, progress), children indented under their parent.
struct TaskListView {
    let theme: Theme

    /// Column widths for a terminal width: narrow terminals drop the submitted time and keep a short
    /// target (cut with …), which is how a reader tells one device's row from another's.
    struct Columns {
        var name: Int
        var target: Int
        var submitted: Int
        var duration = 8
        var progress: Int

        init(width: Int) {
            let fixed = 3 + duration  // glyph + spaces
            var rest = width - fixed
            name = min(28, max(12, rest * 3 / 10))
            rest -= name + 1
            target = width >= 80 ? min(20, rest / 4) : (width >= 40 ? min(12, rest / 3) : 0)
            rest -= target > 0 ? target + 1 : 0
            submitted = width >= 64 ? 8 : 0
            rest -= submitted > 0 ? submitted + 1 : 0
            progress = max(0, rest - 1)
        }
    }

    func draw(on terminal: any Terminal, model: DashboardModel, now: Date) {
        let layout = model.layout
        let width = terminal.size.columns
        let columns = Columns(width: width)
        drawHeader(on: terminal, model: model, columns: columns, width: width)
        let rows = model.rows
        if rows.isEmpty {
            let message = model.hasFilter ? "no task matches the filter (Esc clears it)"
                : "no tasks yet" + (model.readOnly ? "" : ": press n to submit one, or run `thymis-tasks submit`")
            terminal.draw("  " + message, row: layout.listRows.lowerBound, column: 0, maxColumns: width, style: theme.label)
            return
        }
        for (offset, row) in layout.listRows.enumerated() {
            let index = model.listTop + offset
            guard index < rows.count else { break }
            drawRow(rows[index], on: terminal, row: row, columns: columns, width: width,
                    selected: rows[index].id == model.selectedID, focused: model.focus == .list, now: now)
        }
        if model.snapshot.hasMore && model.listTop + layout.listRows.count >= rows.count {
            terminal.draw(" \(theme.ellipsis) more (scroll down) ", row: layout.footerRow - 1, column: max(0, width - 22),
                          maxColumns: 22, style: theme.label)
        }
    }

    private func drawHeader(on terminal: any Terminal, model: DashboardModel, columns: Columns, width: Int) {
        let row = model.layout.listHeaderRow
        let focused = model.focus == .list
        let titleStyle = focused ? theme.paneTitleFocused : theme.paneTitle
        terminal.fill(row: row, column: 0, count: width, style: focused ? TextStyle(underline: true) : theme.label)
        var column = terminal.draw(" Tasks ", row: row, column: 0, maxColumns: width, style: titleStyle)
        var filters: [String] = []
        if let state = model.stateFilter { filters.append("state=\(state.rawValue)") }
        if let type = model.typeFilter { filters.append("type=\(model.registry.typeName(of: type))") }
        if !model.textFilter.isEmpty { filters.append("\"\(model.textFilter)\"") }
        let position = model.selectedIndex.map { "\($0 + 1)/\(model.rows.count)\(model.snapshot.hasMore ? "+" : "")" } ?? "0"
        column += terminal.draw(" \(position) ", row: row, column: column, maxColumns: width - column, style: theme.label)
        if !filters.isEmpty {
            column += terminal.draw(" filter: " + filters.joined(separator: " "), row: row, column: column,
                                    maxColumns: width - column, style: theme.key)
        }
    }

    private func drawRow(_ row: TaskRow, on terminal: any Terminal, row y: Int, columns: Columns, width: Int,
                         selected: Bool, focused: Bool, now: Date) {
        let record = row.record
        let base: TextStyle = selected ? (focused ? theme.selection : theme.selectionUnfocused) : .plain
        if selected { terminal.fill(row: y, column: 0, count: width, style: base) }
        var stateStyle = theme.style(record.displayState)
        stateStyle.reverse = base.reverse
        stateStyle.underline = stateStyle.underline || base.underline
        var x = terminal.draw(" " + theme.glyph(record.displayState) + " ", row: y, column: 0, maxColumns: 3, style: stateStyle)

        var name = record.displayName
        if row.depth > 0 {
            name = theme.childIndent + " " + name
        } else if row.childCount > 0 {
            name = (row.isFolded ? theme.foldClosed : theme.foldOpen) + " " + name + " (\(row.childCount))"
        }
        var nameStyle = base
        nameStyle.bold = nameStyle.bold || record.state == .running
        x += pad(terminal.draw(name, row: y, column: x, maxColumns: columns.name, style: nameStyle), to: columns.name + 1)
        if columns.target > 0 {
            let target = TerminalText.cut(record.target ?? "", toColumns: columns.target, ellipsis: theme.ellipsis)
            terminal.draw(target, row: y, column: x, maxColumns: columns.target, style: base)
            x += columns.target + 1
        }
        if columns.submitted > 0 {
            terminal.draw(TaskFormat.timestamp(record.submittedAt, now: now), row: y, column: x, maxColumns: columns.submitted, style: base)
            x += columns.submitted + 1
        }
        let duration = record.duration(now: now).map(TaskFormat.duration) ?? "-"
        let durationWidth = TerminalText.displayWidth(of: duration)
        terminal.draw(duration, row: y, column: x + max(0, columns.duration - 1 - durationWidth), maxColumns: columns.duration, style: base)
        x += columns.duration
        drawProgress(row, on: terminal, row: y, column: x, width: min(columns.progress, width - x), base: base, now: now)
    }

    private func pad(_ used: Int, to width: Int) -> Int { max(used, width) }

    /// A bar for "builds 3/7" progress, else the progress text or the failure reason.
    private func drawProgress(_ taskRow: TaskRow, on terminal: any Terminal, row: Int, column: Int, width: Int, base: TextStyle,
                              now: Date) {
        guard width > 0 else { return }
        let record = taskRow.record
        var x = column
        var text = record.progress ?? ""
        if let expected = taskRow.expectedDuration, let elapsed = record.duration(now: now) {
            let estimate = Estimate(expected: expected, elapsed: elapsed).description(format: TaskFormat.duration)
            text = text.isEmpty ? estimate : "\(estimate) · \(text)"
        }
        if record.state == .failed, let reason = TaskFormat.listReason(record) { text = reason }
        // A builder's colours (`^[[32m`) are for its log; one line in a column shows the text only.
        text = text.strippingANSIEscapes
        if record.state == .pending && text.isEmpty { text = "waiting for a \(record.pool ?? "free") slot" }
        if record.state == .running, let (done, expected) = Self.buildCounts(in: text), expected > 0, width >= 30 {
            let barWidth = 10
            let filled = min(barWidth, done * barWidth / expected)
            var barStyle = theme.color ? TextStyle(foreground: .green) : base
            barStyle.reverse = base.reverse
            x += terminal.draw(String(repeating: theme.barFull, count: filled), row: row, column: x, maxColumns: barWidth, style: barStyle)
            x += terminal.draw(String(repeating: theme.barEmpty, count: barWidth - filled), row: row, column: x, maxColumns: barWidth, style: base)
            x += 1
        }
        var style = base
        if record.state == .failed { style = theme.style(record.displayState); style.reverse = base.reverse }
        else { style.dim = !base.reverse }
        terminal.draw(text, row: row, column: x, maxColumns: column + width - x, style: style)
    }

    /// "builds 3/7, ..." -> (3, 7).
    static func buildCounts(in text: String) -> (Int, Int)? {
        guard let range = text.range(of: "builds ") else { return nil }
        let rest = text[range.upperBound...].prefix { $0.isNumber || $0 == "/" }
        let parts = rest.split(separator: "/")
        guard parts.count == 2, let done = Int(parts[0]), let expected = Int(parts[1]) else { return nil }
        return (done, expected)
    }
}
