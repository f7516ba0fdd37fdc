// The real terminal: ncursesw, wide characters, lazily allocated colour pairs.
import CNcursesw
import Glibc

/// Why the terminal could not be opened.
enum TerminalOpenError: Error, CustomStringConvertible {
    case notATerminal
    case noUsableTerminalType(tried: [String])
    /// The terminal cannot move its cursor (`TERM=dumb`, an editor's shell): nothing could be drawn.
    case noCursorAddressing(type: String)

    var description: String {
        switch self {
        case .notATerminal:
            "standard input and output must be a terminal to open the dashboard"
        case .noUsableTerminalType(let tried):
            "no terminfo entry could be used (tried \(tried.joined(separator: ", "))); set TERM to your terminal's type"
        case .noCursorAddressing(let type):
            "TERM=\(type) cannot move the cursor, so the dashboard cannot draw here; use `thymis-tasks list` and "
                + "`thymis-tasks logs ID --follow` instead, or set TERM to your terminal's type (for example TERM=xterm-256color)"
        }
    }
}

/// The dashboard's terminal, drawn with ncursesw on stdout and read from stdin.
///
/// Every call must come from one thread (or one actor); from elsewhere, for instance a signal
/// handler, use `EmergencyTerminalRestore.run()`.
final class NcursesTerminal: Terminal {
    /// How to open the terminal; the app fills it from its command-line flags.
    struct Options: Sendable {
        /// False for `--no-color`. `NO_COLOR` in the environment turns colour off as well.
        var color = true
        /// True for `--mouse`: report clicks and the wheel.
        var mouse = false
        /// True for `--ascii`: ASCII glyphs even under a UTF-8 locale.
        var ascii = false

        init(color: Bool = true, mouse: Bool = false, ascii: Bool = false) {
            self.color = color
            self.mouse = mouse
            self.ascii = ascii
        }
    }

    /// The terminfo entry in use: `$TERM`, or the fallback used when `$TERM` has none.
    let terminalType: String
    /// Set when `$TERM` could not be used; the app should say so once.
    let fallbackReason: String?
    let isASCII: Bool
    let hasColor: Bool

    private let screen: OpaquePointer
    private let window: UnsafeMutablePointer<WINDOW>
    private var colorPairs: ColorPairTable?
    private var isRestored = false
    /// Without an alternate screen (`TERM=linux`, `vt100`) the frame would stay on screen after
    /// quitting: the terminal's clear sequence, written on exit; nil when there is one.
    private let clearOnExit: [UInt8]?

    static let fallbackTerminalTypes = ["xterm-256color", "xterm", "vt100", "dumb"]

    init(options: Options = Options()) throws(TerminalOpenError) {
        guard isatty(STDIN_FILENO) == 1, isatty(STDOUT_FILENO) == 1 else { throw .notATerminal }

        // The locale decides how ncurses encodes characters; without a UTF-8 one, only ASCII.
        if setlocale(LC_ALL, "") == nil { _ = setlocale(LC_ALL, "C.UTF-8") }
        let codeset = String(cString: nl_langinfo(nl_item(CODESET))).uppercased().filter { $0 != "-" }
        isASCII = options.ascii || codeset != "UTF8"

        var savedAttributes = termios()
        let hasSavedAttributes = tcgetattr(STDIN_FILENO, &savedAttributes) == 0

        let requested = getenv("TERM").map { String(cString: $0) }
        var tried: [String] = []
        var opened: (OpaquePointer, String)?
        for candidate in [requested].compactMap({ $0 }).filter({ !$0.isEmpty }) + Self.fallbackTerminalTypes {
            tried.append(candidate)
            if let screen = newterm(candidate, cnc_stdout(), cnc_stdin()) {
                opened = (screen, candidate)
                break
            }
        }
        guard let (screen, type) = opened, let window = cnc_stdscr() else {
            throw .noUsableTerminalType(tried: tried)
        }
        guard Self.capability("cup") != nil else {
            endwin()
            delscreen(screen)
            throw .noCursorAddressing(type: requested.flatMap { $0.isEmpty ? nil : $0 } ?? type)
        }
        clearOnExit = Self.capability("smcup") == nil ? Self.capability("clear") : nil
        self.screen = screen
        self.window = window
        terminalType = type
        fallbackReason = type == requested ? nil
            : "TERM=\(requested ?? "(unset)") has no terminfo entry; using \(type)"

        set_escdelay(25)
        raw()          // Ctrl-C, Ctrl-Z, Ctrl-\ arrive as keys, not signals
        noecho()
        nonl()
        keypad(window, true)
        intrflush(window, false)
        curs_set(0)
        leaveok(window, true)

        let noColorEnv = getenv("NO_COLOR").map { $0.pointee != 0 } ?? false
        if options.color && !noColorEnv && has_colors() {
            start_color()
            let hasDefaults = use_default_colors() == OK
            colorPairs = ColorPairTable(
                colorCount: Int(cnc_colors()), pairLimit: Int(cnc_color_pairs()), hasDefaultColors: hasDefaults
            ) { pair, foreground, background in init_pair(pair, foreground, background) == OK }
            hasColor = true
        } else {
            hasColor = false
        }
        if options.mouse {
            mousemask(cnc_mouse_mask_used(), nil)
            mouseinterval(0)
        }

        EmergencyTerminalRestore.arm(
            output: STDOUT_FILENO, input: STDIN_FILENO,
            attributes: hasSavedAttributes ? savedAttributes : nil,
            resetSequence: Self.resetSequence(mouse: options.mouse)
        )
    }

