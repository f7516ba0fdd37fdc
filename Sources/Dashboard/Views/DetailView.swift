import Foundation
import TaskEngine

/// The detail pane of the selected task: the overview line, the tab bar with counts, and the
/// current tab's document in the log view.
struct DetailView {
    let theme: Theme

    func draw(on terminal: any Terminal, model: DashboardModel, content: DetailContent?, now: Date) {
        let layout = model.layout
        let width = terminal.size.columns
        guard let content else {
            terminal.draw(" no task selected", row: layout.overviewRow, column: 0, maxColumns: width, style: theme.label)
            return
        }
        drawOverview(content.detail, on: terminal, row: layout.overviewRow, width: width, now: now)
        drawTabs(content.detail, model: model, on: terminal, width: width)
        LogView(theme: theme).draw(content.window, state: model.log, on: terminal, rows: layout.contentRows, width: width)
    }

    private func drawOverview(_ detail: TaskDetail, on terminal: any Terminal, row: Int, width: Int, now: Date) {
        let record = detail.record
        var x = terminal.draw(" \(theme.glyph(record.displayState)) \(record.displayState.rawValue) ", row: row, column: 0,
                              maxColumns: width, style: theme.style(record.displayState))
        x += terminal.draw(record.displayName, row: row, column: x, maxColumns: width - x, style: theme.paneTitle)
        var parts: [String] = []
        if let target = record.target { parts.append(target) }
        parts.append("id \(TaskFormat.shortID(record.id))")
        parts.append("started \(TaskFormat.timestamp(record.startedAt, now: now))")
        if record.endedAt != nil { parts.append("ended \(TaskFormat.timestamp(record.endedAt, now: now))") }
        if let duration = record.duration(now: now) {
            parts.append("took \(TaskFormat.duration(duration))")
            if let expected = detail.expectedDuration, record.state == .running {
                parts.append(Estimate(expected: expected, elapsed: duration).description(format: TaskFormat.duration))
            }
        }
        if let parent = record.parentID { parts.append("parent \(TaskFormat.shortID(parent))") }
        if !detail.children.isEmpty {
            let done = detail.children.filter { $0.state.isFinal }.count
            parts.append("children \(done)/\(detail.children.count) done")
        }
        if let retry = record.retryOf { parts.append("retry of \(TaskFormat.shortID(retry))") }
        x += terminal.draw("  " + parts.joined(separator: " \(theme.separator) "), row: row, column: x, maxColumns: width - x, style: .plain)
        if var reason = record.failureHeadline {
            // Cut: say where the whole reason is (the Submission tab, `1`; `w` wraps it there).
            let room = width - x - 2
            if TerminalText.displayWidth(of: reason) > room || record.failureReason != reason, room > 20 {
                let hint = " \(theme.ellipsis) 1: whole reason"
                reason = String(reason.prefix(max(0, room - TerminalText.displayWidth(of: hint)))) + hint
            }
            terminal.draw("  " + reason, row: row, column: x, maxColumns: width - x, style: theme.style(record.displayState))
        }
    }

    private func drawTabs(_ detail: TaskDetail, model: DashboardModel, on terminal: any Terminal, width: Int) {
        let row = model.layout.tabBarRow
        let focused = model.focus == .detail
        terminal.fill(row: row, column: 0, count: width, style: focused ? TextStyle(underline: true) : theme.label)
        var x = 0
        for tab in DetailTab.allCases {
            var title = detail.title(of: tab, processIndex: model.shownProcess)
            if tab == .nix, case .buildLog(let index) = model.nixSource, let state = detail.nixState(model.shownProcess),
               state.derivations.indices.contains(index) {
                title = "Nix: \(state.derivations[index].name)"
            }
            let style = tab == model.tab ? (focused ? theme.paneTitleFocused : theme.tabSelected) : theme.tab
            x += terminal.draw(" \(tab.rawValue + 1) \(title) ", row: row, column: x, maxColumns: width - x, style: style)
            if x >= width { break }
        }
        // Right side: where the view is and how it behaves.
        let log = model.log
        var flags: [String] = []
        if detail.processes.count > 1 && [.process, .nix, .stdout, .stderr].contains(model.tab) {
            flags.append("proc \(model.shownProcess + 1)/\(detail.processes.count)")
        }
        if log.lineCount > 0 {
            let last = min(log.lineCount, log.top + log.viewportHeight)
            flags.append("\(TaskDetail.grouped(Int64(last)))/\(TaskDetail.grouped(Int64(log.lineCount)))")
        }
        flags.append(log.follow ? "follow" : "paused")
        if log.wrap { flags.append("wrap") }
        if model.showsLineTimes && model.showsStoredOutput { flags.append("times") }
        if log.horizontalOffset > 0 && !log.wrap { flags.append("col \(log.horizontalOffset + 1)") }
        if let search = log.search { flags.append("/\(search)") }
        let right = " " + flags.joined(separator: " ") + " "
        let rightWidth = TerminalText.displayWidth(of: right)
        if x + rightWidth < width {
            terminal.draw(right, row: row, column: width - rightWidth, maxColumns: rightWidth, style: theme.label)
        }
    }
}
