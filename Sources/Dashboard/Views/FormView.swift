import Foundation

/// The new-task form: one line per field, the value scrolled so its end (where typing goes)
/// stays in view with the cursor after it, and for deploy forms the project file's devices as a
/// checklist.
struct FormView {
    let theme: Theme
    let modalView: ModalView
    /// Content columns the form asks for, so the box does not grow and shrink while typing.
    static let preferredWidth = 76

    func draw(_ form: NewTaskForm, on terminal: any Terminal, keyMap: KeyMap) {
        let size = terminal.size
        let width = max(20, min(Self.preferredWidth, size.columns - 6))
        var lines: [[StyledRun]] = [modalView.keyLine(keyMap, form.isChecklistFocused ? .deviceChecklist : .newTaskForm), []]
        var cursor: (line: Int, column: Int)?
        for (index, field) in form.fields.enumerated() {
            let focused = index == form.focusedField
            let label = field.label + (field.isRequired ? "" : " (optional)") + ": "
            let prefix = [StyledRun(focused ? "\(theme.foldClosed) " : "  ", theme.key), StyledRun(label, focused ? theme.key : .plain)]
            let room = max(4, width - StyledText.displayWidth(of: prefix) - 1)
            var line = prefix
            if field.value.isEmpty {
                line.append(StyledRun(String(field.hint.prefix(room)), theme.label))
                if focused { cursor = (lines.count, StyledText.displayWidth(of: prefix)) }
            } else {
                let shown = Self.tail(of: field.value, fitting: room, ellipsis: theme.ellipsis)
                line.append(StyledRun(shown))
                if focused { cursor = (lines.count, StyledText.displayWidth(of: prefix) + TerminalText.displayWidth(of: shown)) }
            }
            lines.append(line)
        }
        if form.devicePick != nil {
            lines.append([])
            lines += checklistLines(form, width: width, rows: max(1, size.rows - 8 - lines.count))
        }
        if let error = form.error {
            lines.append([])
            lines.append([StyledRun(error, theme.error)])
        }
        let origin = modalView.box(title: "New task: \(form.title)", lines: lines, minWidth: width, on: terminal)
        if let origin, let cursor, cursor.line < max(0, size.rows - 2 - origin.row) {
            terminal.showCursor(row: origin.row + cursor.line, column: origin.column + cursor.column)
        }
    }

    /// The end of `value` that fits in `columns`, with an ellipsis in front when cut.
    static func tail(of value: String, fitting columns: Int, ellipsis: String) -> String {
        guard TerminalText.displayWidth(of: value) > columns else { return value }
        var kept = ""
        var used = TerminalText.displayWidth(of: ellipsis)
        for character in value.reversed() {
            let width = TerminalText.displayWidth(of: String(character))
            guard used + width <= columns else { break }
            kept.insert(character, at: kept.startIndex)
            used += width
        }
        return ellipsis + kept
    }

    /// "Devices (Space ticks, a all):" and one `[x] identifier  user@host:port` line per device,
    /// scrolled so the cursor's device is in view.
    private func checklistLines(_ form: NewTaskForm, width: Int, rows: Int) -> [[StyledRun]] {
        let focused = form.isChecklistFocused
        let title = form.devicePick == .one ? "Device (one)" : "Devices"
        guard let checklist = form.checklist else {
            return [[StyledRun("  \(title): ", focused ? theme.key : .plain), StyledRun("read from the project file once the path is given", theme.label)]]
        }
        if let problem = checklist.problem {
            return [[StyledRun("  \(title): ", focused ? theme.key : .plain), StyledRun(problem, theme.error)]]
        }
        var lines: [[StyledRun]] = [[StyledRun((focused ? "\(theme.foldClosed) " : "  ") + "\(title): ", focused ? theme.key : .plain),
                                     StyledRun("\(checklist.ticked.count) of \(checklist.devices.count) ticked", theme.label)]]
        let visible = max(1, rows - 1)
        let start = max(0, min(checklist.cursor - visible + 1, checklist.devices.count - visible))
        for index in start..<min(checklist.devices.count, start + visible) {
            let device = checklist.devices[index]
            let here = focused && index == checklist.cursor
            let box = checklist.ticked.contains(device.identifier) ? "[x] " : "[ ] "
            let style = here ? theme.selection : TextStyle.plain
            lines.append([StyledRun("    "), StyledRun(box + device.identifier, style), StyledRun("  " + device.address, theme.label)])
        }
        return lines
    }
}
