import Foundation

/// A way to get the attention of whoever sits at the terminal: the bell, or a desktop notification
/// (OSC 9, understood by iTerm2, kitty, WezTerm, Windows Terminal; OSC 777 by rxvt, foot, Ghostty).
enum TerminalAlert: Equatable, Sendable {
    case bell
    case desktop(title: String, body: String)

    /// The bytes to write. Title and body carry only printable text (no controls, no `;` in the
    /// title), so nothing in a task name can end the sequence early or start another. Inside tmux
    /// the sequence is wrapped for passthrough (tmux drops it unless `allow-passthrough` is on).
    func sequence(environment: [String: String] = ProcessInfo.processInfo.environment) -> [UInt8] {
        switch self {
        case .bell:
            return [0x07]
        case .desktop(let title, let body):
            let term = environment["TERM"] ?? ""
            let program = (environment["TERM_PROGRAM"] ?? "").lowercased()
            let usesOSC777 = term.hasPrefix("rxvt") || term.hasPrefix("foot") || program == "ghostty"
            let text = Self.printable(body, limit: 200)
            let osc = usesOSC777
                ? "\u{1B}]777;notify;\(Self.printable(title, limit: 60).replacingOccurrences(of: ";", with: ","));\(text)\u{07}"
                : "\u{1B}]9;\(Self.printable(title, limit: 60)): \(text)\u{07}"
            guard environment["TMUX"] != nil else { return Array(osc.utf8) }
            return Array("\u{1B}Ptmux;\(osc.replacingOccurrences(of: "\u{1B}", with: "\u{1B}\u{1B}"))\u{1B}\\".utf8)
        }
    }

    /// `text` without control characters (C0, DEL, C1) or bidi overrides, cut to `limit` characters.
    static func printable(_ text: String, limit: Int) -> String {
        let kept = text.unicodeScalars.filter { scalar in
            !(scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value) || (0x202A...0x202E).contains(scalar.value)
              || (0x2066...0x2069).contains(scalar.value) || scalar.value == 0x2028 || scalar.value == 0x2029)
        }
        return String(String.UnicodeScalarView(kept).prefix(limit))
    }
}
