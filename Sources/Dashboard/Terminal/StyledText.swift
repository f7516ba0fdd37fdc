/// The hostile-output sanitizer: one line of raw child output in, styled runs that are safe to
/// draw out.
///
/// - `ESC [ ... m` (SGR) changes the style and is not shown.
/// - Every other escape is shown, in `TextStyle.visibleControl`, with ESC as `^[`: CSI
///   (`^[[2J`), OSC up to BEL or ST (`^[]0;title^G`), DCS/APC/PM/SOS strings, and the
///   two-byte escapes (`^[c`).
/// - C0 controls and DEL in caret notation (`^@`, `^H`, `^M`, `^?`); a CR as the very last byte
///   is the CR of a CRLF line end and is dropped.
/// - TAB becomes spaces up to the next multiple of 8 columns.
/// - C1 code points, bidi controls and line/paragraph separators as `<U+202E>`.
/// - Invalid UTF-8 as U+FFFD, one per maximal invalid subpart, except a stray byte in
///   0x80-0x9F (an 8-bit C1 control to some terminals), shown as `\x9b`.
///
/// Runs in time linear in the bytes it looks at, and never looks past the last column asked for.
enum StyledText {
    /// The whole line as styled runs (adjacent runs of one style merged).
    static func parse(bytes: some Collection<UInt8>, controlStyle: TextStyle = .visibleControl) -> [StyledRun] {
        parse(bytes: bytes, columns: 0..<Int.max, controlStyle: controlStyle)
    }

    /// Only the columns `columns` of the line (horizontal scrolling): the result is at most
    /// `columns.count` columns wide, a wide character cut by either edge becomes spaces, and
    /// bytes after the last column are not read.
    static func parse(
        bytes: some Collection<UInt8>, columns: Range<Int>, controlStyle: TextStyle = .visibleControl
    ) -> [StyledRun] {
        let runs = bytes.withContiguousStorageIfAvailable { buffer in
            parse(buffer, columns: columns, controlStyle: controlStyle)
        }
        if let runs { return runs }
        return Array(bytes).withUnsafeBufferPointer { parse($0, columns: columns, controlStyle: controlStyle) }
    }

    /// The columns a parsed line takes.
    static func displayWidth(of runs: [StyledRun]) -> Int {
        runs.reduce(0) { $0 + TerminalText.displayWidth(of: $1.text) }
    }

    private static func parse(
        _ bytes: UnsafeBufferPointer<UInt8>, columns: Range<Int>, controlStyle: TextStyle
    ) -> [StyledRun] {
        var parser = LineParser(bytes: bytes, output: RunBuilder(window: columns), controlStyle: controlStyle)
        parser.run()
        return parser.output.finish()
    }
}

/// Collects text into runs, keeping only the window of columns asked for.
private struct RunBuilder {
    let window: Range<Int>
    private(set) var column = 0
    private(set) var isDone = false
    private var runs: [StyledRun] = []
    private var utf8: [UInt8] = []
    private var style = TextStyle.plain
    private var lastBaseShown = false

    init(window: Range<Int>) { self.window = window }

    private mutating func append(_ scalar: Unicode.Scalar, _ newStyle: TextStyle) {
        if newStyle != style {
            flush()
            style = newStyle
        }
        if scalar.value < 0x80 {
            utf8.append(UInt8(scalar.value))
        } else {
            UTF8.encode(scalar) { utf8.append($0) }
        }
    }

    private mutating func flush() {
        guard !utf8.isEmpty else { return }
        runs.append(StyledRun(String(decoding: utf8, as: UTF8.self), style))
        utf8.removeAll(keepingCapacity: true)
    }

    /// A character that occupies `width` columns (0 for a combining one).
    mutating func add(_ scalar: Unicode.Scalar, width: Int, style: TextStyle) {
        if width == 0 {
            if lastBaseShown { append(scalar, style) }
            return
        }
        let start = column
        if start >= window.upperBound { isDone = true; return }
        column += width
        if start >= window.lowerBound && column <= window.upperBound {
            append(scalar, style)
            lastBaseShown = true
        } else {
            lastBaseShown = false
            // Cut by an edge of the window: show the part inside as spaces.
            let visible = min(column, window.upperBound) - max(start, window.lowerBound)
            for _ in 0..<max(0, visible) { append(" ", style) }
        }
    }

    /// A visible form (all ASCII, one column per character).
    mutating func add(visible form: String, style: TextStyle) {
        for unit in form.unicodeScalars { add(unit, width: 1, style: style) }
    }

    mutating func addTab(style: TextStyle) {
        let spaces = 8 - column % 8
        for _ in 0..<spaces { add(" ", width: 1, style: style) }
    }

    mutating func finish() -> [StyledRun] {
        flush()
        return runs
    }
}

/// The byte-level pass: UTF-8 decoding, escape sequences and controls.
private struct LineParser {
    let bytes: UnsafeBufferPointer<UInt8>
    var output: RunBuilder
    let controlStyle: TextStyle
    private var style = TextStyle.plain
    /// Inside an OSC/DCS/APC/PM/SOS string: everything is shown in `controlStyle` until BEL or ST.
    private var inControlString = false
    private var index = 0

    init(bytes: UnsafeBufferPointer<UInt8>, output: RunBuilder, controlStyle: TextStyle) {
        self.bytes = bytes
        self.output = output
        self.controlStyle = controlStyle
    }

