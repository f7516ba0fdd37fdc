import Foundation

/// The new-task form: one line per field, the value scrolled so the cursor stays in view (the
/// terminal's cursor, where typing goes), and for forms that pick from the project file its
/// devices or configurations as a list.
struct FormView {
    let theme: Theme
    let modalView: ModalView
    /// Content columns the form asks for, so the box does not grow and shrink while typing.
    static let preferredWidth = 76

    func draw(_ form: NewTaskForm, on terminal: any Terminal, keyMap: KeyMap) {
        let size = terminal.size
        let width = max(20, min(Self.preferredWidth, size.columns - 6))
        var lines: [[StyledRun]] = [modalView.keyLine(keyMap, form.keyContext), []]
        var cursor: (line: Int, column: Int)?
        func fieldLines(_ range: Range<Int>) {
            for index in range {
                let field = form.fields[index]
                let focused = form.stop(ofField: index) == form.focusedField
                let label = field.label + (field.isRequired ? "" : " (optional)") + ": "
                let prefix = [StyledRun(focused ? "\(theme.foldClosed) " : "  ", theme.key), StyledRun(label, focused ? theme.key : .plain)]
                let room = max(4, width - StyledText.displayWidth(of: prefix) - 1)
                var line = prefix
                if field.value.isEmpty {
                    line.append(StyledRun(String(field.hint.prefix(room)), theme.label))
                    if focused { cursor = (lines.count, StyledText.displayWidth(of: prefix)) }
                } else {
                    let window = EditWindow(field.line, columns: room, ellipsis: theme.ellipsis)
                    line.append(StyledRun(window.text))
                    if focused { cursor = (lines.count, StyledText.displayWidth(of: prefix) + window.cursorColumn) }
                }
                lines.append(line)
            }
        }
        fieldLines(0..<form.checklistStop)
        if form.pick != nil {
            lines.append([])
            lines += checklistLines(form, width: width, rows: max(1, size.rows - 8 - lines.count - form.trailingFieldCount))
        }
        if form.trailingFieldCount > 0 {
            lines.append([])
            fieldLines(form.checklistStop..<form.fields.count)
        }
        if let error = form.error {
            lines.append([])
            lines += Self.wrap(error, width: width).map { [StyledRun($0, theme.error)] }
        }
        let origin = modalView.box(title: "New task: \(form.title)", lines: lines, minWidth: width, on: terminal)
        if let origin, let cursor, cursor.line < max(0, size.rows - 2 - origin.row) {
            terminal.showCursor(row: origin.row + cursor.line, column: origin.column + cursor.column)
        }
    }

    /// `text` in lines of at most `width` columns, broken at spaces (a word longer than a line
    /// is cut), so a message with a long path does not widen the box past the screen.
    static func wrap(_ text: String, width: Int) -> [String] {
        var lines: [String] = []
        var current = ""
        for word in text.split(separator: " ", omittingEmptySubsequences: false).map(String.init) {
            let candidate = current.isEmpty ? word : current + " " + word
            if TerminalText.displayWidth(of: candidate) <= width || current.isEmpty {
                current = candidate
            } else {
                lines.append(current)
                current = word
            }
            while TerminalText.displayWidth(of: current) > width, width > 0 {
                let head = LogView.wrap([StyledRun(current)], width: width)[0].map(\.text).joined()
                lines.append(head)
                current = String(current.dropFirst(head.count))
            }
        }
        if !current.isEmpty || lines.isEmpty { lines.append(current) }
        return lines
    }

    /// "Devices: 2 of 3 ticked" and one `[x] identifier  user@host:port` line per device, or
    /// "Configuration: 2 in the project file" and one `(*) name  devices` line per configuration;
    /// scrolled so the cursor's entry is in view.
    private func checklistLines(_ form: NewTaskForm, width: Int, rows: Int) -> [[StyledRun]] {
        let focused = form.isChecklistFocused
        let title = switch form.pick {
        case .device: "Device (one)"
        case .configuration: "Configuration"
        default: "Devices"
        }
        let heading = StyledRun((focused ? "\(theme.foldClosed) " : "  ") + "\(title): ", focused ? theme.key : .plain)
        guard let checklist = form.checklist else {
            return [[heading, StyledRun("read from the project file once the path is given", theme.label)]]
        }
        if let problem = checklist.problem {
            // Build Image and Run VM fall back to the typed field above; deploy forms cannot.
            // Wrapped, so a long path in the message does not widen the box past the screen.
            guard checklist.listing == .configurations else {
                return Self.wrap(problem, width: width - 4).enumerated().map { index, line in
                    [index == 0 ? heading : StyledRun("    "), StyledRun(line, theme.error)]
                }
            }
            return Self.wrap("No configuration to pick from the project file: type its name above (\(problem)).", width: width - 2)
                .map { [StyledRun("  " + $0, theme.label)] }
        }
        let count = checklist.cursorChooses ? "\(checklist.entries.count) in the project file"
            : "\(checklist.ticked.count) of \(checklist.entries.count) ticked"
        var lines: [[StyledRun]] = [[heading, StyledRun(count, theme.label)]]
        let visible = max(1, rows - 1)
        let start = max(0, min(checklist.cursor - visible + 1, checklist.entries.count - visible))
        for index in start..<min(checklist.entries.count, start + visible) {
            let entry = checklist.entries[index]
            let here = focused && index == checklist.cursor
            let chosen = checklist.isChosen(index)
            let box = checklist.cursorChooses ? (chosen ? "(*) " : "( ) ") : (chosen ? "[x] " : "[ ] ")
            let style = here ? theme.selection : TextStyle.plain
            lines.append([StyledRun("    "), StyledRun(box + entry.identifier, style), StyledRun("  " + entry.detail, theme.label)])
        }
        return lines
    }
}
