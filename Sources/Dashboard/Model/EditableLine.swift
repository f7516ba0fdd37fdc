/// A line of text being typed and where its cursor is: what a form field and a footer prompt
/// edit. The cursor counts characters as a user sees them (grapheme clusters), so `←` over `é`
/// or `漢` is one step.
struct EditableLine: Equatable, Sendable {
    /// Where a cursor key moves the cursor to.
    enum Move: Equatable, Sendable {
        case left, right
        /// `Home`/`Ctrl-a` and `End`/`Ctrl-e`.
        case start, end
    }

    private(set) var text: String
    /// Characters before the cursor: 0 at the start, `text.count` after the last one.
    private(set) var cursor: Int

    /// `text` with the cursor after it, where typing goes on.
    init(_ text: String = "") {
        self.text = text
        cursor = text.count
    }

    var isEmpty: Bool { text.isEmpty }

    /// Types `character` at the cursor and moves the cursor past it.
    mutating func insert(_ character: Character) {
        let split = text.index(text.startIndex, offsetBy: cursor)
        let before = String(text[..<split]) + String(character)
        text = before + text[split...]
        // A combining mark typed after a letter joins it: count what is really before the cursor.
        cursor = min(before.count, text.count)
    }

    /// Backspace: removes the character before the cursor (none at the start).
    mutating func deleteBackward() {
        guard cursor > 0 else { return }
        text.remove(at: text.index(text.startIndex, offsetBy: cursor - 1))
        cursor -= 1
    }

    /// Delete: removes the character under the cursor (none at the end).
    mutating func deleteForward() {
        guard cursor < text.count else { return }
        text.remove(at: text.index(text.startIndex, offsetBy: cursor))
    }

    mutating func move(_ move: Move) {
        switch move {
        case .left: cursor = max(0, cursor - 1)
        case .right: cursor = min(text.count, cursor + 1)
        case .start: cursor = 0
        case .end: cursor = text.count
        }
    }
}
