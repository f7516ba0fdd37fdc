import Foundation

/// A piece of one output stream, cut at a line end where possible; `firstLine` counts the newlines before it.
public struct OutputChunk: Sendable {
    public var stream: OutputStreamName
    public var firstLine: Int64
    public var newlineCount: Int64
    public var bytes: [UInt8]
    /// When the chunk's first byte arrived (wall clock): the time of every line that starts in it.
    /// Nil only for chunks stored before times were kept.
    public var arrivedAt: Date?

    public init(stream: OutputStreamName, firstLine: Int64, newlineCount: Int64, bytes: [UInt8], arrivedAt: Date? = nil) {
        self.stream = stream
        self.firstLine = firstLine
        self.newlineCount = newlineCount
        self.bytes = bytes
        self.arrivedAt = arrivedAt
    }
}
