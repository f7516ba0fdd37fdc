import Foundation
import Logging
import Synchronization

/// A swift-log handler that appends lines to the state directory's log file (never the terminal,
/// which belongs to the dashboard), optionally also to stderr (for `serve`).
public struct FileLogHandler: LogHandler {
    private let sink: LogSink
    public var logLevel: Logger.Level = .info
    public var metadata: Logger.Metadata = [:]
    private let label: String

    public init(label: String, sink: LogSink) {
        self.label = label
        self.sink = sink
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var merged = metadata
        for (key, value) in event.metadata ?? [:] { merged[key] = value }
        let fields = merged.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        let stamp = ISO8601DateFormatter.string(from: Date(), timeZone: .gmt, formatOptions: [.withInternetDateTime, .withFractionalSeconds])
        sink.write("\(stamp) \(event.level) \(label): \(event.message)\(fields.isEmpty ? "" : " " + fields)\n")
    }
}

/// The open log file, shared by every logger of the process.
public final class LogSink: Sendable {
    private let fd: Int32
    private let alsoStderr: Bool
    private let lock = Mutex(())

    /// Opens `path` for appending (0600); if it cannot be opened, logging goes nowhere rather than to the terminal.
    public init(path: String, alsoStderr: Bool = false) {
        fd = openInStateDirectory(path, O_WRONLY | O_APPEND | O_CREAT)
        self.alsoStderr = alsoStderr
    }

    func write(_ line: String) {
        lock.withLock { _ in
            var bytes = Array(line.utf8)
            if fd >= 0 { _ = Foundation.write(fd, &bytes, bytes.count) }
            if alsoStderr { _ = Foundation.write(2, &bytes, bytes.count) }
        }
    }

    deinit { if fd >= 0 { close(fd) } }

    /// Routes every swift-log logger of this process to this sink (call once, early).
    public func bootstrap(level: Logger.Level = .info) {
        LoggingSystem.bootstrap { label in
            var handler = FileLogHandler(label: label, sink: self)
            handler.logLevel = level
            return handler
        }
    }
}
