/// The size of a terminal in character cells.
struct TerminalSize: Hashable, Sendable {
    var rows: Int
    var columns: Int
}

/// One character cell of a screen: the text shown there and its style.
///
/// A wide (two-column) character sits in its left cell; the right cell is a continuation with
/// empty text, so joining the texts of a row gives the row as a user reads it.
struct Cell: Hashable, Sendable {
    var text: String
    var style: TextStyle

    static let blank = Cell(text: " ", style: .plain)

    /// Whether this is the right half of a wide character.
    var isContinuation: Bool { text.isEmpty }
}
