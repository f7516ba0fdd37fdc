// Turns the JSON object of one `@nix ` line into a `NixEvent`, or nil when it is not a well-formed event.

/// Reusable parser state: scratch buffers that survive between lines so the hot path does not allocate.
struct EventParser: Sendable {
    /// Elements of the `fields` array, kept as spans until the event type says how to read them.
    private var slots: [ScannedValue] = []
    private var scratch: [UInt8] = []

    /// Fields beyond this many are validated but not kept (no Nix result or activity has more than 4).
    static let maxFields = 16

    init() {
        slots.reserveCapacity(Self.maxFields)
        scratch.reserveCapacity(256)
    }

    private enum Action { case msg, start, stop, result }

    /// Parses the JSON text after `@nix `. Returns nil for invalid JSON, an unknown `action`, or missing
    /// required keys (msg: level+msg; start: id; stop: id; result: id+type).
    mutating func parse(_ json: UnsafeRawBufferPointer) -> NixEvent? {
        guard let raw = json.baseAddress, json.count > 0 else { return nil }
        var c = JSONCursor(base: raw.assumingMemoryBound(to: UInt8.self), count: json.count)
        slots.removeAll(keepingCapacity: true)

        var action: Action?
        var id: UInt64?
        var type: UInt64?
        var level: UInt64?
        var parent: UInt64?
        var msg: StringSpan?
        var rawMsg: StringSpan?
        var text: StringSpan?
        var file: StringSpan?
        var line: UInt64?
        var column: UInt64?
        var traceStart = -1
        var traceEnd = -1
        var fieldsOK = true

        c.skipWhitespace()
        guard c.consume(0x7B) else { return nil }
        c.skipWhitespace()
        if !c.consume(0x7D) {
            while true {
                c.skipWhitespace()
                guard let key = c.scanString() else { return nil }
                c.skipWhitespace()
                guard c.consume(0x3A) else { return nil }
                c.skipWhitespace()
                if c.keyEquals(key, "fields") {
                    if c.peek() == 0x5B {
                        guard scanFields(&c) else { return nil }
                    } else {
                        guard c.scanValue() != nil else { return nil }
                        fieldsOK = false
                    }
                } else if c.keyEquals(key, "trace") {
                    traceStart = c.index
                    guard c.scanValue() != nil else { return nil }
                    traceEnd = c.index
                } else {
                    guard let value = c.scanValue() else { return nil }
                    if c.keyEquals(key, "action") {
                        guard case .string(let s) = value else { return nil }
                        if c.keyEquals(s, "result") { action = .result }
                        else if c.keyEquals(s, "msg") { action = .msg }
                        else if c.keyEquals(s, "start") { action = .start }
                        else if c.keyEquals(s, "stop") { action = .stop }
                        else { return nil }
                    } else if c.keyEquals(key, "id") {
                        id = value.integer
                    } else if c.keyEquals(key, "type") {
                        type = value.integer
                    } else if c.keyEquals(key, "level") {
                        level = value.integer
                    } else if c.keyEquals(key, "msg") {
                        msg = value.span
                    } else if c.keyEquals(key, "raw_msg") {
                        rawMsg = value.span
                    } else if c.keyEquals(key, "text") {
                        text = value.span
                    } else if c.keyEquals(key, "parent") {
                        parent = value.integer
                    } else if c.keyEquals(key, "file") {
                        file = value.span
                    } else if c.keyEquals(key, "line") {
                        line = value.integer
                    } else if c.keyEquals(key, "column") {
                        column = value.integer
                    }
                }
                c.skipWhitespace()
                if c.consume(0x2C) { continue }
                guard c.consume(0x7D) else { return nil }
                break
            }
        }
        c.skipWhitespace()
        guard c.atEnd, let action else { return nil }
        if !fieldsOK { slots.removeAll(keepingCapacity: true) }

        switch action {
        case .result:
            guard let id, let type else { return nil }
            return .result(id: id, makeResult(type: Int(clamping: type), cursor: c))
        case .stop:
            guard let id else { return nil }
            return .stop(id: id)
        case .start:
            guard let id else { return nil }
            return .start(NixActivity(
                id: id,
                level: NixLevel(wireValue: level ?? 0),
                type: NixActivityType(rawValue: Int(clamping: type ?? 0)),
                text: text.map { c.decode($0, scratch: &scratch) } ?? "",
                fields: makeFields(cursor: c),
                parent: parent == 0 ? nil : parent))
        case .msg:
            guard let level, let msg else { return nil }
            var error: NixErrorDetails?
            if let rawMsg {
                error = NixErrorDetails(
                    rawMessage: c.decode(rawMsg, scratch: &scratch),
                    file: file.map { c.decode($0, scratch: &scratch) },
                    line: line.map { Int(clamping: $0) },
                    column: column.map { Int(clamping: $0) },
                    trace: traceStart >= 0 ? parseTrace(c, from: traceStart, to: traceEnd) : [])
            }
            return .message(NixMessage(level: NixLevel(wireValue: level), text: c.decode(msg, scratch: &scratch), error: error))
        }
    }

    private mutating func scanFields(_ c: inout JSONCursor) -> Bool {
        guard c.consume(0x5B) else { return false }
        c.skipWhitespace()
        if c.consume(0x5D) { return true }
        while true {
            c.skipWhitespace()
            guard let value = c.scanValue(depth: 1) else { return false }
            if slots.count < Self.maxFields { slots.append(value) }
            c.skipWhitespace()
            if c.consume(0x2C) { continue }
            return c.consume(0x5D)
        }
    }

