/// A terminal that draws into a grid of cells in memory, for tests: what a view drew can be
/// read back cell by cell (text and style) or line by line, input is scripted, and the calls
/// that would change the real terminal are counted.
final class MemoryTerminal: Terminal {
    private(set) var size: TerminalSize
    var isASCII: Bool
    var hasColor: Bool
    private var grid: [[Cell]]

    /// Events `readInput` hands out, first one first; `resize(to:)` appends `.resize`.
    var pendingInput: [InputEvent] = []
    private(set) var presentCount = 0
    private(set) var eraseCount = 0
    private(set) var isSuspended = false
    private(set) var restoreCount = 0
    /// The timeouts `readInput` was called with, to check a render loop's pacing.
    private(set) var readTimeouts: [Int] = []

    init(rows: Int, columns: Int, isASCII: Bool = false, hasColor: Bool = true) {
        size = TerminalSize(rows: rows, columns: columns)
        self.isASCII = isASCII
        self.hasColor = hasColor
        grid = Self.blankGrid(size)
    }

    private static func blankGrid(_ size: TerminalSize) -> [[Cell]] {
        Array(repeating: Array(repeating: Cell.blank, count: max(0, size.columns)), count: max(0, size.rows))
    }

    /// Changes the size like a terminal window being resized: content is kept where it still
    /// fits, and a `.resize` event is queued.
    func resize(to newSize: TerminalSize) {
        var newGrid = Self.blankGrid(newSize)
        for row in 0..<min(size.rows, newSize.rows) {
            for column in 0..<min(size.columns, newSize.columns) {
                newGrid[row][column] = grid[row][column]
            }
        }
        grid = newGrid
        size = newSize
        pendingInput.append(.resize)
    }

    /// The cell at (`row`, `column`).
    func cell(row: Int, column: Int) -> Cell { grid[row][column] }

    /// Each row as a user reads it, trailing spaces removed.
    var lines: [String] { (0..<size.rows).map { line($0) } }

    /// Row `row` as a user reads it (a wide character once), trailing spaces removed.
    func line(_ row: Int) -> String {
        var text = ""
        for cell in grid[row] { text += cell.text }
        while text.last == " " { text.removeLast() }
        return text
    }

    func erase() {
        eraseCount += 1
        grid = Self.blankGrid(size)
        cursor = nil
    }

    /// Where the frame shows the text cursor (nil: hidden).
    private(set) var cursor: (row: Int, column: Int)?

    func showCursor(row: Int, column: Int) {
        guard row >= 0, row < size.rows, column >= 0, column < size.columns else { return }
        cursor = (row, column)
    }

    @discardableResult
    func draw(_ text: String, row: Int, column: Int, maxColumns: Int, style: TextStyle) -> Int {
        guard row >= 0, row < size.rows, column >= 0, column < size.columns else { return 0 }
        var x = column
        return CellLayout.forEachCell(in: text, limit: min(maxColumns, size.columns - column), ascii: isASCII) {
            text, width, isControl in
            put(Cell(text: text, style: isControl ? style.reverseToggled : style), width: width, row: row, column: x)
            x += width
        }
    }

    /// Writes a cell like a terminal does: overwriting half of a wide character blanks the
    /// other half.
    private func put(_ cell: Cell, width: Int, row: Int, column: Int) {
        for x in column..<column + width {
            if grid[row][x].isContinuation && x > 0 && x == column {
                grid[row][x - 1] = Cell(text: " ", style: grid[row][x - 1].style)
            }
            if x == column + width - 1, x + 1 < size.columns, grid[row][x + 1].isContinuation {
                grid[row][x + 1] = Cell(text: " ", style: grid[row][x + 1].style)
            }
        }
        grid[row][column] = cell
        if width == 2 { grid[row][column + 1] = Cell(text: "", style: cell.style) }
    }

    func present() { presentCount += 1 }

    func readInput(timeoutMilliseconds: Int) -> InputEvent? {
        readTimeouts.append(timeoutMilliseconds)
        return pendingInput.isEmpty ? nil : pendingInput.removeFirst()
    }

    /// Texts copied with `copyToClipboard`, oldest first.
    private(set) var clipboard: [String] = []
    /// The bytes the copies would have written to a real terminal.
    private(set) var clipboardBytes: [UInt8] = []

    func copyToClipboard(_ text: String) {
        clipboard.append(text)
        clipboardBytes += Self.clipboardSequence(text)
    }

    /// Alerts sent with `alert`, oldest first.
    private(set) var alerts: [TerminalAlert] = []

    func alert(_ alert: TerminalAlert) { alerts.append(alert) }

    func suspend() { isSuspended = true }
    func resume() { isSuspended = false }
    func restore() { restoreCount += 1 }
}
