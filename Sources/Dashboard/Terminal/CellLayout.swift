/// Splits text into screen cells for both terminals, so the in-memory terminal the tests use
/// lays text out exactly as the ncurses one does.
enum CellLayout {
    /// ncurses keeps at most CCHARW_MAX (5) characters in a cell: one spacing, four combining.
    static let maxCombiningPerCell = 4

    /// Calls `emit(text, width, isControl)` for each cell of `text`, left to right, while the
    /// cells fit in `limit` columns, and returns the columns used.
    ///
    /// - A wide character that does not fit in the last column becomes one space.
    /// - Combining and zero-width characters join the cell before them (a leading one gets a
    ///   space as its base); more than four on one cell are not drawn.
    /// - Controls, C1 and bidi characters come out as their visible form
    ///   (`TerminalText.visibleForm`), one cell per ASCII character, with `isControl` set.
    /// - Characters without a defined width are drawn as U+FFFD.
    /// - With `ascii`, every other non-ASCII character becomes `?` per column it takes.
    @discardableResult
    static func forEachCell(
        in text: String, limit: Int, ascii: Bool,
        _ emit: (_ text: String, _ width: Int, _ isControl: Bool) -> Void
    ) -> Int {
        guard limit > 0 else { return 0 }
        var used = 0
        var pending = ""          // the cell being built: a base plus its combining marks
        var pendingWidth = 0
        var pendingCombining = 0
        var full = false

        func flush() {
            if pendingWidth > 0 { emit(pending, pendingWidth, false) }
            pending = ""
            pendingWidth = 0
            pendingCombining = 0
        }

        for scalar in text.unicodeScalars {
            if let form = TerminalText.visibleForm(of: scalar) {
                flush()
                for unit in form.unicodeScalars {
                    guard used < limit else { full = true; break }
                    emit(String(unit), 1, true)
                    used += 1
                }
                if full { break }
                continue
            }
            var width = TerminalText.width(of: scalar)
            var shown = scalar
            if width < 0 { shown = "\u{FFFD}"; width = 1 }
            if width == 0 {
                if ascii { continue }
                if pendingWidth == 0 {
                    if used >= limit { break }
                    pending = " "; pendingWidth = 1; used += 1
                }
                if pendingCombining < maxCombiningPerCell {
                    pending.unicodeScalars.append(shown)
                    pendingCombining += 1
                }
                continue
            }
            flush()
            if used + width > limit {
                if used < limit { emit(" ", 1, false); used += 1 }
                break
            }
            if ascii && shown.value >= 0x80 {
                for _ in 0..<width { emit("?", 1, false) }
                used += width
                continue
            }
            pending.unicodeScalars.append(shown)
            pendingWidth = width
            used += width
        }
        flush()
        return used
    }
}