    private mutating func string(at i: Int, _ c: JSONCursor) -> String? {
        guard i < slots.count, case .string(let s) = slots[i] else { return nil }
        return c.decode(s, scratch: &scratch)
    }

    private func integer(at i: Int) -> Int? {
        guard i < slots.count, case .integer(let n) = slots[i] else { return nil }
        return Int(clamping: n)
    }

    private mutating func makeFields(cursor c: JSONCursor) -> [NixField] {
        if slots.isEmpty { return [] }
        var fields: [NixField] = []
        fields.reserveCapacity(slots.count)
        for slot in slots {
            switch slot {
            case .string(let s): fields.append(.string(c.decode(s, scratch: &scratch)))
            case .integer(let n): fields.append(.integer(n))
            case .null, .other: fields.append(.other)
            }
        }
        return fields
    }

    private mutating func makeResult(type: Int, cursor c: JSONCursor) -> NixResult {
        let typed: NixResult?
        switch type {
        case 101: typed = string(at: 0, c).map { .buildLogLine($0) }
        case 107: typed = string(at: 0, c).map { .postBuildLogLine($0) }
        case 105:
            if let done = integer(at: 0), let expected = integer(at: 1), let running = integer(at: 2), let failed = integer(at: 3) {
                typed = .progress(NixProgress(done: done, expected: expected, running: running, failed: failed))
            } else { typed = nil }
        case 106:
            if let t = integer(at: 0), let expected = integer(at: 1) {
                typed = .setExpected(activityType: NixActivityType(rawValue: t), expected: expected)
            } else { typed = nil }
        case 104: typed = string(at: 0, c).map { .setPhase($0) }
        case 100:
            if let bytes = integer(at: 0) { typed = .fileLinked(bytes: bytes, blocks: integer(at: 1) ?? 0) } else { typed = nil }
        case 102: typed = string(at: 0, c).map { .untrustedPath($0) }
        case 103: typed = string(at: 0, c).map { .corruptedPath($0) }
        case 108: typed = string(at: 0, c).map { .fetchStatus($0) }
        default: typed = nil
        }
        return typed ?? .other(type: type, fields: makeFields(cursor: c))
    }

    /// Reads an already-validated `trace` array: frames are objects with `raw_msg` (or `msg`) and a
    /// position either flat or in `pos`; a bare string is taken as the message.
    private mutating func parseTrace(_ outer: JSONCursor, from start: Int, to end: Int) -> [NixTraceFrame] {
        var c = JSONCursor(base: outer.base + start, count: end - start)
        guard c.consume(0x5B) else { return [] }
        var frames: [NixTraceFrame] = []
        c.skipWhitespace()
        if c.consume(0x5D) { return [] }
        while !c.atEnd {
            c.skipWhitespace()
            if c.peek() == 0x7B {
                var frame = NixTraceFrame(message: "")
                var message: String?
                readPositionObject(&c, into: &frame, message: &message)
                frame.message = message ?? ""
                frames.append(frame)
            } else if let value = c.scanValue(depth: 1) {
                if case .string(let s) = value { frames.append(NixTraceFrame(message: c.decode(s, scratch: &scratch))) }
            } else {
                break
            }
            c.skipWhitespace()
            if !c.consume(0x2C) { break }
        }
        return frames
    }

    private mutating func readPositionObject(_ c: inout JSONCursor, into frame: inout NixTraceFrame, message: inout String?) {
        guard c.consume(0x7B) else { return }
        while !c.atEnd {
            c.skipWhitespace()
            if c.consume(0x7D) { return }
            guard let key = c.scanString() else { return }
            c.skipWhitespace()
            _ = c.consume(0x3A)
            c.skipWhitespace()
            if c.keyEquals(key, "pos"), c.peek() == 0x7B {
                var ignored: String?
                readPositionObject(&c, into: &frame, message: &ignored)
            } else {
                guard let value = c.scanValue(depth: 2) else { return }
                if c.keyEquals(key, "raw_msg"), let s = value.span {
                    message = c.decode(s, scratch: &scratch)
                } else if c.keyEquals(key, "msg"), message == nil, let s = value.span {
                    message = c.decode(s, scratch: &scratch)
                } else if c.keyEquals(key, "file"), let s = value.span {
                    frame.file = c.decode(s, scratch: &scratch)
                } else if c.keyEquals(key, "line"), let n = value.integer {
                    frame.line = Int(clamping: n)
                } else if c.keyEquals(key, "column"), let n = value.integer {
                    frame.column = Int(clamping: n)
                }
            }
            c.skipWhitespace()
            _ = c.consume(0x2C)
        }
    }
}

extension ScannedValue {
    var integer: UInt64? { if case .integer(let n) = self { n } else { nil } }
    var span: StringSpan? { if case .string(let s) = self { s } else { nil } }
}

extension NixEvent {
    /// Parses one log line (with or without its `@nix ` prefix and trailing newline); nil when the
    /// line is not a well-formed event. Convenience for tests and tools; the decoder has its own fast path.
    public init?(line: some Collection<UInt8>) {
        var bytes = Array(line)
        if bytes.last == 0x0A { bytes.removeLast() }
        let prefix: [UInt8] = Array("@nix ".utf8)
        if bytes.starts(with: prefix) { bytes.removeFirst(prefix.count) }
        var parser = EventParser()
        guard let event = bytes.withUnsafeBytes({ parser.parse($0) }) else { return nil }
        self = event
    }
}
