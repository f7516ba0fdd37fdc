import Testing
@testable import Dashboard

/// Editing inside a form field or a prompt: the cursor moves, typing and deleting happen where
/// it is, and a long value scrolls so the cursor stays in the field.
@Suite("Editing a line: cursor keys, typing and deleting at the cursor, scrolling")
struct EditableLineTests {
    @Test("typing goes in at the cursor; Backspace deletes before it, Delete under it; the cursor stops at both ends")
    func editsAtTheCursor() {
        var line = EditableLine("/srv/flet")
        #expect(line.cursor == 9)
        line.move(.left)
        line.insert("e")
        #expect(line.text == "/srv/fleet")
        #expect(line.cursor == 9)
        line.move(.start)
        line.move(.left)
        #expect(line.cursor == 0)
        line.deleteBackward()
        #expect(line.text == "/srv/fleet", "Backspace at the start deletes nothing")
        line.deleteForward()
        #expect(line.text == "srv/fleet")
        line.move(.right)
        line.move(.right)
        line.move(.right)
        line.deleteBackward()
        #expect(line.text == "sr/fleet")
        #expect(line.cursor == 2)
        line.move(.end)
        line.move(.right)
        #expect(line.cursor == 8)
        line.deleteForward()
        #expect(line.text == "sr/fleet", "Delete at the end deletes nothing")
    }

    @Test("a wide or accented character is one step of the cursor; a combining mark joins the letter before it")
    func charactersAsSeen() {
        var line = EditableLine("a漢é")
        line.move(.left)
        line.move(.left)
        #expect(line.cursor == 1)
        line.deleteForward()
        #expect(line.text == "aé")
        line = EditableLine("e")
        line.insert("\u{301}")
        #expect(line.text == "é")
        #expect(line.cursor == 1)
    }

    @Test("a value that fits is shown whole, the cursor where it is")
    func fits() {
        var line = EditableLine("/srv/fleet")
        line.move(.start)
        line.move(.right)
        let window = EditWindow(line, columns: 20, ellipsis: "…")
        #expect(window.text == "/srv/fleet")
        #expect(window.cursorColumn == 1)
    }

    @Test("a long value shows its end while typing at the end, its start after Home, and the text around the cursor in between")
    func scrolls() {
        let value = "/srv/a-fleet-project-with-a-long-name/fleet"  // 43 characters
        var line = EditableLine(value)
        var window = EditWindow(line, columns: 20, ellipsis: "…")
        #expect(window.text == "…" + String(value.suffix(18)))
        #expect(window.cursorColumn == 19, "the cursor in the last column, after the text")
        line.move(.start)
        window = EditWindow(line, columns: 20, ellipsis: "…")
        #expect(window.text == String(value.prefix(19)) + "…")
        #expect(window.cursorColumn == 0)
        for _ in 0..<22 { line.move(.right) }
        window = EditWindow(line, columns: 20, ellipsis: "…")
        #expect(window.text.hasPrefix("…") && window.text.hasSuffix("…"), "cut on both sides: \(window.text)")
        #expect(TextWidth.of(window.text) <= 20)
        let characters = Array(window.text)
        #expect(characters[window.cursorColumn] == Array(value)[22], "the cursor on the character it stands on: \(window.text)")
        // Wide characters: the window never splits one and the cursor column counts their width.
        line = EditableLine(String(repeating: "漢", count: 30))
        window = EditWindow(line, columns: 20, ellipsis: "…")
        #expect(TextWidth.of(window.text) + 1 <= 20)
        #expect(window.cursorColumn == TextWidth.of(window.text))
    }
}

/// Display widths, for the checks above.
private enum TextWidth {
    static func of(_ text: String) -> Int { TerminalText.displayWidth(of: text) }
}