    private var textStyle: TextStyle { inControlString ? controlStyle : style }

    mutating func run() {
        let end = bytes.count
        while index < end && !output.isDone {
            let byte = bytes[index]
            if byte >= 0x20 && byte < 0x7F {
                output.add(Unicode.Scalar(byte), width: 1, style: textStyle)
                index += 1
            } else if byte == 0x1B {
                escape()
            } else if byte == 0x07 && inControlString {
                output.add(visible: "^G", style: controlStyle)
                inControlString = false
                index += 1
            } else if byte == 0x09 && !inControlString {
                output.addTab(style: style)
                index += 1
            } else if byte == 0x0D && index == end - 1 {
                index += 1  // the CR of CRLF
            } else if byte < 0x80 {
                output.add(visible: TerminalText.visibleForm(of: Unicode.Scalar(byte))!, style: controlStyle)
                index += 1
            } else {
                decodeMultibyte()
            }
        }
    }

    private mutating func decodeMultibyte() {
        let lead = bytes[index]
        let length: Int
        var secondRange: ClosedRange<UInt8> = 0x80...0xBF
        switch lead {
        case 0xC2...0xDF: length = 2
        case 0xE0: length = 3; secondRange = 0xA0...0xBF
        case 0xED: length = 3; secondRange = 0x80...0x9F
        case 0xE1...0xEF: length = 3
        case 0xF0: length = 4; secondRange = 0x90...0xBF
        case 0xF4: length = 4; secondRange = 0x80...0x8F
        case 0xF1...0xF3: length = 4
        default:
            index += 1
            if lead <= 0x9F {
                output.add(visible: TerminalText.byteForm(lead), style: controlStyle)
            } else {
                output.add("\u{FFFD}", width: 1, style: textStyle)
            }
            return
        }
        var value = UInt32(lead) & (length == 2 ? 0x1F : length == 3 ? 0x0F : 0x07)
        var position = index + 1
        while position < index + length {
            guard position < bytes.count else { break }
            let byte = bytes[position]
            let range = position == index + 1 ? secondRange : 0x80...0xBF
            guard range.contains(byte) else { break }
            value = value << 6 | UInt32(byte & 0x3F)
            position += 1
        }
        guard position == index + length, let scalar = Unicode.Scalar(value) else {
            index = position  // one U+FFFD for the maximal subpart
            output.add("\u{FFFD}", width: 1, style: textStyle)
            return
        }
        index = position
        if let form = TerminalText.visibleForm(of: scalar) {
            output.add(visible: form, style: controlStyle)
        } else {
            let width = TerminalText.width(of: scalar)
            output.add(scalar, width: width < 0 ? 1 : width, style: textStyle)
        }
    }

    /// At an ESC: an SGR sequence changes the style, anything else is shown.
    private mutating func escape() {
        let start = index
        let end = bytes.count
        guard start + 1 < end else {
            output.add(visible: "^[", style: controlStyle)
            index += 1
            return
        }
        let next = bytes[start + 1]
        if inControlString {
            inControlString = false
            if next == UInt8(ascii: "\\") {
                output.add(visible: "^[\\", style: controlStyle)
                index += 2
                return
            }
        }
        switch next {
        case UInt8(ascii: "["):
            controlSequence()
        case UInt8(ascii: "]"), UInt8(ascii: "P"), UInt8(ascii: "_"), UInt8(ascii: "^"), UInt8(ascii: "X"):
            output.add(visible: "^[" + String(Unicode.Scalar(next)), style: controlStyle)
            inControlString = true
            index += 2
        default:
            // ESC, intermediates (0x20-0x2F), then a final byte (0x30-0x7E): show what is there.
            var position = start + 1
            while position < end && (0x20...0x2F).contains(bytes[position]) { position += 1 }
            if position < end && (0x30...0x7E).contains(bytes[position]) { position += 1 }
            showVerbatim(from: start, to: position)
            index = position
        }
    }

    /// At `ESC [`: parameters 0x30-0x3F, intermediates 0x20-0x2F, a final byte 0x40-0x7E.
    private mutating func controlSequence() {
        let start = index
        let end = bytes.count
        var position = start + 2
        var sgr = SelectGraphicRendition()
        var isSGRCandidate = true
        while position < end, (0x30...0x3F).contains(bytes[position]) {
            let byte = bytes[position]
            if byte >= 0x3C { isSGRCandidate = false }  // private markers < = > ?
            if isSGRCandidate { sgr.feed(byte) }
            position += 1
        }
        while position < end, (0x20...0x2F).contains(bytes[position]) {
            isSGRCandidate = false
            position += 1
        }
        if position < end, (0x40...0x7E).contains(bytes[position]) {
            let final = bytes[position]
            position += 1
            if isSGRCandidate && final == UInt8(ascii: "m") {
                sgr.apply(to: &style)
                index = position
                return
            }
        }
        // Not SGR, or cut short by another byte or the end of the line: show it.
        showVerbatim(from: start, to: position)
        index = position
    }

    /// Shows an escape sequence made of ESC and printable ASCII as `^[` and the rest.
    private mutating func showVerbatim(from start: Int, to end: Int) {
        output.add(visible: "^[", style: controlStyle)
        var position = start + 1
        while position < end && !output.isDone {
            output.add(Unicode.Scalar(bytes[position]), width: 1, style: controlStyle)
            position += 1
        }
    }
}
