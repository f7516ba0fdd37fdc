// A minimal JSON reader over raw bytes: validates what it skips, extracts only what the event parser asks for.

/// Byte range of a JSON string's contents (between the quotes) and whether it holds escapes.
struct StringSpan {
    var start: Int
    var end: Int
    var escaped: Bool
}

/// A scanned JSON value, reduced to what Nix events need.
enum ScannedValue {
    case string(StringSpan)
    /// A non-negative integer that fits in UInt64.
    case integer(UInt64)
    case null
    /// Any other valid value (negative/fractional/huge numbers, booleans, arrays, objects).
    case other
}

/// Reads JSON from `base[0..<count]`. Every method returns nil (or false) on malformed input; callers
/// then give up on the whole line, which becomes a plain stderr line.
struct JSONCursor {
    let base: UnsafePointer<UInt8>
    let count: Int
    var index = 0

    /// Nesting limit for skipped values, so `[[[[...` garbage cannot exhaust the stack.
    static let maxDepth = 128

    init(base: UnsafePointer<UInt8>, count: Int) {
        self.base = base
        self.count = count
    }

    var atEnd: Bool { index >= count }

    @inline(__always)
    mutating func skipWhitespace() {
        while index < count {
            let b = base[index]
            guard b == 0x20 || b == 0x0A || b == 0x0D || b == 0x09 else { return }
            index += 1
        }
    }

    @inline(__always)
    mutating func consume(_ byte: UInt8) -> Bool {
        guard index < count, base[index] == byte else { return false }
        index += 1
        return true
    }

    @inline(__always)
    func peek() -> UInt8? { index < count ? base[index] : nil }

    /// Scans a string starting at its opening quote; the cursor ends after the closing quote.
    mutating func scanString() -> StringSpan? {
        guard consume(0x22) else { return nil }
        let start = index
        var escaped = false
        while index < count {
            let b = base[index]
            if b == 0x22 {
                let span = StringSpan(start: start, end: index, escaped: escaped)
                index += 1
                return span
            }
            if b == 0x5C {
                escaped = true
                index += 1
                guard index < count else { return nil }
                switch base[index] {
                case 0x22, 0x5C, 0x2F, 0x62, 0x66, 0x6E, 0x72, 0x74:
                    index += 1
                case 0x75:
                    guard index + 4 < count else { return nil }
                    for k in 1...4 where hexValue(base[index + k]) == nil { return nil }
                    index += 5
                default:
                    return nil
                }
            } else if b < 0x20 {
                return nil
            } else {
                index += 1
            }
        }
        return nil
    }

    /// Scans a number per the JSON grammar; returns `.integer` when it is a non-negative integer fitting UInt64.
    mutating func scanNumber() -> ScannedValue? {
        var negative = false
        if consume(0x2D) { negative = true }
        guard let first = peek(), first >= 0x30, first <= 0x39 else { return nil }
        var value: UInt64 = 0
        var overflow = false
        if first == 0x30 {
            index += 1
        } else {
            while let b = peek(), b >= 0x30, b <= 0x39 {
                let (m, o1) = value.multipliedReportingOverflow(by: 10)
                let (s, o2) = m.addingReportingOverflow(UInt64(b &- 0x30))
                overflow = overflow || o1 || o2
                value = s
                index += 1
            }
        }
        var integral = true
        if consume(0x2E) {
            integral = false
            guard skipDigits() else { return nil }
        }
        if let e = peek(), e == 0x65 || e == 0x45 {
            integral = false
            index += 1
            if let s = peek(), s == 0x2B || s == 0x2D { index += 1 }
            guard skipDigits() else { return nil }
        }
        return integral && !negative && !overflow ? .integer(value) : .other
    }

    private mutating func skipDigits() -> Bool {
        let start = index
        while let b = peek(), b >= 0x30, b <= 0x39 { index += 1 }
        return index > start
    }

    private mutating func literal(_ text: StaticString) -> Bool {
        let n = text.utf8CodeUnitCount
        guard index + n <= count else { return false }
        let p = text.utf8Start
        for k in 0..<n where base[index + k] != p[k] { return false }
        index += n
        return true
    }

    /// Scans any value; strings and integers are reported, the rest validated and skipped.
    mutating func scanValue(depth: Int = 0) -> ScannedValue? {
        guard let b = peek() else { return nil }
        switch b {
        case 0x22:
            return scanString().map { .string($0) }
        case 0x2D, 0x30...0x39:
            return scanNumber()
        case 0x6E:
            return literal("null") ? .null : nil
        case 0x74:
            return literal("true") ? .other : nil
        case 0x66:
            return literal("false") ? .other : nil
        case 0x5B:
            return skipArray(depth: depth) ? .other : nil
        case 0x7B:
            return skipObject(depth: depth) ? .other : nil
        default:
            return nil
        }
    }

