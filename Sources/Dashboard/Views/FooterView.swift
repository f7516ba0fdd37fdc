/// The bottom line: the prompt being typed, else a status message, else the keys that work in
/// the focused pane (from the key map).
struct FooterView {
    let theme: Theme

    func draw(on terminal: any Terminal, model: DashboardModel) {
        let row = model.layout.footerRow
        let width = terminal.size.columns
        if case .prompt(let prompt)? = model.modal {
            let x = terminal.draw(prompt.label, row: row, column: 0, maxColumns: width, style: theme.key)
            // A long text scrolls as the form's fields do, keeping the cursor in view.
            let window = EditWindow(prompt.line, columns: max(1, width - x), ellipsis: theme.ellipsis)
            terminal.draw(window.text, row: row, column: x, maxColumns: width - x, style: .plain)
            // The cursor: the character under it (or a blank after the end) in reverse video.
            let under = prompt.line.cursor < prompt.text.count
                ? String(prompt.text[prompt.text.index(prompt.text.startIndex, offsetBy: prompt.line.cursor)]) : " "
            terminal.draw(under, row: row, column: x + window.cursorColumn, maxColumns: width - x - window.cursorColumn, style: TextStyle(reverse: true))
            return
        }
        if let status = model.status {
            terminal.draw(" " + status.text, row: row, column: 0, maxColumns: width, style: status.isError ? theme.error : theme.key)
            return
        }
        var x = 0
        for hint in model.keyMap.footerHints(for: model.focus == .list ? .list : .detail) {
            let keyText = " " + (hint.keys.split(separator: "/").first.map(String.init) ?? hint.keys)
            let needed = TerminalText.displayWidth(of: keyText + " " + hint.text)
            guard x + needed <= width else { break }
            x += terminal.draw(keyText, row: row, column: x, maxColumns: width - x, style: theme.key)
            x += terminal.draw(" " + hint.text, row: row, column: x, maxColumns: width - x, style: theme.label)
        }
    }
}
