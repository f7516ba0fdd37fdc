import Foundation
import TaskEngine
import Testing
@testable import Dashboard

private let colorTheme = Theme(ascii: false, color: true)

private func text(_ terminal: MemoryTerminal, row: Int, from column: Int, count: Int) -> String {
    (column..<(column + count)).map { terminal.cell(row: row, column: $0).text }.joined()
}

@Suite("Views drawn on the in-memory terminal")
struct ViewTests {
    @Test("task rows show state by glyph and colour, the selection in reverse, children indented")
    func taskList() {
        let terminal = MemoryTerminal(rows: 40, columns: 120)
        let model = Fixtures.model()
        TaskListView(theme: colorTheme).draw(on: terminal, model: model, now: Fixtures.start.addingTimeInterval(600))
        let first = model.layout.listRows.lowerBound
        #expect(terminal.line(model.layout.listHeaderRow).hasPrefix(" Tasks  1/8"))
        // Running, selected: reverse video over the whole line, cyan bold glyph.
        #expect(terminal.cell(row: first, column: 1) == Cell(text: "▶", style: TextStyle(foreground: .cyan, bold: true, reverse: true)))
        #expect(terminal.cell(row: first, column: 100).style.reverse)
        #expect(terminal.line(first).contains("Build Project"))
        #expect(terminal.line(first).contains("fleet"))
        // The parent shows its fold marker and child count, children are indented.
        #expect(terminal.line(first + 1).hasPrefix(" ▶ ▾ Deploy devices (2)"))
        #expect(terminal.line(first + 2).hasPrefix(" ✔  └─ Deploy to kiosk-1"))
        #expect(terminal.cell(row: first + 2, column: 1) == Cell(text: "✔", style: TextStyle(foreground: .green)))
        // Failed in bold red with its reason; cancelled apart from failed.
        let failed = first + 5
        #expect(terminal.cell(row: failed, column: 1) == Cell(text: "✘", style: TextStyle(foreground: .red, bold: true)))
        #expect(terminal.line(failed).hasSuffix("build failed"))
        #expect(terminal.cell(row: failed + 1, column: 1) == Cell(text: "⊘", style: TextStyle(foreground: .magenta)))
        #expect(terminal.cell(row: failed + 2, column: 1) == Cell(text: "○", style: TextStyle(foreground: .yellow)))
        #expect(terminal.line(failed + 2).contains("waiting for a nix slot"))
        // A running task shows its live duration (started 1 s after submission, 6 minutes in).
        #expect(terminal.line(first).contains("3m59s"))
    }

    @Test("a running task with history shows its estimate; without history, none")
    func estimate() {
        var (snapshot, _) = Fixtures.snapshot()
        let running = snapshot.topLevel[0]
        snapshot.expected = [running.id: 300]
        var model = DashboardModel(size: TerminalSize(rows: 40, columns: 160))
        model.apply(.tasksLoaded(snapshot))
        let terminal = MemoryTerminal(rows: 40, columns: 160)
        // Started 1 s after submission at minute 6; now is 10 minutes in: 3m59s elapsed of an expected 5m.
        TaskListView(theme: colorTheme).draw(on: terminal, model: model, now: Fixtures.start.addingTimeInterval(600))
        let first = model.layout.listRows.lowerBound
        #expect(terminal.line(first).contains("est. 5m00s, 1m01s left"), "\(terminal.line(first))")
        #expect(!terminal.line(first + 1).contains("est."))
    }

    @Test("without colour and with --ascii, states stay apart by glyph and attribute")
    func asciiNoColor() {
        let terminal = MemoryTerminal(rows: 40, columns: 120, isASCII: true, hasColor: false)
        let model = Fixtures.model()
        TaskListView(theme: Theme(terminal: terminal)).draw(on: terminal, model: model, now: Fixtures.start)
        let first = model.layout.listRows.lowerBound
        let glyphs = (0..<8).map { terminal.cell(row: first + $0, column: 1).text }
        #expect(glyphs == [">", ">", "+", ">", "+", "x", "-", "."])
        #expect(terminal.cell(row: first + 5, column: 1).style == TextStyle(bold: true, underline: true))
        #expect(terminal.cell(row: first + 6, column: 1).style == TextStyle(dim: true, italic: true))
        #expect(terminal.line(first + 2).hasPrefix(" +  `- Deploy to kiosk-1"))
    }

