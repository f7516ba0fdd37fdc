// Splits a nix process' stderr into lines across arbitrary chunk boundaries and folds `@nix` events.

/// What the engine must store for one line of a nix process' stderr.
public enum NixLogOutput: Sendable, Equatable {
    /// A line that is not a well-formed `@nix` event, as its raw bytes without the newline
    /// (cut to `maxLineBytes`); it belongs to the task's stderr as-is (the engine appends "\n").
    case plainLine([UInt8])
    /// A build log line (result 101) or post-build hook line (107), ANSI escapes kept, with the
    /// `.drv` path of the activity it belongs to (nil when that activity is unknown).
    case buildLogLine(derivation: String?, text: String)
}

/// Incremental decoder: splits lines across arbitrary chunk boundaries, parses `@nix {json}` lines,
/// folds them into `state`.
///
/// Lines longer than `maxLineBytes` are cut: only their first `maxLineBytes` are parsed and kept, and
/// `state.truncatedLines` counts them. A cut build log line (`{"action":"result","fields":["..."],"id":N,
/// "type":101}` as Nix writes it) is still recognised from its head and its last bytes and is emitted
/// as a build log line with its text cut; any other cut `@nix` line becomes a (cut) plain line.
public struct NixLogDecoder: Sendable {
    /// Longest line parsed or kept, in bytes.
    public let maxLineBytes: Int
    public private(set) var state = NixProcessState()

    /// Bytes of the current, unfinished line (at most `maxLineBytes`).
    private var pending: [UInt8] = []
    /// The current line went past `maxLineBytes`.
    private var pendingTruncated = false
    /// The last bytes of an over-long line, to recognise how a cut build log line ends.
    private var tail: [UInt8] = []
    private var parser = EventParser()

    private static let tailBytes = 64

    public init(maxLineBytes: Int = 64 * 1024) {
        self.maxLineBytes = max(maxLineBytes, 256)
        pending.reserveCapacity(4096)
    }

    /// The engine's current time (seconds); stamped onto derivation starts/ends. Nil by default.
    public var clock: Double? {
        get { state.clock }
        set { state.clock = newValue }
    }

    /// Feed raw bytes. `emit` receives, in order, what the engine must store: plain stderr lines
    /// (non-@nix lines, and @nix lines that are not well-formed events, as their raw bytes WITHOUT the
    /// trailing newline) and build log lines attributed to their derivation.
    public mutating func feed(_ bytes: UnsafeRawBufferPointer, emit: (NixLogOutput) -> Void) {
        guard let base = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return }
        let count = bytes.count
        var start = 0
        while start < count, let newline = findNewline(base, from: start, count: count) {
            let length = newline - start
            if pending.isEmpty && !pendingTruncated {
                // The whole line is in this chunk: parse it in place, no copy.
                if length <= maxLineBytes {
                    handleLine(UnsafeRawBufferPointer(start: base + start, count: length), truncated: false, emit)
                } else {
                    keepTail(base + newline - Self.tailBytes, Self.tailBytes, reset: true)
                    handleLine(UnsafeRawBufferPointer(start: base + start, count: maxLineBytes), truncated: true, emit)
                }
            } else {
                appendPending(base + start, length)
                flushPending(emit)
            }
            start = newline + 1
        }
        if start < count { appendPending(base + start, count - start) }
    }

    /// End of stream: a final line without newline still counts, and every derivation gets its
    /// final outcome (a build still running was interrupted, a planned one was not built).
    public mutating func finish(emit: (NixLogOutput) -> Void) {
        if !pending.isEmpty || pendingTruncated { flushPending(emit) }
        state.endOfStream()
    }

    private mutating func appendPending(_ p: UnsafePointer<UInt8>, _ count: Int) {
        let room = maxLineBytes - pending.count
        if count <= room {
            pending.append(contentsOf: UnsafeBufferPointer(start: p, count: count))
            return
        }
        if room > 0 { pending.append(contentsOf: UnsafeBufferPointer(start: p, count: room)) }
        let overflow = count - max(room, 0)
        let keep = min(overflow, Self.tailBytes)
        if !pendingTruncated {
            // The line's last bytes may start inside what was kept as its head.
            tail.removeAll(keepingCapacity: true)
            tail.append(contentsOf: pending.suffix(Self.tailBytes))
        }
        keepTail(p + count - keep, keep, reset: false)
        pendingTruncated = true
    }

    private mutating func keepTail(_ p: UnsafePointer<UInt8>, _ count: Int, reset: Bool) {
        if reset { tail.removeAll(keepingCapacity: true) }
        tail.append(contentsOf: UnsafeBufferPointer(start: p, count: count))
        if tail.count > Self.tailBytes { tail.removeFirst(tail.count - Self.tailBytes) }
    }

    private mutating func flushPending(_ emit: (NixLogOutput) -> Void) {
        // Swap the buffer out so `handleLine` may mutate self while reading it; swapping back keeps its capacity.
        var line: [UInt8] = []
        swap(&line, &pending)
        let truncated = pendingTruncated
        line.withUnsafeBytes { handleLine($0, truncated: truncated, emit) }
        line.removeAll(keepingCapacity: true)
        swap(&line, &pending)
        pendingTruncated = false
    }

    private mutating func handleLine(_ line: UnsafeRawBufferPointer, truncated: Bool, _ emit: (NixLogOutput) -> Void) {
        if hasNixPrefix(line) {
            let json = UnsafeRawBufferPointer(rebasing: line[5...])
            if !truncated, let event = parser.parse(json) {
                fold(event, emit)
                return
            }
            if truncated, let event = recoverCutLogLine(json) {
                state.countTruncatedEvent()
                fold(event, emit)
                return
            }
        }
        state.countOtherLine(truncated: truncated)
        emit(.plainLine(Array(line)))
    }

    private mutating func fold(_ event: NixEvent, _ emit: (NixLogOutput) -> Void) {
        if case .result(let id, let result) = event {
            switch result {
            case .buildLogLine(let text), .postBuildLogLine(let text):
                state.apply(event)
                emit(.buildLogLine(derivation: state.runningActivities[id]?.derivationPath, text: text))
                return
            default:
                break
            }
        }
        state.apply(event)
    }

    /// Rebuilds a build log event from the head of a cut line and the tail kept from its end, for the
    /// exact shape Nix writes (keys sorted): `{"action":"result","fields":["TEXT"],"id":N,"type":T}`.
    private mutating func recoverCutLogLine(_ head: UnsafeRawBufferPointer) -> NixEvent? {
        let prefix: StaticString = #"{"action":"result","fields":[""#
        let n = prefix.utf8CodeUnitCount
        guard head.count > n, memoryEquals(head, prefix) else { return nil }
        guard let (id, type) = parseCutLineTail(tail), type == 101 || type == 107 else { return nil }
        let base = head.baseAddress!.assumingMemoryBound(to: UInt8.self)
        // Keep the text up to the last complete character or escape; a quote here means the line was not one long string.
        var i = n
        var escaped = false
        var end = n
        while i < head.count {
            let b = base[i]
            if b == 0x22 { return nil }
            if b == 0x5C {
                let width = i + 1 < head.count && base[i + 1] == 0x75 ? 6 : 2
                guard i + width <= head.count else { break }
                escaped = true
                i += width
            } else {
                i += 1
            }
            end = i
        }
        let cursor = JSONCursor(base: base, count: head.count)
        var scratch: [UInt8] = []
        let text = cursor.decode(StringSpan(start: n, end: end, escaped: escaped), scratch: &scratch)
        return .result(id: id, type == 101 ? .buildLogLine(text) : .postBuildLogLine(text))
    }
}

