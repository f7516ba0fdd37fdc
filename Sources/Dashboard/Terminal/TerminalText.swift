// Column widths (wcwidth under a UTF-8 locale) and the visible forms of control characters.
import CNcursesw
import Glibc

/// A UTF-8 LC_CTYPE locale used only for wcwidth, so widths do not depend on whatever locale
/// the process happens to run under (tests, the CLI). Every glibc UTF-8 locale has the same
/// width table, so this agrees with ncurses under the user's UTF-8 locale.
///
/// `nonisolated(unsafe)`: created once by the lazy global initializer, never mutated, and glibc
/// locale objects may be used from several threads at once.
private nonisolated(unsafe) let widthLocale: locale_t? = newlocale(LC_CTYPE_MASK, "C.UTF-8", nil)

public enum TerminalText {
    /// The number of terminal columns `scalar` takes: 1 or 2 for a spacing character, 0 for
    /// a combining or zero-width one, -1 for one with no defined width (controls, unassigned).
    static func width(of scalar: Unicode.Scalar) -> Int {
        let value = scalar.value
        if value >= 0x20 && value < 0x7F { return 1 }
        if value < 0x20 || value == 0x7F { return -1 }
        guard let widthLocale else { return Int(wcwidth(wchar_t(bitPattern: value))) }
        let previous = uselocale(widthLocale)
        defer { uselocale(previous) }
        return Int(wcwidth(wchar_t(bitPattern: value)))
    }

    /// The number of columns `text` takes when drawn: CJK and emoji count 2, combining marks 0,
    /// and controls the width of their visible form.
    public static func displayWidth(of text: String) -> Int {
        var total = 0
        for scalar in text.unicodeScalars {
            if let form = visibleForm(of: scalar) {
                total += form.utf8.count
            } else {
                let w = width(of: scalar)
                total += w < 0 ? 1 : w  // drawn as U+FFFD
            }
        }
        return total
    }

    /// The ASCII stand-in shown for a character that must never reach a terminal as is:
    /// C0 controls and DEL in caret notation (`^@`, `^[`, `^?`), C1 controls and bidi/line
    /// separators as `<U+XXXX>`. Nil for everything safe to print.
    static func visibleForm(of scalar: Unicode.Scalar) -> String? {
        let value = scalar.value
        switch value {
        case 0x00..<0x20: return "^" + String(Unicode.Scalar(UInt8(value) + 0x40))
        case 0x7F: return "^?"
        case 0x80...0x9F, 0x061C, 0x200E, 0x200F, 0x202A...0x202E, 0x2066...0x2069, 0x2028, 0x2029:
            return codePointForm(value)
        default: return nil
        }
    }

    /// `\x9b`: how a byte that is not UTF-8 but is an 8-bit C1 control is shown.
    static func byteForm(_ byte: UInt8) -> String {
        let hex = String(byte, radix: 16)
        return "\\x" + (hex.count < 2 ? "0" + hex : hex)
    }

    static func codePointForm(_ value: UInt32) -> String {
        let hex = String(value, radix: 16, uppercase: true)
        return "<U+" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex + ">"
    }

    /// `text` with every control character, escape, C1 code point and bidi or line separator in
    /// its visible form (`^[`, `^J`, `<U+202E>`), SGR included: for one-line messages that echo
    /// a value, where nothing may be hidden and a newline must not start a second line.
    public static func visibleText(_ text: String) -> String {
        var result = ""
        result.unicodeScalars.reserveCapacity(text.unicodeScalars.count)
        for scalar in text.unicodeScalars {
            if let form = visibleForm(of: scalar) { result += form } else { result.unicodeScalars.append(scalar) }
        }
        return result
    }

    /// Child output turned into plain text for a human reading the CLI: the same visible forms
    /// as `StyledText.parse`, with SGR colour sequences removed and no styling.
    public static func sanitizedPlainText(_ bytes: some Collection<UInt8>) -> String {
        var text = ""
        for run in StyledText.parse(bytes: bytes) { text += run.text }
        return text
    }
}

extension TerminalText {
    /// Text that came from a submission, a child or Nix, made safe to print on a terminal.
    public static func plain(_ text: String) -> String {
        sanitizedPlainText(Array(text.utf8))
    }

    /// `text` cut to `columns` display columns, `ellipsis` at the end when cut, so a reader sees that
    /// something is missing (the CLI's lines, the dashboard's target column).
    public static func cut(_ text: String, toColumns columns: Int, ellipsis: String = "…") -> String {
        let dots = displayWidth(of: ellipsis)
        guard displayWidth(of: text) > columns, columns > dots else { return text }
        var kept = ""
        var used = 0
        for character in text {
            let width = displayWidth(of: String(character))
            guard used + width <= columns - dots else { break }
            kept.append(character)
            used += width
        }
        return kept + ellipsis
    }
}
