/// A mouse action at a screen cell (0-based row and column). Only reported when the terminal
/// was opened with mouse support.
struct MouseEvent: Hashable, Sendable {
    enum Action: Hashable, Sendable { case press, release, click, scrollUp, scrollDown }
    var action: Action
    var row: Int
    var column: Int
}

/// What the user did: the one input vocabulary of the dashboard, independent of curses.
enum InputEvent: Hashable, Sendable {
    /// A named key that is not a plain character.
    enum Key: Hashable, Sendable {
        case up, down, left, right
        case pageUp, pageDown, home, end
        case enter, tab, backTab, escape, backspace, delete, insert
        /// F1...F12 (and beyond, where the terminal reports them).
        case function(Int)
    }

    /// A printable character as typed (any script).
    case character(Character)
    case key(Key)
    /// Ctrl plus a key, named by the lowercase letter or the punctuation (`ctrl("c")`,
    /// `ctrl("@")` for Ctrl-Space). Ctrl-I, Ctrl-M, Ctrl-J, Ctrl-H and Ctrl-[ arrive as
    /// tab, enter, enter, backspace and escape because terminals send the same bytes.
    case ctrl(Character)
    /// The terminal changed size; read `Terminal.size` again and redraw.
    case resize
    /// The terminal went away (the SSH connection dropped, the pty was closed) without a SIGHUP
    /// reaching us, e.g. because it was ignored: the dashboard must exit rather than spin.
    case hangup
    case mouse(MouseEvent)

    /// The event for a code point typed on the keyboard (not a curses key code).
    init?(typedCodePoint value: UInt32) {
        switch value {
        case 0: self = .ctrl("@")
        case 9: self = .key(.tab)
        case 10, 13: self = .key(.enter)
        case 8, 127: self = .key(.backspace)
        case 27: self = .key(.escape)
        case 1...26: self = .ctrl(Character(Unicode.Scalar(UInt8(value) + 0x60)))
        case 28...31: self = .ctrl(Character(Unicode.Scalar(UInt8(value) + 0x40)))
        default:
            guard let scalar = Unicode.Scalar(value), value >= 0xA0 || value < 0x80 else { return nil }
            self = .character(Character(scalar))
        }
    }
}
