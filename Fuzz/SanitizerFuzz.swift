// libFuzzer target for the terminal sanitizer (StyledText / TerminalText): whatever bytes a child
// prints, nothing that drives a terminal comes out, and a window of columns is exactly that slice
// of the whole line.

private func check(_ condition: Bool, _ message: @autoclosure () -> String) {
    if !condition { fatalError("invariant broken: \(message())") }
}

/// Code points that must never reach a terminal: C0 controls (ESC included), DEL, C1 controls,
/// bidi controls and line/paragraph separators.
private func isUnsafe(_ scalar: Unicode.Scalar) -> Bool {
    switch scalar.value {
    case 0x00..<0x20, 0x7F, 0x80...0x9F, 0x061C, 0x200E, 0x200F, 0x202A...0x202E, 0x2066...0x2069,
         0x2028, 0x2029:
        return true
    default:
        return false
    }
}

private func checkSafe(_ text: String, _ what: String) {
    for scalar in text.unicodeScalars {
        check(!isUnsafe(scalar), "\(what) holds U+\(String(scalar.value, radix: 16))")
    }
}

/// One drawn scalar and its style; a line as the terminal will get it.
private struct Cell: Equatable {
    var scalar: Unicode.Scalar
    var style: TextStyle
}

private func cells(_ runs: [StyledRun]) -> [Cell] {
    runs.flatMap { run in run.text.unicodeScalars.map { Cell(scalar: $0, style: run.style) } }
}

/// The columns `window` of a whole parsed line, by the documented rule: a character cut by an edge
/// becomes spaces for its part inside, a combining character goes with its base.
private func slice(_ line: [Cell], _ window: Range<Int>) -> [Cell] {
    var result: [Cell] = []
    var column = 0
    var baseShown = false
    for cell in line {
        let w = TerminalText.width(of: cell.scalar)
        let width = w < 0 ? 1 : w
        if width == 0 {
            if baseShown { result.append(cell) }
            continue
        }
        let start = column
        if start >= window.upperBound { break }
        column += width
        if start >= window.lowerBound && column <= window.upperBound {
            result.append(cell)
            baseShown = true
        } else {
            baseShown = false
            let visible = min(column, window.upperBound) - max(start, window.lowerBound)
            for _ in 0..<max(0, visible) { result.append(Cell(scalar: " ", style: cell.style)) }
        }
    }
    return result
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = UnsafeBufferPointer(start: data, count: size)

    let whole = StyledText.parse(bytes: bytes)
    for run in whole { checkSafe(run.text, "a run") }
    checkSafe(TerminalText.sanitizedPlainText(bytes), "sanitizedPlainText")
    check(TerminalText.sanitizedPlainText(bytes) == whole.map(\.text).joined(), "plain text is not the runs' text")
    for (a, b) in zip(whole, whole.dropFirst()) { check(a.style != b.style, "adjacent runs of one style") }
    check(!whole.contains { $0.text.isEmpty }, "an empty run")

    // A window taken from the first two bytes, so the fuzzer steers it onto wide characters and escapes.
    guard size >= 2 else { return 0 }
    let lower = Int(bytes[0] % 64)
    let window = lower..<(lower + Int(bytes[1] % 32))
    let windowed = StyledText.parse(bytes: bytes, columns: window)
    for run in windowed { checkSafe(run.text, "a windowed run") }
    let width = StyledText.displayWidth(of: windowed)
    check(width <= window.count, "window \(window) drew \(width) columns")
    check(cells(windowed) == slice(cells(whole), window), "window \(window) is not that slice of the whole line")
    return 0
}
