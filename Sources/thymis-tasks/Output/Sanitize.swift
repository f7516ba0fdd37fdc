import Dashboard
import Foundation

extension TerminalText {
    /// An error or notice for stderr: one line, whatever values it echoes. Every control, escape
    /// and bidi character is shown visibly (`^[`, `^J`), on a terminal or not, so a value can
    /// neither drive the terminal nor split the message.
    static func errorLine(_ text: String) -> String {
        visibleText(text)
    }
}

/// Whether standard output is a terminal (then child output is sanitised before printing).
var standardOutputIsTerminal: Bool { isatty(1) == 1 }