    deinit { restore() }

    /// The bytes that undo what opening did, from this terminal's terminfo entry.
    private static func resetSequence(mouse: Bool) -> [UInt8] {
        var bytes: [UInt8] = []
        if mouse { bytes += Array("\u{1B}[?1006l\u{1B}[?1003l\u{1B}[?1002l\u{1B}[?1000l".utf8) }
        for capability in ["sgr0", "cnorm", "rmkx", "rmcup"] {
            if let value = Self.capability(capability) { bytes += value }
        }
        if Self.capability("smcup") == nil, let clear = Self.capability("clear") { return bytes + clear }
        bytes += Array("\r\n".utf8)
        return bytes
    }

    /// A string capability of the current terminfo entry, nil when the terminal lacks it.
    private static func capability(_ name: String) -> [UInt8]? {
        guard let value = tigetstr(name), cnc_is_absent_string(value) == 0 else { return nil }
        let bytes = Array(String(cString: value).utf8)
        return bytes.isEmpty ? nil : bytes
    }

    var size: TerminalSize {
        var rows: Int32 = 0
        var columns: Int32 = 0
        cnc_getmaxyx(window, &rows, &columns)
        return TerminalSize(rows: Int(rows), columns: Int(columns))
    }

    func erase() {
        werase(window)
        cursor = nil
    }

    /// Where the next frame shows the cursor; nil: hidden.
    private var cursor: (row: Int32, column: Int32)?
    private var cursorShown = false

    func showCursor(row: Int, column: Int) {
        let size = size
        guard row >= 0, row < size.rows, column >= 0, column < size.columns else { return }
        cursor = (Int32(row), Int32(column))
    }

    @discardableResult
    func draw(_ text: String, row: Int, column: Int, maxColumns: Int, style: TextStyle) -> Int {
        let size = size
        guard row >= 0, row < size.rows, column >= 0, column < size.columns else { return 0 }
        let attributes = attributes(for: style)
        let controlAttributes = attributes.0 ^ cnc_a_reverse()
        var x = Int32(column)
        let y = Int32(row)
        var characters = [wchar_t](repeating: 0, count: CellLayout.maxCombiningPerCell + 2)
        return CellLayout.forEachCell(in: text, limit: min(maxColumns, size.columns - column), ascii: isASCII) {
            text, width, isControl in
            var count = 0
            for scalar in text.unicodeScalars where count < characters.count - 1 {
                characters[count] = wchar_t(bitPattern: scalar.value)
                count += 1
            }
            characters[count] = 0
            var cell = cchar_t()
            _ = setcchar(&cell, characters, isControl ? controlAttributes : attributes.0, attributes.1, nil)
            _ = mvwadd_wch(window, y, x, &cell)
            x += Int32(width)
        }
    }

    private func attributes(for style: TextStyle) -> (attr_t, Int16) {
        var attributes = cnc_a_normal()
        if style.bold { attributes |= cnc_a_bold() }
        if style.dim { attributes |= cnc_a_dim() }
        if style.italic { attributes |= cnc_a_italic() }
        if style.underline { attributes |= cnc_a_underline() }
        if style.reverse { attributes |= cnc_a_reverse() }
        let pair = colorPairs?.pair(foreground: style.foreground, background: style.background) ?? 0
        return (attributes, pair)
    }

