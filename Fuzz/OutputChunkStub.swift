// `OutputChunk` as Sources/TaskEngine/Store/TaskStore+Output.swift defines it, so StreamBuffer can be
// compiled for fuzzing without the store and GRDB. Keep the two in step.
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
