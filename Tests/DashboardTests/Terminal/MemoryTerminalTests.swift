import Testing
@testable import Dashboard

private let red = TextStyle(foreground: .red)

@Suite("Drawing on the in-memory terminal")
struct MemoryTerminalTests {
    @Test("a wide character fills two cells, the right one a continuation")
    func wideCharacters() {
        let terminal = MemoryTerminal(rows: 2, columns: 10)
        #expect(terminal.draw("漢字😀x", row: 0, column: 0) == 7)
        #expect(terminal.cell(row: 0, column: 0).text == "漢")
        #expect(terminal.cell(row: 0, column: 1).isContinuation)
        #expect(terminal.cell(row: 0, column: 4).text == "😀")
        #expect(terminal.cell(row: 0, column: 6).text == "x")
        #expect(terminal.lines == ["漢字😀x", ""])
    }

    @Test("text is clipped at maxColumns, a wide character that does not fit becomes a space")
    func clipAtMaxColumns() {
        let terminal = MemoryTerminal(rows: 1, columns: 10)
        #expect(terminal.draw("漢字", row: 0, column: 0, maxColumns: 3, style: red) == 3)
        #expect(terminal.cell(row: 0, column: 2) == Cell(text: " ", style: red))
        #expect(terminal.draw("|", row: 0, column: 3) == 1)
        #expect(terminal.lines == ["漢 |"])
    }

    @Test("text is clipped at the right edge")
    func clipAtEdge() {
        let terminal = MemoryTerminal(rows: 1, columns: 10)
        #expect(terminal.draw("abcdefghijkl", row: 0, column: 5) == 5)
        #expect(terminal.lines == ["     abcde"])
        #expect(terminal.draw("abcd漢", row: 0, column: 5) == 5)
        #expect(terminal.lines == ["     abcd"])
    }

    @Test("drawing outside the screen draws nothing")
    func outside() {
        let terminal = MemoryTerminal(rows: 2, columns: 4)
        #expect(terminal.draw("x", row: 2, column: 0) == 0)
        #expect(terminal.draw("x", row: 0, column: 4) == 0)
        #expect(terminal.draw("x", row: -1, column: 0) == 0)
        #expect(terminal.draw("x", row: 0, column: 0, maxColumns: 0, style: .plain) == 0)
        #expect(terminal.lines == ["", ""])
    }

    @Test("combining marks join the character before them")
    func combining() {
        let terminal = MemoryTerminal(rows: 1, columns: 10)
        #expect(terminal.draw("e\u{301}x", row: 0, column: 0) == 2)
        #expect(terminal.cell(row: 0, column: 0).text == "e\u{301}")
        #expect(terminal.draw("\u{301}a", row: 0, column: 5) == 2)
        #expect(terminal.cell(row: 0, column: 5).text == " \u{301}")
    }

    @Test("more than four combining marks on one cell are not drawn")
    func zalgo() {
        let terminal = MemoryTerminal(rows: 1, columns: 4)
        terminal.draw("a" + String(repeating: "\u{301}", count: 50), row: 0, column: 0)
        #expect(terminal.cell(row: 0, column: 0).text == "a\u{301}\u{301}\u{301}\u{301}")
    }

    @Test("a control character that reaches draw is shown visibly, reversed")
    func defensiveControls() {
        let terminal = MemoryTerminal(rows: 1, columns: 20)
        #expect(terminal.draw("a\u{1B}[2Jb\u{9B}\u{202E}", row: 0, column: 0, style: red) == 20)
        #expect(terminal.lines == ["a^[[2Jb<U+009B><U+20"])
        #expect(terminal.cell(row: 0, column: 1) == Cell(text: "^", style: red.reverseToggled))
        #expect(terminal.cell(row: 0, column: 3) == Cell(text: "[", style: red))
    }

    @Test("in ASCII mode other characters become ? per column")
    func asciiMode() {
        let terminal = MemoryTerminal(rows: 1, columns: 10, isASCII: true)
        #expect(terminal.draw("漢é\u{301}a", row: 0, column: 0) == 4)
        #expect(terminal.lines == ["???a"])
    }

    @Test("overwriting half of a wide character blanks the other half")
    func overwriteWide() {
        let terminal = MemoryTerminal(rows: 1, columns: 6)
        terminal.draw("漢字", row: 0, column: 0)
        terminal.draw("x", row: 0, column: 1)
        terminal.draw("y", row: 0, column: 2)
        #expect(terminal.lines == [" xy"])
        #expect(terminal.cell(row: 0, column: 3) == Cell.blank)
    }