    func present() {
        // leaveok lets curses leave the hardware cursor anywhere; only a frame with a field turns
        // it off, so the cursor sits where the field's text ends.
        leaveok(window, cursor == nil)
        if let cursor { wmove(window, cursor.row, cursor.column) }
        if (cursor != nil) != cursorShown {
            curs_set(cursor == nil ? 0 : 1)
            cursorShown = cursor != nil
        }
        wnoutrefresh(window)
        doupdate()
    }

    func readInput(timeoutMilliseconds: Int) -> InputEvent? {
        wtimeout(window, Int32(clamping: timeoutMilliseconds))
        var character: wint_t = 0
        switch wget_wch(window, &character) {
        case KEY_CODE_YES: return keyEvent(Int32(bitPattern: character))
        case OK: return InputEvent(typedCodePoint: character)
        default: return Self.inputHungUp() ? .hangup : nil
        }
    }

    /// Whether standard input (the terminal) reports a hangup: after the pty is closed, reads fail at
    /// once instead of waiting, so without this check the loop would spin at full CPU.
    private static func inputHungUp() -> Bool {
        var descriptor = pollfd(fd: 0, events: Int16(POLLIN), revents: 0)
        guard poll(&descriptor, 1, 0) >= 0 else { return false }
        return descriptor.revents & Int16(POLLHUP | POLLERR | POLLNVAL) != 0
    }

    private func keyEvent(_ code: Int32) -> InputEvent? {
        switch code {
        case KEY_UP: return .key(.up)
        case KEY_DOWN: return .key(.down)
        case KEY_LEFT: return .key(.left)
        case KEY_RIGHT: return .key(.right)
        case KEY_PPAGE: return .key(.pageUp)
        case KEY_NPAGE: return .key(.pageDown)
        case KEY_HOME: return .key(.home)
        case KEY_END: return .key(.end)
        case KEY_ENTER: return .key(.enter)
        case KEY_BTAB: return .key(.backTab)
        case KEY_BACKSPACE: return .key(.backspace)
        case KEY_DC: return .key(.delete)
        case KEY_IC: return .key(.insert)
        case KEY_RESIZE: return .resize
        case KEY_MOUSE: return mouseEvent()
        case cnc_key_f(1)...cnc_key_f(63): return .key(.function(Int(code - cnc_key_f(0))))
        default: return nil
        }
    }

    private func mouseEvent() -> InputEvent? {
        var event = MEVENT()
        guard getmouse(&event) == OK else { return nil }
        let action: MouseEvent.Action
        let state = event.bstate
        if state & cnc_button4_pressed() != 0 { action = .scrollUp }
        else if state & cnc_button5_pressed() != 0 { action = .scrollDown }
        else if state & cnc_button1_clicked() != 0 { action = .click }
        else if state & cnc_button1_pressed() != 0 { action = .press }
        else if state & cnc_button1_released() != 0 { action = .release }
        else { return nil }
        return .mouse(MouseEvent(action: action, row: Int(event.y), column: Int(event.x)))
    }

    func copyToClipboard(_ text: String) {
        guard !isRestored else { return }
        let bytes = Self.clipboardSequence(text)
        bytes.withUnsafeBufferPointer { buffer in
            _ = fwrite(buffer.baseAddress, 1, buffer.count, cnc_stdout())
        }
        fflush(cnc_stdout())
    }

    func alert(_ alert: TerminalAlert) {
        guard !isRestored else { return }
        let bytes = alert.sequence()
        bytes.withUnsafeBufferPointer { buffer in
            _ = fwrite(buffer.baseAddress, 1, buffer.count, cnc_stdout())
        }
        fflush(cnc_stdout())
    }

    func suspend() {
        guard !isRestored else { return }
        endwin()
    }

    func resume() {
        guard !isRestored else { return }
        wrefresh(window)
    }

    func restore() {
        guard !isRestored else { return }
        isRestored = true
        endwin()
        if let clearOnExit {
            clearOnExit.withUnsafeBufferPointer { _ = fwrite($0.baseAddress, 1, $0.count, cnc_stdout()) }
            fflush(cnc_stdout())
        }
    }
}
