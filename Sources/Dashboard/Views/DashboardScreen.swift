import Foundation

/// One frame: erase, draw every part from the model and the content the detail loader read,
/// present once. Drawing reads no store and changes no model.
struct DashboardScreen {
    let theme: Theme

    func draw(on terminal: any Terminal, model: DashboardModel, content: DetailContent?, now: Date) {
        terminal.erase()
        defer { terminal.present() }
        let size = terminal.size
        guard DashboardLayout(size: size).isUsable else {
            drawTooSmall(on: terminal, size: size)
            return
        }
        HeaderView(theme: theme).draw(on: terminal, model: model, now: now)
        DetailView(theme: theme).draw(on: terminal, model: model, content: content, now: now)
        TaskListView(theme: theme).draw(on: terminal, model: model, now: now)
        FooterView(theme: theme).draw(on: terminal, model: model)
        if let modal = model.modal { ModalView(theme: theme).draw(modal, on: terminal, model: model) }
    }

    private func drawTooSmall(on terminal: any Terminal, size: TerminalSize) {
        let lines = ["terminal too small", "\(size.columns)x\(size.rows); need 40x10", "q quits"]
        for (index, line) in lines.enumerated() where index < size.rows {
            terminal.draw(line, row: index, column: 0, maxColumns: size.columns, style: index == 0 ? theme.key : .plain)
        }
    }
}
