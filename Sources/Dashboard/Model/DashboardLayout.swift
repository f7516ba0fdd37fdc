/// Where each part of the screen goes for a terminal size: header on top, the detail pane
/// (overview line, tab bar, text), the task list (a column header and its rows), the footer.
struct DashboardLayout: Equatable, Sendable {
    static let minimumSize = TerminalSize(rows: 10, columns: 40)

    var size: TerminalSize
    var headerRow: Int { 0 }
    var overviewRow: Int { 1 }
    var tabBarRow: Int { 2 }
    /// Rows of the detail text (the log view).
    var contentRows: Range<Int>
    var listHeaderRow: Int
    /// Rows of task lines.
    var listRows: Range<Int>
    var footerRow: Int

    /// False below 40x10: the dashboard shows a notice instead.
    var isUsable: Bool {
        size.rows >= Self.minimumSize.rows && size.columns >= Self.minimumSize.columns
    }

    init(size: TerminalSize) {
        self.size = size
        let rows = max(size.rows, Self.minimumSize.rows)
        footerRow = rows - 1
        let available = rows - 2
        let listHeight = max(4, available * 2 / 5)
        listHeaderRow = footerRow - listHeight
        listRows = (listHeaderRow + 1)..<footerRow
        contentRows = 3..<listHeaderRow
    }
}
