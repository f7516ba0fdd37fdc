import Foundation

/// The surface views draw on: a grid of cells, keyboard input, and the suspend/restore hooks
/// the app needs around a pager and at exit.
///
/// Drawing never lets a control character through: text is laid out with `CellLayout`, which
/// measures every character with wcwidth, clips at the right edge and at `maxColumns`, and
/// shows any C0/C1/DEL/bidi control visibly. Not thread-safe: use one terminal from one
/// thread or actor.
protocol Terminal: AnyObject {
    /// The current size; changes after an `InputEvent.resize`.
    var size: TerminalSize { get }
    /// True when only ASCII can be shown (no UTF-8 locale, or forced): views pick ASCII glyphs,
    /// and drawing replaces other characters with `?`.
    var isASCII: Bool { get }
    /// True when colours will be shown; without them, views must show state by glyph and
    /// attribute.
    var hasColor: Bool { get }

    /// Blanks the whole screen for the next frame (no output until `present()`).
    func erase()

    /// Draws `text` at (`row`, `column`) in one style, using at most `maxColumns` columns and
    /// never past the right edge. Returns the number of columns used.
    @discardableResult
    func draw(_ text: String, row: Int, column: Int, maxColumns: Int, style: TextStyle) -> Int

    /// Draws styled runs one after another, like `draw(_:row:column:maxColumns:style:)`.
    @discardableResult
    func draw(_ runs: [StyledRun], row: Int, column: Int, maxColumns: Int) -> Int

    /// Shows the frame drawn since the last `erase()`: one screen update.
    func present()

    /// Shows the text cursor at (`row`, `column`) with the next `present()` (a field being
    /// typed into); `erase()` hides it again, so a frame without a field shows none.
    func showCursor(row: Int, column: Int)

    /// Waits up to `timeoutMilliseconds` (0: don't wait, negative: forever) for input; nil when
    /// there was none.
    func readInput(timeoutMilliseconds: Int) -> InputEvent?

    /// Asks the terminal to put `text` on the system clipboard (OSC 52). The text travels
    /// base64-encoded, so nothing in it can act as a control sequence.
    func copyToClipboard(_ text: String)

    /// Rings the bell or sends a desktop notification (`TerminalAlert.sequence`).
    func alert(_ alert: TerminalAlert)

    /// Gives the terminal back to the shell (e.g. to run `$PAGER`) until `resume()`.
    func suspend()
    /// Takes the terminal again after `suspend()` and repaints the last frame.
    func resume()
    /// Puts the terminal back as it was before; safe to call more than once.
    func restore()
}

extension Terminal {
    @discardableResult
    func draw(_ text: String, row: Int, column: Int, style: TextStyle = .plain) -> Int {
        draw(text, row: row, column: column, maxColumns: .max, style: style)
    }

    @discardableResult
    func draw(_ runs: [StyledRun], row: Int, column: Int) -> Int {
        draw(runs, row: row, column: column, maxColumns: .max)
    }

    @discardableResult
    func draw(_ runs: [StyledRun], row: Int, column: Int, maxColumns: Int) -> Int {
        var used = 0
        for run in runs where used < maxColumns {
            used += draw(run.text, row: row, column: column + used, maxColumns: maxColumns - used, style: run.style)
        }
        return used
    }

    /// The OSC 52 sequence that asks a terminal to set the clipboard to `text`: only ESC, the
    /// fixed prefix, base64 characters and BEL, whatever `text` holds.
    static func clipboardSequence(_ text: String) -> [UInt8] {
        Array("\u{1B}]52;c;".utf8) + Array(Data(text.utf8).base64EncodedString().utf8) + [0x07]
    }

    /// Paints `count` cells from (`row`, `column`) with spaces in `style` (a bar, a selection).
    func fill(row: Int, column: Int, count: Int, style: TextStyle) {
        guard count > 0 else { return }
        draw(String(repeating: " ", count: count), row: row, column: column, maxColumns: count, style: style)
    }
}
