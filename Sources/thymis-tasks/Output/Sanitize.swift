import Dashboard
import Foundation

extension TerminalText {
    /// Text that came from a submission, a child or Nix, made safe to print on a terminal.
    static func plain(_ text: String) -> String {
        sanitizedPlainText(Array(text.utf8))
    }
}

/// Whether standard output is a terminal (then child output is sanitised before printing).
var standardOutputIsTerminal: Bool { isatty(1) == 1 }
