import Foundation

/// One line of a document as stored: raw child output (sanitized when drawn) or text the
/// dashboard made itself, already styled.
enum LogLine: Equatable, Sendable {
    case bytes([UInt8])
    case styled([StyledRun])

    /// The line as plain text (visible forms for controls, no styles): for search and copy.
    var plainText: String {
        switch self {
        case .bytes(let bytes): TerminalText.sanitizedPlainText(bytes)
        case .styled(let runs): runs.lazy.filter { !$0.isKeyHint }.map(\.text).joined()
        }
    }

    /// Styled runs for the columns `columns` (horizontal scroll); child output is sanitized.
    func runs(columns: Range<Int>) -> [StyledRun] {
        switch self {
        case .bytes(let bytes):
            return StyledText.parse(bytes: bytes, columns: columns)
        case .styled(let runs):
            if columns.lowerBound == 0 { return runs }
            // Our own text is short: cut it by characters, which is close enough for a header.
            var skipped = 0
            var result: [StyledRun] = []
            for run in runs {
                var text = Substring(run.text)
                while skipped < columns.lowerBound, let first = text.first {
                    skipped += max(1, TerminalText.displayWidth(of: String(first)))
                    text = text.dropFirst()
                }
                if !text.isEmpty { result.append(StyledRun(String(text), run.style)) }
            }
            return result
        }
    }
}

/// What a text tab shows: a number of lines, read a range at a time. Stored output is read
/// from the store only for the range asked for, so a document of millions of lines costs no
/// more to show than a short one.
protocol LogDocument {
    var lineCount: Int { get }
    /// Shown instead of the text when the document has no lines: why it is empty.
    var emptyReason: String { get }
    /// Lines `range` (clamped to the document).
    func lines(_ range: Range<Int>) -> [LogLine]
    /// The whole document as raw bytes, piece by piece (for saving and copying).
    func forEachPiece(_ body: ([UInt8]) throws -> Void) rethrows
    /// When lines `range` arrived (nil for a line stored before times were kept); nil when the
    /// document is the dashboard's own text, which has no times.
    func lineTimes(_ range: Range<Int>) -> [Date?]?
}

extension LogDocument {
    func lineTimes(_ range: Range<Int>) -> [Date?]? { nil }
}

extension LogDocument {
    /// Looks for `text` (case-insensitive) from line `from` in `direction`, wrapping around at
    /// either end, reading at most `budget` lines. Returns the line found, or nil and how many
    /// lines were read.
    func find(_ text: String, from: Int, direction: Int, budget: Int = 400_000) -> (line: Int?, searched: Int) {
        let count = lineCount
        guard count > 0, !text.isEmpty else { return (nil, 0) }
        let needle = text.lowercased()
        let page = 2_000
        var searched = 0
        var position = ((from % count) + count) % count
        while searched < min(count, budget) {
            let range: Range<Int> = direction > 0
                ? position..<min(count, position + page)
                : max(0, position - page + 1)..<(position + 1)
            let lines = self.lines(range)
            let ordered = direction > 0 ? Array(lines.enumerated()) : Array(lines.enumerated().reversed())
            for (offset, line) in ordered {
                if line.plainText.lowercased().contains(needle) { return (range.lowerBound + offset, searched + 1) }
                searched += 1
                if searched >= budget { return (nil, searched) }
            }
            if lines.isEmpty { searched += range.count }
            position = direction > 0 ? (range.upperBound >= count ? 0 : range.upperBound)
                : (range.lowerBound == 0 ? count - 1 : range.lowerBound - 1)
        }
        return (nil, searched)
    }

    /// The whole document as text a person can read (controls in visible form, no SGR).
    func plainText(limitBytes: Int = .max) -> String {
        var text = ""
        var lineStart: [UInt8] = []
        var over = false
        forEachPiece { piece in
            guard !over else { return }
            lineStart += piece
            while let newline = lineStart.firstIndex(of: 10) {
                text += TerminalText.sanitizedPlainText(lineStart[..<newline]) + "\n"
                lineStart.removeSubrange(...newline)
            }
            if text.utf8.count > limitBytes { over = true }
        }
        if !lineStart.isEmpty { text += TerminalText.sanitizedPlainText(lineStart) }
        return text
    }
}

/// A document the dashboard wrote itself (Submission, Process, the Nix summary).
struct TextDocument: LogDocument {
    var lineItems: [LogLine]
    var emptyReason: String

    init(_ lines: [LogLine] = [], emptyReason: String = "") {
        self.lineItems = lines
        self.emptyReason = emptyReason
    }

    var lineCount: Int { lineItems.count }

    func lines(_ range: Range<Int>) -> [LogLine] {
        let clamped = range.clamped(to: 0..<lineItems.count)
        return Array(lineItems[clamped])
    }

    func forEachPiece(_ body: ([UInt8]) throws -> Void) rethrows {
        for line in lineItems {
            switch line {
            case .bytes(let bytes): try body(bytes + [10])
            case .styled: try body(Array((line.plainText + "\n").utf8))
            }
        }
    }
}