    @Test("the header counts tasks by state and names the engine's process")
    func header() {
        let terminal = MemoryTerminal(rows: 10, columns: 120)
        var model = Fixtures.model()
        model.apply(.countsLoaded([.running: 2, .pending: 1, .completed: 10, .failed: 3, .cancelled: 1]))
        model.mode = .attached(pid: 4242)
        HeaderView(theme: colorTheme).draw(on: terminal, model: model, now: Fixtures.start)
        let line = terminal.line(0)
        #expect(line.hasPrefix(" thymis-tasks  ▶ 2 running ○ 1 pending ✔ 10 completed ✘ 3 failed ⊘ 1 cancelled"))
        #expect(line.contains("attached to engine pid 4242"))
        #expect(terminal.cell(row: 0, column: 0).style.reverse)
        #expect(!line.contains("auto-update"))
        model.nextAutoUpdate = Fixtures.start.addingTimeInterval(3600)
        HeaderView(theme: colorTheme).draw(on: terminal, model: model, now: Fixtures.start)
        #expect(terminal.line(0).contains("next auto-update \(TaskFormat.timestamp(Fixtures.start.addingTimeInterval(3600), now: Fixtures.start))"),
                "\(terminal.line(0))")
    }

    @Test("hostile bytes in output are shown visibly, SGR becomes colour, wide characters take two cells")
    func hostileOutput() {
        let terminal = MemoryTerminal(rows: 6, columns: 60)
        let lines: [LogLine] = [
            .bytes(Array("copy \u{1B}]52;c;SGVsbG8=\u{07} done".utf8)),
            .bytes(Array("clear \u{1B}[2J\u{1B}[H here".utf8)),
            .bytes(Array("\u{1B}[31mred\u{1B}[0m plain".utf8)),
            .bytes(Array("漢字 😀 ok".utf8)),
            .bytes([0x62, 0x9B, 0x63, 0x00, 0x0D, 0x41]),
        ]
        var state = LogViewState()
        state.lineCount = lines.count
        state.viewportHeight = 6
        LogView(theme: colorTheme).draw(LogWindow(TextDocument(lines), state: state, height: 6), state: state, on: terminal, rows: 0..<6, width: 60)
        #expect(terminal.line(0) == "copy ^[]52;c;SGVsbG8=^G done")
        #expect(terminal.cell(row: 0, column: 5) == Cell(text: "^", style: .visibleControl))
        #expect(terminal.cell(row: 0, column: 13) == Cell(text: "S", style: .visibleControl))
        #expect(terminal.cell(row: 0, column: 24).style == .plain)
        #expect(terminal.line(1) == "clear ^[[2J^[[H here")
        #expect(terminal.cell(row: 1, column: 8).style == .visibleControl)
        #expect(terminal.cell(row: 2, column: 0) == Cell(text: "r", style: TextStyle(foreground: .red)))
        #expect(terminal.cell(row: 2, column: 4) == Cell(text: "p", style: .plain))
        #expect(terminal.line(2) == "red plain")
        #expect(terminal.cell(row: 3, column: 0).text == "漢")
        #expect(terminal.cell(row: 3, column: 1).isContinuation)
        #expect(terminal.cell(row: 3, column: 5).text == "😀")
        #expect(terminal.line(3) == "漢字 😀 ok")
        #expect(terminal.line(4) == "b\\x9bc^@^MA")
    }

    @Test("horizontal scroll shows the columns from the offset; wrap folds long lines")
    func horizontalAndWrap() {
        let terminal = MemoryTerminal(rows: 4, columns: 10)
        let document = TextDocument([.bytes(Array("0123456789abcdefghij".utf8)), .bytes(Array("short".utf8))])
        var state = LogViewState(lineCount: 2, viewportHeight: 4)
        state.follow = false
        state.horizontalOffset = 8
        LogView(theme: colorTheme).draw(LogWindow(document, state: state, height: 4), state: state, on: terminal, rows: 0..<4, width: 10)
        #expect(terminal.lines == ["89abcdefgh", "", "", ""])
        terminal.erase()
        state.wrap = true
        LogView(theme: colorTheme).draw(LogWindow(document, state: state, height: 4), state: state, on: terminal, rows: 0..<4, width: 10)
        #expect(terminal.lines == ["0123456789", "abcdefghij", "short", ""])
    }

    @Test("with times (t) each line has its arrival time in a gutter; the text scrolls and wraps beside it; an unknown time is a placeholder")
    func timeGutter() {
        struct Timed: LogDocument {
            var inner: TextDocument
            var times: [Date?]
            var lineCount: Int { inner.lineCount }
            var emptyReason: String { "" }
            func lines(_ range: Range<Int>) -> [LogLine] { inner.lines(range) }
            func forEachPiece(_ body: ([UInt8]) throws -> Void) rethrows { try inner.forEachPiece(body) }
            func lineTimes(_ range: Range<Int>) -> [Date?]? { Array(times[range.clamped(to: 0..<times.count)]) }
        }
        let at = Date(timeIntervalSince1970: 1_700_000_000.25)
        let document = Timed(inner: TextDocument([.bytes(Array("first".utf8)), .bytes(Array("0123456789abcdefghij".utf8)), .bytes(Array("old".utf8))]),
                             times: [at, at.addingTimeInterval(61.5), nil])
        let terminal = MemoryTerminal(rows: 5, columns: 23)
        var state = LogViewState(lineCount: 3, viewportHeight: 5)
        state.follow = false
        let clock = TaskFormat.lineTime(at)
        LogView(theme: colorTheme).draw(LogWindow(document, state: state, height: 5, withTimes: true), state: state, on: terminal, rows: 0..<5, width: 23)
        #expect(terminal.line(0) == clock + " first")
        #expect(clock.hasSuffix(".250"))
        #expect(terminal.line(1) == TaskFormat.lineTime(at.addingTimeInterval(61.5)) + " 0123456789")
        #expect(terminal.line(2) == "--:--:--.--- old")
        #expect(terminal.cell(row: 0, column: 0).style == colorTheme.label)
        terminal.erase()
        state.wrap = true
        LogView(theme: colorTheme).draw(LogWindow(document, state: state, height: 5, withTimes: true), state: state, on: terminal, rows: 0..<5, width: 23)
        #expect(terminal.lines[1...3] == [TaskFormat.lineTime(at.addingTimeInterval(61.5)) + " 0123456789", "             abcdefghij",
                                          "--:--:--.--- old"])
        // Without times asked for, no gutter.
        terminal.erase()
        state.wrap = false
        LogView(theme: colorTheme).draw(LogWindow(document, state: state, height: 5), state: state, on: terminal, rows: 0..<5, width: 23)
        #expect(terminal.line(0) == "first")
    }

    @Test("search matches are highlighted, the current one more strongly")
    func searchHighlight() {
        let terminal = MemoryTerminal(rows: 3, columns: 30)
        let document = TextDocument([.bytes(Array("an Error here, error there".utf8)), .bytes(Array("no ERROR".utf8))])
        var state = LogViewState(lineCount: 2, viewportHeight: 3)
        state.search = "error"
        state.currentMatch = 1
        LogView(theme: colorTheme).draw(LogWindow(document, state: state, height: 3), state: state, on: terminal, rows: 0..<3, width: 30)
        #expect(terminal.cell(row: 0, column: 3).style == colorTheme.match)
        #expect(terminal.cell(row: 0, column: 7).style == colorTheme.match)
        #expect(terminal.cell(row: 0, column: 8).style == .plain)
        #expect(terminal.cell(row: 0, column: 15).style == colorTheme.match)
        #expect(terminal.cell(row: 1, column: 3) == Cell(text: "E", style: colorTheme.currentMatch))
    }

    @Test("an empty tab says why it is empty")
    func emptyReason() {
        let terminal = MemoryTerminal(rows: 3, columns: 60)
        let empty = TextDocument(emptyReason: "the task is pending: it has started no process yet")
        LogView(theme: colorTheme).draw(LogWindow(empty, state: LogViewState(), height: 3),
                                        state: LogViewState(), on: terminal, rows: 0..<3, width: 60)
        #expect(terminal.line(0) == "  the task is pending: it has started no process yet")
    }

    @Test("below 40x10 the screen says it is too small, and draws nothing else")
    func tooSmall() {
        let terminal = MemoryTerminal(rows: 9, columns: 39)
        let model = Fixtures.model(rows: 9, columns: 39)
        DashboardScreen(theme: colorTheme).draw(on: terminal, model: model, content: nil, now: Fixtures.start)
        #expect(terminal.lines[0] == "terminal too small")
        #expect(terminal.lines[1] == "39x9; need 40x10")
        #expect(terminal.presentCount == 1)
        #expect(terminal.eraseCount == 1)
    }

    @Test("the footer shows the focused pane's keys from the key map; help lists every binding")
    func footerAndHelp() {
        let terminal = MemoryTerminal(rows: 40, columns: 120)
        var model = Fixtures.model()
        FooterView(theme: colorTheme).draw(on: terminal, model: model)
        #expect(terminal.line(39).hasPrefix(" j move Tab focus ] tabs w wrap / filter s state c cancel r retry n new"))
        _ = model.handle(.key(.tab))
        terminal.erase()
        FooterView(theme: colorTheme).draw(on: terminal, model: model)
        #expect(terminal.line(39).hasPrefix(" j scroll G follow Tab focus ] tabs w wrap t times / search"))

        let help = HelpView.lines(keyMap: model.keyMap, theme: colorTheme).map { $0.map(\.text).joined() }
        for binding in model.keyMap.bindings {
            #expect(help.contains { $0.contains(binding.label) && $0.contains(binding.description) }, "\(binding.description)")
        }
        let readOnlyHelp = HelpView.lines(keyMap: KeyMap(readOnly: true), theme: colorTheme).map { $0.map(\.text).joined() }
        #expect(!readOnlyHelp.contains { $0.contains("cancel the selected task") })
    }

    @Test("y writes OSC 52 with the text base64-encoded: no byte of the text reaches the terminal")
    func clipboard() {
        let terminal = MemoryTerminal(rows: 2, columns: 10)
        terminal.copyToClipboard("evil \u{1B}[2J\u{07}")
        #expect(terminal.clipboard == ["evil \u{1B}[2J\u{07}"])
        let payload = terminal.clipboardBytes.dropFirst(7).dropLast()
        #expect(Array(terminal.clipboardBytes.prefix(7)) == Array("\u{1B}]52;c;".utf8))
        #expect(terminal.clipboardBytes.last == 0x07)
        #expect(payload.allSatisfy { $0 >= 0x20 && $0 < 0x7F })
    }
}
