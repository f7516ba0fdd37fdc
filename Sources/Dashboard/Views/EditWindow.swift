/// The part of an edited line that fits in a field, and the column of its cursor: the form's
/// fields and the footer prompt scroll a long value the same way.
///
/// A value that fits is shown whole. Otherwise the window shows the value's start while the
/// cursor is within the first field's width, its end while the cursor is within the last (so
/// typing at the end shows the end, as a shell does), and else ends at the cursor; `…` marks
/// each side that is cut.
struct EditWindow: Equatable {
    /// What to draw, ellipses included.
    var text: String
    /// Columns from the start of `text` to the cursor.
    var cursorColumn: Int

    init(_ line: EditableLine, columns: Int, ellipsis: String) {
        let characters = Array(line.text)
        let widths = characters.map { TerminalText.displayWidth(of: String($0)) }
        let cursor = line.cursor
        let total = widths.reduce(0, +)
        // The cell the cursor stands on: the character under it, or a blank after the end.
        let cursorCell = cursor < widths.count ? widths[cursor] : 1
        let dots = TerminalText.displayWidth(of: ellipsis)
        if total + (cursor == widths.count ? 1 : 0) <= columns {
            text = line.text
            cursorColumn = widths[..<cursor].reduce(0, +)
            return
        }
        var start = 0
        var end = 0
        // The end of the value as typing at the end shows it: `…`, the last characters, the cursor's blank.
        var tailStart = characters.count
        var tailUsed = dots + 1
        while tailStart > 0, tailUsed + widths[tailStart - 1] <= columns {
            tailUsed += widths[tailStart - 1]
            tailStart -= 1
        }
        if widths[..<cursor].reduce(0, +) + cursorCell + dots <= columns {
            // From the start, as far as fits before the trailing `…`.
            var used = 0
            while end < characters.count, used + widths[end] + (end + 1 < characters.count ? dots : 0) <= columns {
                used += widths[end]
                end += 1
            }
        } else if cursor >= tailStart {
            start = tailStart
            end = characters.count
        } else {
            // Ending at the cursor: its cell, then back as far as fits after the leading `…`.
            end = min(cursor + 1, characters.count)
            var used = dots + cursorCell + (end < characters.count ? dots : 0)
            start = cursor
            while start > 0, used + widths[start - 1] <= columns {
                used += widths[start - 1]
                start -= 1
            }
        }
        text = (start > 0 ? ellipsis : "") + String(characters[start..<end]) + (end < characters.count ? ellipsis : "")
        cursorColumn = (start > 0 ? dots : 0) + widths[start..<cursor].reduce(0, +)
    }
}
