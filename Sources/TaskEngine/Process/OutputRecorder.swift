import Foundation
import Logging
import NixLog

/// Turns a process' raw output into stored chunks: batches appends (every 25 ms under load, up to 4 s
/// for a trickle, at most 1 MiB),
/// routes stderr through NixLog for `nix` processes, and keeps only bounded summaries in memory.
///
/// `@unchecked Sendable`: it is used only on its pump's thread while the process runs, and read by
/// the runner after the pump has finished (the pump's completion lock orders the two).
final class OutputRecorder: @unchecked Sendable {
    private let captureLimit: Int

    private var stdout = StreamBuffer(name: .stdout)
    private var stderr = StreamBuffer(name: .stderr)
    private var buildLogs: [String: StreamBuffer] = [:]
    private var nixDecoder: NixLogDecoder?
    private var lastNixSnapshot = ContinuousClock.now
    private var nixStateChanged = false
    /// When the oldest byte or Nix state change not yet written arrived: batches wait for more output
    /// while the rate is low (see `isDue`).
    private var pendingSince: ContinuousClock.Instant?
    /// What the process row and task row hold: an unchanged snapshot or progress is not written again.
    private var writtenNixJSON: String?
    private var writtenProgress: String?
    /// When the pipe read being handled arrived: the time of the lines the Nix decoder routes from it.
    private var receivedAt = Date()

    /// The end of what went to stderr (without @nix lines), for failure reasons.
    private var stderrTail: [UInt8] = []
    private(set) var capturedStdout: [UInt8] = []
    private(set) var stdoutTruncated = false

    /// Writes the batches in order, off the pump's thread, and rides out a store that fails for a while.
    private let writer: OutputWriter
    /// Set by `finish`: what could not be stored even after retrying (the store kept failing), in words.
    private(set) var storeProblem: String?

    static let flushInterval = Duration.milliseconds(25)
    static let flushBytes = 1 << 20
    /// Under load (at least this much waiting after `flushInterval`) batches go every 25 ms, as before.
    static let busyBytes = 4096
    /// Small output waits up to this long: every batch rewrites a few 4 KiB pages (the output table's
    /// last leaf, its index, the process row), so a trickle of lines written every 25 ms cost ~100x its
    /// size on disk (issue 15). A quiet batch costs three pages (output leaf, its index, the process
    /// row: ~12.4 KB of WAL); at 3 s that was 4.9 KB/s over a 2-minute task, above the 4 KB/s budget;
    /// 4 s keeps it under (docs/performance.md). Each line keeps its own arrival time regardless.
    static let quietInterval = Duration.seconds(4)
    static let nixSnapshotInterval = Duration.milliseconds(250)

    init(store: TaskStore, taskID: UUID, processIndex: Int, parsesNixLog: Bool, captureLimit: Int,
         logger: Logger? = nil, onBatch: @escaping @Sendable () -> Void) {
        self.captureLimit = captureLimit
        self.writer = OutputWriter(store: store, taskID: taskID, processIndex: processIndex, logger: logger, onBatch: onBatch)
        self.nixDecoder = parsesNixLog ? NixLogDecoder() : nil
    }

    var nixState: NixProcessState? { nixDecoder?.state }

    func receive(_ stream: OutputPump.Stream, _ bytes: UnsafeRawBufferPointer) {
        // One clock read per pipe read: the time of the lines that start in it (StreamBuffer's segments).
        let now = Date()
        receivedAt = now
        switch stream {
        case .stdout:
            if capturedStdout.count < captureLimit {
                let take = min(captureLimit - capturedStdout.count, bytes.count)
                capturedStdout.append(contentsOf: bytes[0..<take])
                if take < bytes.count { stdoutTruncated = true }
            } else if captureLimit > 0 {
                stdoutTruncated = true
            }
            stdout.append(bytes, at: now)
            if pendingSince == nil { pendingSince = .now }
        case .stderr:
            if pendingSince == nil { pendingSince = .now }
            if nixDecoder != nil {
                // Nix's events carry no times: stamp them as they arrive (derivation start/end, for estimates).
                nixDecoder!.clock = now.timeIntervalSince1970
                nixDecoder!.feed(bytes) { output in route(output) }
                nixStateChanged = true
            } else {
                stderr.append(bytes, at: now)
                keepTail(bytes)
            }
        }
        if pendingBytes >= Self.flushBytes { flush(final: false) }
    }

