import TaskEngine

/// Glyphs and styles for the terminal at hand: Unicode or ASCII glyphs, colour or only
/// attributes. Without colour every state stays distinguishable by glyph and attribute.
struct Theme: Sendable {
    var ascii: Bool
    var color: Bool

    init(ascii: Bool, color: Bool) {
        self.ascii = ascii
        self.color = color
    }

    init(terminal: any Terminal) {
        self.init(ascii: terminal.isASCII, color: terminal.hasColor)
    }

    func glyph(_ state: TaskDisplayState) -> String {
        TaskFormat.glyph(state, ascii: ascii)
    }

    func style(_ state: TaskDisplayState) -> TextStyle {
        switch state {
        case .pending: color ? TextStyle(foreground: .yellow) : TextStyle(dim: true)
        case .running: color ? TextStyle(foreground: .cyan, bold: true) : TextStyle(bold: true)
        case .completed: color ? TextStyle(foreground: .green) : .plain
        case .failed: color ? TextStyle(foreground: .red, bold: true) : TextStyle(bold: true, underline: true)
        case .cancelled: color ? TextStyle(foreground: .magenta) : TextStyle(dim: true, italic: true)
        }
    }

    var header: TextStyle { TextStyle(reverse: true) }
    var headerTitle: TextStyle { TextStyle(bold: true, reverse: true) }
    var label: TextStyle { TextStyle(dim: true) }
    var selection: TextStyle { TextStyle(reverse: true) }
    var selectionUnfocused: TextStyle { TextStyle(bold: true, underline: true) }
    var paneTitle: TextStyle { TextStyle(bold: true) }
    var paneTitleFocused: TextStyle { color ? TextStyle(foreground: .blue, bold: true, reverse: true) : TextStyle(bold: true, reverse: true) }
    var tabSelected: TextStyle { TextStyle(bold: true, reverse: true) }
    var tab: TextStyle { .plain }
    var error: TextStyle { color ? TextStyle(foreground: .red, bold: true) : TextStyle(bold: true) }
    var key: TextStyle { TextStyle(bold: true) }
    var match: TextStyle { color ? TextStyle(foreground: .black, background: .yellow) : TextStyle(underline: true, reverse: true) }
    var currentMatch: TextStyle { color ? TextStyle(foreground: .black, background: .bright(.yellow), bold: true) : TextStyle(bold: true, underline: true, reverse: true) }

    var separator: String { ascii ? "|" : "│" }
    var horizontal: String { ascii ? "-" : "─" }
    var ellipsis: String { ascii ? "~" : "…" }
    var foldOpen: String { ascii ? "v" : "▾" }
    var foldClosed: String { ascii ? ">" : "▸" }
    var childIndent: String { ascii ? " `-" : " └─" }
    var barFull: String { ascii ? "#" : "█" }
    var barEmpty: String { ascii ? "." : "░" }

    /// Box corners and sides: ┌ ┐ └ ┘ ─ │
    var box: (topLeft: String, topRight: String, bottomLeft: String, bottomRight: String, horizontal: String, vertical: String) {
        ascii ? ("+", "+", "+", "+", "-", "|") : ("┌", "┐", "└", "┘", "─", "│")
    }
}