/// Reads `..."],"id":N,"type":T}` at the end of a cut build log line.
private func parseCutLineTail(_ tail: [UInt8]) -> (UInt64, Int)? {
    var bytes = tail[...]
    while let last = bytes.last, last == 0x20 || last == 0x0D || last == 0x09 { bytes.removeLast() }
    guard bytes.last == 0x7D else { return nil }
    bytes.removeLast()
    func number(after key: String) -> UInt64? {
        let keyBytes = Array(key.utf8)
        guard let digitsStart = bytes.lastRange(of: keyBytes)?.upperBound else { return nil }
        var value: UInt64 = 0
        var i = digitsStart
        while i < bytes.endIndex, (0x30...0x39).contains(bytes[i]) {
            let (m, o1) = value.multipliedReportingOverflow(by: 10)
            let (s, o2) = m.addingReportingOverflow(UInt64(bytes[i] - 0x30))
            if o1 || o2 { return nil }
            value = s
            i += 1
        }
        return i > digitsStart ? value : nil
    }
    guard bytes.lastRange(of: Array(#""],"id":"#.utf8)) != nil,
          let id = number(after: #""id":"#), let type = number(after: #""type":"#) else { return nil }
    return (id, Int(clamping: type))
}

extension ArraySlice where Element == UInt8 {
    fileprivate func lastRange(of needle: [UInt8]) -> Range<Int>? {
        guard count >= needle.count else { return nil }
        var start = endIndex - needle.count
        while start >= startIndex {
            if self[start..<start + needle.count].elementsEqual(needle) { return start..<start + needle.count }
            start -= 1
        }
        return nil
    }
}

@inline(__always)
private func hasNixPrefix(_ line: UnsafeRawBufferPointer) -> Bool {
    line.count >= 5 && line[0] == 0x40 && line[1] == 0x6E && line[2] == 0x69 && line[3] == 0x78 && line[4] == 0x20
}

private func memoryEquals(_ bytes: UnsafeRawBufferPointer, _ text: StaticString) -> Bool {
    let n = text.utf8CodeUnitCount
    guard bytes.count >= n else { return false }
    let p = text.utf8Start
    for k in 0..<n where bytes[k] != p[k] { return false }
    return true
}

/// Index of the first "\n" in `p[from..<count]`, eight bytes at a time.
@inline(__always)
private func findNewline(_ p: UnsafePointer<UInt8>, from: Int, count: Int) -> Int? {
    var i = from
    #if _endian(little)
    let raw = UnsafeRawPointer(p)
    while i + 8 <= count {
        let word = raw.loadUnaligned(fromByteOffset: i, as: UInt64.self) ^ 0x0A0A_0A0A_0A0A_0A0A
        // Sets the high bit of each zero byte (exact for the lowest one, which is all we need).
        let zeros = (word &- 0x0101_0101_0101_0101) & ~word & 0x8080_8080_8080_8080
        if zeros != 0 { return i + zeros.trailingZeroBitCount >> 3 }
        i += 8
    }
    #endif
    while i < count {
        if p[i] == 0x0A { return i }
        i += 1
    }
    return nil
}