    func tick() {
        if isDue { flush(final: false) }
        writer.retryIfDue()
    }

    /// Whether the waiting output is worth a batch: after 25 ms when it is at least `busyBytes` (a
    /// busy child: the dashboard's lag stays as it was), else once it waited `quietInterval`.
    private var isDue: Bool {
        guard let pendingSince else { return false }
        let waited = ContinuousClock.now - pendingSince
        return waited >= Self.quietInterval || (waited >= Self.flushInterval && pendingBytes >= Self.busyBytes)
    }

    func finish() {
        receivedAt = Date()
        if nixDecoder != nil {
            nixDecoder!.finish { output in route(output) }
            nixStateChanged = true
        }
        flush(final: true)
        storeProblem = writer.finish()
    }

    private func route(_ output: NixLogOutput) {
        switch output {
        case .plainLine(let line):
            stderr.appendLine(line, at: receivedAt)
            keepTail(line)
            stderrTail.append(10)
        case .buildLogLine(let derivation, let text):
            let key = derivation ?? ""
            if buildLogs[key] == nil { buildLogs[key] = StreamBuffer(name: .buildLog(derivation)) }
            buildLogs[key]!.appendLine(text.utf8, at: receivedAt)
        }
    }

    private func keepTail<C: Collection>(_ bytes: C) where C.Element == UInt8 {
        stderrTail.append(contentsOf: bytes.suffix(4096))
        if stderrTail.count > 8192 { stderrTail.removeFirst(stderrTail.count - 4096) }
    }

    /// The last non-empty line written to stderr, if any.
    var lastStderrLine: String? {
        let lines = stderrTail.split(separator: 10).map { String(decoding: $0, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) }
        return lines.last(where: { !$0.isEmpty }).map { $0.count > 300 ? String($0.prefix(300)) + "…" : $0 }
    }

    private var pendingBytes: Int {
        stdout.byteCount + stderr.byteCount + buildLogs.values.reduce(0) { $0 + $1.byteCount }
    }

    private func flush(final: Bool) {
        let now = ContinuousClock.now
        pendingSince = nil
        var chunks: [OutputChunk] = []
        if let chunk = stdout.takeChunk(final: final) { chunks.append(chunk) }
        if let chunk = stderr.takeChunk(final: final) { chunks.append(chunk) }
        for key in buildLogs.keys {
            if let chunk = buildLogs[key]!.takeChunk(final: final) { chunks.append(chunk) }
        }
        var nixJSON: String?
        var progress: String?
        if let state = nixDecoder?.state, nixStateChanged, final || now - lastNixSnapshot >= Self.nixSnapshotInterval {
            nixJSON = NixStateSnapshot.encode(state)
            progress = NixStateSnapshot.progressLine(state)
            lastNixSnapshot = now
            nixStateChanged = false
            if nixJSON == writtenNixJSON { nixJSON = nil } else { writtenNixJSON = nixJSON }
            if progress == writtenProgress { progress = nil } else { writtenProgress = progress }
        } else if nixStateChanged {
            pendingSince = now  // the snapshot waits for the next batch
        }
        guard !chunks.isEmpty || nixJSON != nil else { return }
        var counters = OutputCounters()
        counters.stdoutBytes = stdout.totalBytes
        counters.stdoutLines = stdout.lineCount
        counters.stderrBytes = stderr.totalBytes
        counters.stderrLines = stderr.lineCount
        writer.submit(OutputBatch(chunks: chunks, counters: counters, nixStateJSON: nixJSON, progress: progress))
    }
}
