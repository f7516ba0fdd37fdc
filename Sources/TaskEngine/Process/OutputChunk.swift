/// A piece of one output stream, cut at a line end where possible; `firstLine` counts the newlines before it.
public struct OutputChunk: Sendable {
    public var stream: OutputStreamName
    public var firstLine: Int64
    public var newlineCount: Int64
    public var bytes: [UInt8]

    public init(stream: OutputStreamName, firstLine: Int64, newlineCount: Int64, bytes: [UInt8]) {
        self.stream = stream
        self.firstLine = firstLine
        self.newlineCount = newlineCount
        self.bytes = bytes
    }
}
