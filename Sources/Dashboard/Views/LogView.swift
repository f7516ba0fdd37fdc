import Foundation

/// The one text view every tab uses: draws the window of a document read before the frame,
/// with horizontal scroll or wrapping, search matches highlighted, and the empty document's
/// reason when there is nothing to show.
struct LogView {
    let theme: Theme

    func draw(_ window: LogWindow, state: LogViewState, on terminal: any Terminal, rows: Range<Int>, width: Int) {
        guard !rows.isEmpty, width > 0 else { return }
        guard window.lineCount > 0 else {
            terminal.draw("  " + window.emptyReason, row: rows.lowerBound, column: 0, maxColumns: width, style: theme.label)
            return
        }
        if state.wrap {
            drawWrapped(window, state: state, on: terminal, rows: rows, width: width)
            return
        }
        let top = window.firstLine
        let lines = window.lines.prefix(rows.count)
        let columns = state.horizontalOffset..<(state.horizontalOffset + width)
        for (offset, line) in lines.enumerated() {
            var runs = line.runs(columns: columns)
            if let search = state.search {
                runs = Self.highlight(runs, search, style: top + offset == state.currentMatch ? theme.currentMatch : theme.match)
            }
            terminal.draw(runs, row: rows.lowerBound + offset, column: 0, maxColumns: width)
        }
    }

    private func drawWrapped(_ window: LogWindow, state: LogViewState, on terminal: any Terminal, rows: Range<Int>, width: Int) {
        let height = rows.count
        // Each line takes at least one row, so `height` lines always fill the view.
        let start = window.firstLine
        let lines = window.lines.prefix(height)
        var screenRows: [[StyledRun]] = []
        for (offset, line) in lines.enumerated() {
            // A line longer than the whole view cannot be shown entirely anyway.
            var runs = line.runs(columns: 0..<(width * height))
            if let search = state.search {
                runs = Self.highlight(runs, search, style: start + offset == state.currentMatch ? theme.currentMatch : theme.match)
            }
            screenRows += Self.wrap(runs, width: width)
            if !state.follow && screenRows.count >= height { break }
        }
        let shown = state.follow ? Array(screenRows.suffix(height)) : Array(screenRows.prefix(height))
        for (offset, runs) in shown.enumerated() {
            terminal.draw(runs, row: rows.lowerBound + offset, column: 0, maxColumns: width)
        }
    }

    /// Splits runs into rows of at most `width` columns (at least one row, even when empty).
    static func wrap(_ runs: [StyledRun], width: Int) -> [[StyledRun]] {
        var result: [[StyledRun]] = []
        var current: [StyledRun] = []
        var used = 0
        for run in runs {
            var text = ""
            for character in run.text {
                let w = TerminalText.displayWidth(of: String(character))
                if used + w > width && used > 0 {
                    if !text.isEmpty { current.append(StyledRun(text, run.style)) }
                    result.append(current)
                    current = []
                    text = ""
                    used = 0
                }
                text.append(character)
                used += w
            }
            if !text.isEmpty { current.append(StyledRun(text, run.style)) }
        }
        result.append(current)
        return result
    }

    /// Restyles every case-insensitive occurrence of `needle` in the runs.
    static func highlight(_ runs: [StyledRun], _ needle: String, style: TextStyle) -> [StyledRun] {
        let text = runs.map(\.text).joined()
        guard !needle.isEmpty, text.range(of: needle, options: .caseInsensitive) != nil else { return runs }
        var characters: [(Character, TextStyle)] = []
        for run in runs { for c in run.text { characters.append((c, run.style)) } }
        let plain = String(characters.map(\.0))
        var searchStart = plain.startIndex
        while let found = plain.range(of: needle, options: .caseInsensitive, range: searchStart..<plain.endIndex) {
            let lower = plain.distance(from: plain.startIndex, to: found.lowerBound)
            let upper = plain.distance(from: plain.startIndex, to: found.upperBound)
            for index in lower..<min(upper, characters.count) { characters[index].1 = style }
            searchStart = found.upperBound
            if found.isEmpty { break }
        }
        var result: [StyledRun] = []
        for (character, characterStyle) in characters {
            if let last = result.last, last.style == characterStyle {
                result[result.count - 1].text.append(character)
            } else {
                result.append(StyledRun(String(character), characterStyle))
            }
        }
        return result
    }
}