    @Test("styled runs are drawn one after another within maxColumns")
    func runs() {
        let terminal = MemoryTerminal(rows: 1, columns: 10)
        let runs = StyledText.parse(bytes: Array("\u{1B}[31mab\u{1B}[0m漢d".utf8))
        #expect(terminal.draw(runs, row: 0, column: 1, maxColumns: 4) == 4)
        #expect(terminal.lines == [" ab漢"])
        #expect(terminal.cell(row: 0, column: 2).style == red)
        #expect(terminal.cell(row: 0, column: 3).style == .plain)
    }

    @Test("fill paints cells with a style")
    func fill() {
        let terminal = MemoryTerminal(rows: 1, columns: 5)
        let bar = TextStyle(reverse: true)
        terminal.fill(row: 0, column: 1, count: 10, style: bar)
        #expect(terminal.cell(row: 0, column: 0) == Cell.blank)
        #expect(terminal.cell(row: 0, column: 4) == Cell(text: " ", style: bar))
    }

    @Test("erase, present, input and resize behave like a terminal")
    func lifecycle() {
        let terminal = MemoryTerminal(rows: 3, columns: 5)
        terminal.draw("hello", row: 1, column: 0)
        terminal.present()
        terminal.pendingInput = [.character("j"), .key(.down)]
        #expect(terminal.readInput(timeoutMilliseconds: 0) == .character("j"))
        terminal.resize(to: TerminalSize(rows: 2, columns: 3))
        #expect(terminal.size == TerminalSize(rows: 2, columns: 3))
        #expect(terminal.lines == ["", "hel"])
        #expect(terminal.readInput(timeoutMilliseconds: 0) == .key(.down))
        #expect(terminal.readInput(timeoutMilliseconds: 10) == .resize)
        #expect(terminal.readInput(timeoutMilliseconds: 10) == nil)
        terminal.erase()
        #expect(terminal.lines == ["", ""])
        #expect(terminal.presentCount == 1)
        #expect(terminal.eraseCount == 1)
    }
}

@Suite("Keys, colours and colour pairs")
struct TerminalInputAndColorTests {
    @Test("typed control codes become keys or ctrl events")
    func typedCodes() {
        #expect(InputEvent(typedCodePoint: 3) == .ctrl("c"))
        #expect(InputEvent(typedCodePoint: 4) == .ctrl("d"))
        #expect(InputEvent(typedCodePoint: 21) == .ctrl("u"))
        #expect(InputEvent(typedCodePoint: 13) == .key(.enter))
        #expect(InputEvent(typedCodePoint: 9) == .key(.tab))
        #expect(InputEvent(typedCodePoint: 127) == .key(.backspace))
        #expect(InputEvent(typedCodePoint: 27) == .key(.escape))
        #expect(InputEvent(typedCodePoint: 0) == .ctrl("@"))
        #expect(InputEvent(typedCodePoint: 0x41) == .character("A"))
        #expect(InputEvent(typedCodePoint: 0x6F22) == .character("漢"))
        #expect(InputEvent(typedCodePoint: 0x9B) == nil)
    }

    @Test("colours outside a small palette map to the nearest one")
    func approximation() {
        #expect(TerminalColor.nearest(red: 255, green: 0, blue: 0) == .indexed(196))
        #expect(TerminalColor.nearest(red: 18, green: 18, blue: 18) == .indexed(233))
        #expect(TerminalColor.indexed(196).paletteIndex(forColorCount: 256) == 196)
        #expect(TerminalColor.indexed(196).paletteIndex(forColorCount: 16) == 9)
        #expect(TerminalColor.indexed(196).paletteIndex(forColorCount: 8) == 1)
        #expect(TerminalColor.bright(.green).paletteIndex(forColorCount: 8) == 2)
        #expect(TerminalColor.default.paletteIndex(forColorCount: 256) == nil)
    }

    @Test("colour pairs are allocated once per combination and fall back when they run out")
    func pairs() {
        var defined: [(Int16, Int16, Int16)] = []
        var table = ColorPairTable(colorCount: 256, pairLimit: 3, hasDefaultColors: true) { pair, fg, bg in
            defined.append((pair, fg, bg))
            return true
        }
        #expect(table.pair(foreground: .default, background: .default) == 0)
        #expect(table.pair(foreground: .red, background: .default) == 1)
        #expect(table.pair(foreground: .red, background: .default) == 1)
        #expect(table.pair(foreground: .green, background: .blue) == 2)
        #expect(table.pair(foreground: .red, background: .blue) == 1)  // full: same foreground
        #expect(table.pair(foreground: .cyan, background: .blue) == 0)  // full: no colour
        #expect(defined.map(\.0) == [1, 2])
        #expect(defined[0].1 == 1 && defined[0].2 == -1)
    }
}
