/// The bottom line: the prompt being typed, else a status message, else the keys that work in
/// the focused pane (from the key map).
struct FooterView {
    let theme: Theme

    func draw(on terminal: any Terminal, model: DashboardModel) {
        let row = model.layout.footerRow
        let width = terminal.size.columns
        if case .prompt(let prompt)? = model.modal {
            var x = terminal.draw(prompt.label, row: row, column: 0, maxColumns: width, style: theme.key)
            // Show the end of a long text, as a shell does.
            var text = prompt.text
            while TerminalText.displayWidth(of: text) > width - x - 1, !text.isEmpty { text.removeFirst() }
            x += terminal.draw(text, row: row, column: x, maxColumns: width - x, style: .plain)
            terminal.draw(" ", row: row, column: x, maxColumns: 1, style: TextStyle(reverse: true))  // the cursor
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
