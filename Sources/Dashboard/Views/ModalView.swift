import Foundation

/// Dialogs drawn over the dashboard: help, confirmations, the new-task menu and form.
struct ModalView {
    let theme: Theme

    func draw(_ modal: Modal, on terminal: any Terminal, model: DashboardModel) {
        switch modal {
        case .help(let offset):
            HelpView(theme: theme).draw(on: terminal, keyMap: model.keyMap, offset: offset)
        case .confirmCancel(_, let name):
            box(title: "Cancel task", lines: [
                [StyledRun("Cancel "), StyledRun(name, theme.key), StyledRun(" and its children?")],
                [StyledRun("Its processes get SIGTERM, then SIGKILL.", theme.label)],
                [],
                keyLine(model.keyMap, .confirmCancel, separator: "   ", textStyle: .plain),
            ], on: terminal)
        case .confirmRunNow(_, let name, let pool):
            box(title: "Run now", lines: [
                [StyledRun("Start "), StyledRun(name, theme.key), StyledRun(" now?")],
                [StyledRun("It takes a slot past the \(pool.map { "\($0) pool's" } ?? "pool's") limit; the tasks behind it wait.", theme.label)],
                [StyledRun("Recorded with who started it (show: run now).", theme.label)],
                [],
                keyLine(model.keyMap, .confirmRunNow, separator: "   ", textStyle: .plain),
            ], on: terminal)
        case .confirmDeployPlan(_, _, let summary):
            box(title: "Deploy the plan", lines: [
                [StyledRun(TerminalText.plain(summary))],
                [StyledRun("Each device is refused if it no longer runs what it was planned against.", theme.label)],
                [],
                keyLine(model.keyMap, .confirmDeployPlan, separator: "   ", textStyle: .plain),
            ], on: terminal)
        case .confirmQuit(let running):
            box(title: "Quit", lines: [
                [StyledRun("\(running) task\(running == 1 ? "" : "s") run in this engine.")],
                [StyledRun("Stop \(running == 1 ? "it" : "them") (recorded as cancelled), or keep", theme.label)],
                [StyledRun("\(running == 1 ? "it" : "them") running in the background?", theme.label)],
                [],
                keyLine(model.keyMap, .confirmQuit, separator: "   ", textStyle: .plain),
            ], on: terminal)
        case .newTaskMenu(let selected):
            var lines: [[StyledRun]] = [[StyledRun("Which task? ", theme.label)] + keyLine(model.keyMap, .newTaskMenu), []]
            for (index, type) in model.registry.types.enumerated() {
                let style = index == selected ? theme.selection : TextStyle.plain
                lines.append([StyledRun(index == selected ? " \(theme.foldClosed) " : "   ", style),
                              StyledRun(model.registry.typeName(of: type), style), StyledRun("  \(type)", theme.label)])
            }
            box(title: "New task", lines: lines, on: terminal)
        case .reportSaved(let path, let bytes):
            box(title: "Report saved", lines: [
                [StyledRun("Wrote \(bytes) bytes of Markdown to")],
                [StyledRun(TerminalText.plain(path), theme.key)],
                [StyledRun("Paste it into an issue or a chat: secrets are redacted.", theme.label)],
                [],
                keyLine(model.keyMap, .reportSaved, separator: "   ", textStyle: .plain),
            ], on: terminal)
        case .newTaskForm(let form):
            FormView(theme: theme, modalView: self).draw(form, on: terminal, keyMap: model.keyMap)
        case .prompt:
            break  // typed in the footer
        }
    }

    /// The dialog's keys from the key map: "Enter choose, Esc close".
    func keyLine(_ keyMap: KeyMap, _ context: KeyContext, separator: String = ", ", textStyle: TextStyle? = nil) -> [StyledRun] {
        var runs: [StyledRun] = []
        for (index, hint) in keyMap.footerHints(for: context).enumerated() {
            if index > 0 { runs.append(StyledRun(separator, textStyle ?? theme.label)) }
            runs.append(StyledRun(hint.keys.split(separator: "/").first.map(String.init) ?? hint.keys, theme.key))
            runs.append(StyledRun(" " + hint.text, textStyle ?? theme.label))
        }
        return runs
    }

    /// A bordered box in the middle of the screen, as wide as its content allows (at least
    /// `minWidth` columns of content). Returns where the first content line starts.
    @discardableResult
    func box(title: String, lines: [[StyledRun]], minWidth: Int = 0, on terminal: any Terminal) -> (row: Int, column: Int)? {
        let size = terminal.size
        let contentWidth = max(minWidth, lines.map { StyledText.displayWidth(of: $0) }.max() ?? 0)
        let width = min(size.columns - 2, max(contentWidth, TerminalText.displayWidth(of: title) + 4) + 4)
        let height = min(size.rows - 2, lines.count + 2)
        guard width >= 6, height >= 3 else { return nil }
        let left = (size.columns - width) / 2
        let top = max(1, (size.rows - height) / 2)
        let b = theme.box
        terminal.draw(b.topLeft + String(repeating: b.horizontal, count: width - 2) + b.topRight, row: top, column: left, maxColumns: width, style: theme.key)
        terminal.draw(" \(title) ", row: top, column: left + 2, maxColumns: width - 4, style: theme.key)
        for index in 0..<(height - 2) {
            let row = top + 1 + index
            terminal.draw(b.vertical, row: row, column: left, style: theme.key)
            terminal.fill(row: row, column: left + 1, count: width - 2, style: .plain)
            terminal.draw(lines[index], row: row, column: left + 2, maxColumns: width - 4)
            terminal.draw(b.vertical, row: row, column: left + width - 1, style: theme.key)
        }
        terminal.draw(b.bottomLeft + String(repeating: b.horizontal, count: width - 2) + b.bottomRight,
                      row: top + height - 1, column: left, maxColumns: width, style: theme.key)
        return (top + 1, left + 2)
    }
}

/// Every key, generated from the key map: by where it works, the panes first, then each dialog.
struct HelpView {
    let theme: Theme

    static func lines(keyMap: KeyMap, theme: Theme) -> [[StyledRun]] {
        var lines: [[StyledRun]] = []
        for scope in KeyMap.Scope.helpOrder {
            let bindings = keyMap.bindings.filter { $0.scope == scope }
            guard !bindings.isEmpty else { continue }
            if !lines.isEmpty { lines.append([]) }
            lines.append([StyledRun(scope.title, theme.paneTitle)])
            for binding in bindings {
                lines.append([StyledRun("  " + binding.label.padding(toLength: max(10, binding.label.count + 1), withPad: " ", startingAt: 0), theme.key),
                              StyledRun(binding.description)])
            }
        }
        return lines
    }

    func draw(on terminal: any Terminal, keyMap: KeyMap, offset: Int) {
        let all = Self.lines(keyMap: keyMap, theme: theme)
        let visible = max(1, terminal.size.rows - 4)
        let start = min(offset, max(0, all.count - visible))
        var shown = Array(all[start..<min(all.count, start + visible)])
        if start + visible < all.count { shown[shown.count - 1] = [StyledRun("  \(theme.ellipsis) j/↓ for more", theme.label)] }
        let close = keyMap.footerHints(for: .help).first.map { " (\($0.keys.split(separator: "/").first ?? "") \($0.text))" } ?? ""
        ModalView(theme: theme).box(title: "Keys" + close, lines: shown, on: terminal)
    }
}
