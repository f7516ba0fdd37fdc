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
        // With times (`t`), a gutter of each line's arrival time; the text scrolls and wraps beside it.
        let gutter = window.times == nil ? 0 : min(width - 1, TaskFormat.lineTimeWidth + 1)
        let textWidth = width - gutter
        let top = window.firstLine
        let lines = window.lines.prefix(rows.count)
        let columns = state.horizontalOffset..<(state.horizontalOffset + textWidth)
        for (offset, line) in lines.enumerated() {
            var runs = line.runs(columns: columns)
            if let search = state.search {
                runs = Self.highlight(runs, search, style: top + offset == state.currentMatch ? theme.currentMatch : theme.match)
            }
            drawTime(window, line: offset, row: rows.lowerBound + offset, gutter: gutter, on: terminal)
            terminal.draw(runs, row: rows.lowerBound + offset, column: gutter, maxColumns: textWidth)
        }
    }

    private func drawTime(_ window: LogWindow, line: Int, row: Int, gutter: Int, on terminal: any Terminal) {
        guard gutter > 0, let times = window.times else { return }
        let time = line < times.count ? times[line] : nil
        terminal.draw(TaskFormat.lineTime(time), row: row, column: 0, maxColumns: gutter - 1, style: theme.label)
    }

    private func drawWrapped(_ window: LogWindow, state: LogViewState, on terminal: any Terminal, rows: Range<Int>, width: Int) {
        let height = rows.count
        let gutter = window.times == nil ? 0 : min(width - 1, TaskFormat.lineTimeWidth + 1)
        let textWidth = width - gutter
        // Each line takes at least one row, so `height` lines always fill the view.
        let start = window.firstLine
        let lines = window.lines.prefix(height)
        var screenRows: [(line: Int?, runs: [StyledRun])] = []
        for (offset, line) in lines.enumerated() {
            // A line longer than the whole view cannot be shown entirely anyway.
            var runs = line.runs(columns: 0..<(textWidth * height))
            if let search = state.search {
                runs = Self.highlight(runs, search, style: start + offset == state.currentMatch ? theme.currentMatch : theme.match)
            }
            // The time goes on a line's first row only.
            screenRows += Self.wrap(runs, width: textWidth).enumerated().map { ($0.offset == 0 ? offset : nil, $0.element) }
            if !state.follow && screenRows.count >= height { break }
        }
        let shown = state.follow ? Array(screenRows.suffix(height)) : Array(screenRows.prefix(height))
        for (offset, row) in shown.enumerated() {
            if let line = row.line { drawTime(window, line: line, row: rows.lowerBound + offset, gutter: gutter, on: terminal) }
            terminal.draw(row.runs, row: rows.lowerBound + offset, column: gutter, maxColumns: textWidth)
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