    mutating func skipArray(depth: Int) -> Bool {
        guard depth < Self.maxDepth, consume(0x5B) else { return false }
        skipWhitespace()
        if consume(0x5D) { return true }
        while true {
            skipWhitespace()
            guard scanValue(depth: depth + 1) != nil else { return false }
            skipWhitespace()
            if consume(0x2C) { continue }
            return consume(0x5D)
        }
    }

    mutating func skipObject(depth: Int) -> Bool {
        guard depth < Self.maxDepth, consume(0x7B) else { return false }
        skipWhitespace()
        if consume(0x7D) { return true }
        while true {
            skipWhitespace()
            guard scanString() != nil else { return false }
            skipWhitespace()
            guard consume(0x3A) else { return false }
            skipWhitespace()
            guard scanValue(depth: depth + 1) != nil else { return false }
            skipWhitespace()
            if consume(0x2C) { continue }
            return consume(0x7D)
        }
    }

    /// Whether the bytes of `span` are exactly `key` (keys with escapes never match: Nix writes none).
    @inline(__always)
    func keyEquals(_ span: StringSpan, _ key: StaticString) -> Bool {
        let n = key.utf8CodeUnitCount
        guard !span.escaped, span.end - span.start == n else { return false }
        let p = key.utf8Start
        for k in 0..<n where base[span.start + k] != p[k] { return false }
        return true
    }

    /// Decodes a string span: escapes resolved, invalid UTF-8 and lone surrogates become U+FFFD.
    /// `scratch` is reused across calls so escaped strings cost no extra allocation beyond the result.
    func decode(_ span: StringSpan, scratch: inout [UInt8]) -> String {
        if !span.escaped {
            return String(decoding: UnsafeBufferPointer(start: base + span.start, count: span.end - span.start), as: UTF8.self)
        }
        scratch.removeAll(keepingCapacity: true)
        var i = span.start
        while i < span.end {
            let b = base[i]
            guard b == 0x5C else {
                scratch.append(b)
                i += 1
                continue
            }
            let e = base[i + 1]
            i += 2
            switch e {
            case 0x62: scratch.append(0x08)
            case 0x66: scratch.append(0x0C)
            case 0x6E: scratch.append(0x0A)
            case 0x72: scratch.append(0x0D)
            case 0x74: scratch.append(0x09)
            case 0x75:
                var scalar = hex4(at: i)
                i += 4
                if (0xD800...0xDBFF).contains(scalar), i + 6 <= span.end, base[i] == 0x5C, base[i + 1] == 0x75 {
                    let low = hex4(at: i + 2)
                    if (0xDC00...0xDFFF).contains(low) {
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                        i += 6
                    }
                }
                appendUTF8(Unicode.Scalar(scalar) ?? "\u{FFFD}", to: &scratch)
            default: scratch.append(e)  // \" \\ \/
            }
        }
        return String(decoding: scratch, as: UTF8.self)
    }

    private func hex4(at i: Int) -> UInt32 {
        var v: UInt32 = 0
        for k in 0..<4 { v = v << 4 | UInt32(hexValue(base[i + k]) ?? 0) }
        return v
    }
}

@inline(__always)
private func hexValue(_ b: UInt8) -> UInt8? {
    switch b {
    case 0x30...0x39: b - 0x30
    case 0x41...0x46: b - 0x41 + 10
    case 0x61...0x66: b - 0x61 + 10
    default: nil
    }
}

private func appendUTF8(_ scalar: Unicode.Scalar, to bytes: inout [UInt8]) {
    let v = scalar.value
    switch v {
    case 0..<0x80:
        bytes.append(UInt8(v))
    case 0x80..<0x800:
        bytes.append(UInt8(0xC0 | v >> 6))
        bytes.append(UInt8(0x80 | v & 0x3F))
    case 0x800..<0x10000:
        bytes.append(UInt8(0xE0 | v >> 12))
        bytes.append(UInt8(0x80 | v >> 6 & 0x3F))
        bytes.append(UInt8(0x80 | v & 0x3F))
    default:
        bytes.append(UInt8(0xF0 | v >> 18))
        bytes.append(UInt8(0x80 | v >> 12 & 0x3F))
        bytes.append(UInt8(0x80 | v >> 6 & 0x3F))
        bytes.append(UInt8(0x80 | v & 0x3F))
    }
}
