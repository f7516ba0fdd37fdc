import Foundation
import TaskEngine

/// The top line: the program, counts by state, which process runs the engine, the clock.
struct HeaderView {
    let theme: Theme

    func draw(on terminal: any Terminal, model: DashboardModel, now: Date) {
        let width = terminal.size.columns
        terminal.fill(row: 0, column: 0, count: width, style: theme.header)
        let title = " thymis-tasks "
        let clock = TaskFormat.timestamp(now, now: now)
        let states: [TaskDisplayState] = [.running, .pending, .completed, .failed, .cancelled]
        let full = states.map { " \(theme.glyph($0)) \(model.counts[$0] ?? 0) \($0.rawValue)" }
        let compact = states.map { " \(theme.glyph($0))\(model.counts[$0] ?? 0)" }
        var (longEngine, shortEngine) = engineLabels(model)
        if let notice = model.endNotice {
            // For a few seconds the place of the engine label says which long task just ended.
            longEngine = "\(theme.glyph(notice.state)) \(notice.headline)"
            shortEngine = "\(theme.glyph(notice.state)) \(notice.name) \(notice.state.rawValue)"
        }
        if let next = model.nextAutoUpdate {
            longEngine += " \(theme.separator) next auto-update \(TaskFormat.timestamp(next, now: now))"
            shortEngine += " \(theme.separator) auto-update \(TaskFormat.timestamp(next, now: now))"
        }
        // The widest form that fits: counts in words, then glyphs only; the engine in words,
        // then shortened, then left out.
        let candidates: [([String], String?)] = [(full, longEngine), (compact, longEngine), (compact, shortEngine), (compact, nil)]
        var chosen = candidates[candidates.count - 1]
        for candidate in candidates {
            let right = rightText(engine: candidate.1, clock: clock)
            let needed = TerminalText.displayWidth(of: title + candidate.0.joined() + right)
            if needed <= width { chosen = candidate; break }
        }
        var column = terminal.draw(title, row: 0, column: 0, maxColumns: width, style: theme.headerTitle)
        let right = rightText(engine: chosen.1, clock: clock)
        let rightWidth = TerminalText.displayWidth(of: right)
        for (state, text) in zip(states, chosen.0) {
            var style = theme.style(state)
            style.reverse = true
            column += terminal.draw(text, row: 0, column: column, maxColumns: max(0, width - rightWidth - column), style: style)
        }
        terminal.draw(right, row: 0, column: max(column, width - rightWidth), maxColumns: rightWidth, style: theme.header)
    }

    private func rightText(engine: String?, clock: String) -> String {
        engine.map { " \($0) \(theme.separator) \(clock) " } ?? " \(clock) "
    }

    private func engineLabels(_ model: DashboardModel) -> (String, String) {
        let suffix = model.readOnly ? " (read-only)" : ""
        switch model.mode {
        case .inProcess: return ("engine: this process" + suffix, "engine here")
        case .attached(let pid): return ("attached to engine pid \(pid)" + suffix, "attached pid \(pid)")
        case .detached: return ("no engine runs" + suffix, "no engine")
        }
    }
}
