/// Where one text tab is scrolled to, and how it is shown: the state behind the one `LogView`
/// that every text tab uses.
///
/// Line numbers are 0-based indexes into the tab's document. In follow mode the view sticks to
/// the end and new lines scroll in; scrolling up pauses it, `scrollToEnd` resumes it.
struct LogViewState: Hashable, Sendable {
    /// First line shown when not following.
    var topLine = 0
    var follow = true
    var wrap = false
    /// Columns hidden on the left (horizontal scroll; ignored while wrapping).
    var horizontalOffset = 0
    /// The text searched for (case-insensitive), nil when no search is active.
    var search: String?
    /// The line of the current match, when the last search found one.
    var currentMatch: Int?
    /// Lines in the document, as last measured by the app.
    var lineCount = 0
    /// Columns of the widest line the last frame showed (horizontal scroll stops there).
    var longestLine = 0
    /// Rows the view has on screen.
    var viewportHeight = 1

    var lastTop: Int { max(0, lineCount - viewportHeight) }

    /// The first line on screen.
    var top: Int { follow ? lastTop : min(max(0, topLine), lastTop) }

    /// Scrolls by `delta` lines (negative: up). Scrolling up leaves follow mode.
    mutating func scroll(by delta: Int) {
        let newTop = min(max(0, top + delta), lastTop)
        if delta < 0 && newTop < lastTop { follow = false }
        topLine = newTop
    }

    mutating func scrollToStart() {
        follow = false
        topLine = 0
    }

    /// Jumps to the end and follows new output again.
    mutating func scrollToEnd() {
        follow = true
        topLine = lastTop
    }

    /// Makes `line` visible (leaving follow mode when it is above the last page).
    mutating func reveal(line: Int) {
        let onScreen = top..<(top + viewportHeight)
        guard !onScreen.contains(line) else { return }
        follow = false
        topLine = min(max(0, line - viewportHeight / 3), lastTop)
    }

    /// Scrolls sideways, no further than shows the end of the widest line on screen in a
    /// view `width` columns wide (scrolling on into blank columns shows nothing).
    mutating func scrollHorizontally(by delta: Int, width: Int) {
        let limit = max(0, longestLine - width)
        horizontalOffset = max(0, min(horizontalOffset + delta, max(limit, delta < 0 ? horizontalOffset : 0)))
    }

    /// Makes column `column` (of a match `length` columns wide) visible in a view `width` wide.
    mutating func reveal(column: Int, length: Int, width: Int) {
        guard !wrap else { return }
        if column < horizontalOffset || column + length > horizontalOffset + width {
            horizontalOffset = max(0, column - width / 3)
        }
    }
}
