import Foundation

/// A piece of one output stream, cut at a line end where possible; `firstLine` counts the newlines before it.
public struct OutputChunk: Sendable {
    public var stream: OutputStreamName
    public var firstLine: Int64
    public var newlineCount: Int64
    public var bytes: [UInt8]
    /// When the chunk's first byte arrived (wall clock): the time of the lines that start in it up to
    /// the first of `laterLineTimes`. Nil only for chunks stored before times were kept.
    public var arrivedAt: Date?
    /// Lines of the chunk that arrived later (a quiet stream's batch spans seconds): from each line on
    /// (counted from `firstLine`, ascending, > 0) the time is this one.
    public var laterLineTimes: [LineTime] = []

    public init(stream: OutputStreamName, firstLine: Int64, newlineCount: Int64, bytes: [UInt8], arrivedAt: Date? = nil) {
        self.stream = stream
        self.firstLine = firstLine
        self.newlineCount = newlineCount
        self.bytes = bytes
        self.arrivedAt = arrivedAt
    }
}

/// From line `line` (relative to its chunk's first line) on, lines arrived at `at`.
public struct LineTime: Sendable, Equatable {
    public var line: Int64
    public var at: Date

    public init(line: Int64, at: Date) {
        self.line = line
        self.at = at
    }

    /// The time of the line `line` lines after a chunk's first: `arrivedAt` or the last later time at or before it.
    public static func time(ofLine line: Int64, arrivedAt: Date?, later: [LineTime]) -> Date? {
        var time = arrivedAt
        for entry in later {
            guard entry.line <= line else { break }
            time = entry.at
        }
        return time
    }

    /// The stored form of `later`: per entry the line (UInt32) and the milliseconds after `arrivedAt`
    /// (UInt32), little-endian; nil when there is none (the usual, busy case).
    public static func encode(_ later: [LineTime], after arrivedAt: Date?) -> [UInt8]? {
        guard let arrivedAt, !later.isEmpty else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(later.count * 8)
        for entry in later {
            let line = UInt32(clamping: entry.line)
            let millis = UInt32(clamping: Int64((entry.at.timeIntervalSince(arrivedAt) * 1000).rounded()))
            withUnsafeBytes(of: line.littleEndian) { bytes += $0 }
            withUnsafeBytes(of: millis.littleEndian) { bytes += $0 }
        }
        return bytes
    }

    /// Reads `encode`'s form back; a damaged blob gives the entries that are whole.
    public static func decode(_ bytes: [UInt8]?, after arrivedAt: Date?) -> [LineTime] {
        guard let bytes, let arrivedAt else { return [] }
        var result: [LineTime] = []
        var offset = 0
        while offset + 8 <= bytes.count {
            func word(_ at: Int) -> UInt32 {
                UInt32(bytes[at]) | UInt32(bytes[at + 1]) << 8 | UInt32(bytes[at + 2]) << 16 | UInt32(bytes[at + 3]) << 24
            }
            result.append(LineTime(line: Int64(word(offset)), at: arrivedAt.addingTimeInterval(Double(word(offset + 4)) / 1000)))
            offset += 8
        }
        return result
    }
}
