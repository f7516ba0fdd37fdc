import Foundation
import Logging
import Synchronization

/// One batch of a process' output on its way to the store, as one transaction.
struct OutputBatch {
    var chunks: [OutputChunk]
    var counters: OutputCounters
    var nixStateJSON: String?
    var progress: String?

    /// Folds a later batch into this one: its chunks follow, its counters and summaries replace these.
    mutating func absorb(_ later: OutputBatch) {
        chunks += later.chunks
        counters = later.counters
        if let json = later.nixStateJSON { nixStateJSON = json }
        if let text = later.progress { progress = text }
    }
}

/// Writes a process' output batches to the store, in order, on a queue of its own, and rides out a
/// store that fails for a while (a full disk, an I/O error, a file made read-only for a few seconds;
/// issue 16): what could not be written waits and is retried with backoff, the waiting bytes are
/// bounded (`backlogLimit`; the oldest are dropped beyond it), and where bytes were dropped a marker
/// line "[thymis-tasks: N bytes lost at HH:MM:SS: reason]" goes into that stream once writing works
/// again. Line numbers stay those of what is stored, so paging by line keeps working across a gap.
///
/// `@unchecked Sendable`: everything below `queue` is touched only on it; `faulted` is a Mutex.
final class OutputWriter: @unchecked Sendable {
    private let store: TaskStore
    private let taskID: UUID
    private let processIndex: Int
    private let logger: Logger?
    private let onBatch: @Sendable () -> Void

    /// Reading the pipes overlaps SQLite's writes; at most `batchesInFlight` wait, so a fast child is
    /// slowed down rather than buffered while the store works.
    private let queue = DispatchQueue(label: "thymis-output-writer")
    private let inFlight = DispatchSemaphore(value: OutputWriter.batchesInFlight)
    /// Lets the pump's tick ask for a retry only while there is something to retry.
    private let faulted = Mutex(false)

    // Only on `queue`:
    /// What is not stored yet (batches are folded into one while the store fails).
    private var waiting: OutputBatch?
    private var waitingBytes = 0
    private var fault: (error: Error, since: Date, nextAttempt: ContinuousClock.Instant, delay: Duration)?
    /// Bytes dropped per stream and not yet marked in the store.
    private var losses: [OutputStreamName: Loss] = [:]
    /// Stored line/byte numbers minus the process' own: markers added, dropped bytes taken away.
    private var shifts: [OutputStreamName: (lines: Int64, bytes: Int64)] = [:]

    struct Loss {
        var bytes: Int64 = 0
        var at: Date
        var reason: String
        /// The line (in the process' own numbering) the stream continues at after the dropped bytes.
        var resumeLine: Int64
    }

    static let batchesInFlight = 4
    /// At most this much output of one process waits for a failing store (8 MiB per process).
    static let backlogLimit = 8 << 20
    static let firstRetryDelay = Duration.milliseconds(100)
    static let maxRetryDelay = Duration.seconds(2)
    /// After the process ended, its last output is retried this long before it is given up.
    static let finalRetryWindow = Duration.seconds(10)

    init(store: TaskStore, taskID: UUID, processIndex: Int, logger: Logger?, onBatch: @escaping @Sendable () -> Void) {
        self.store = store
        self.taskID = taskID
        self.processIndex = processIndex
        self.logger = logger
        self.onBatch = onBatch
    }

    /// Queues a batch; waits only while `batchesInFlight` batches are queued already.
    func submit(_ batch: OutputBatch) {
        inFlight.wait()
        queue.async { [self] in
            defer { inFlight.signal() }
            take(batch)
            if let fault, ContinuousClock.now < fault.nextAttempt { return }
            attempt()
        }
    }

    /// Called on the pump's ticks: retries what waits once its backoff has passed, even if the process is quiet.
    func retryIfDue() {
        guard faulted.withLock({ $0 }) else { return }
        queue.async { [self] in
            guard let fault, ContinuousClock.now >= fault.nextAttempt else { return }
            attempt()
        }
    }

    /// Writes what waits, retrying for `finalRetryWindow`; returns what could not be stored, in words
    /// for the task's reason (nil when everything, gap markers included, is in the store).
    func finish() -> String? {
        queue.sync {}
        let deadline = ContinuousClock.now + Self.finalRetryWindow
        while queue.sync(execute: { waiting != nil || !losses.isEmpty }) && ContinuousClock.now < deadline {
            let delay = queue.sync { fault?.delay ?? Self.firstRetryDelay }
            Thread.sleep(forTimeInterval: Double(delay.components.seconds) + Double(delay.components.attoseconds) / 1e18)
            queue.sync { attempt() }
        }
        return queue.sync {
            guard let fault else { return nil }
            if let waiting { drop(chunkCount: waiting.chunks.count) }
            self.waiting = nil
            let lost = losses.values.reduce(0) { $0 + $1.bytes }
            return "\(TaskEngine.storeFault(fault.error)), so \(lost) bytes of its output are missing"
        }
    }

    // MARK: - On the queue

    private func take(_ batch: OutputBatch) {
        waitingBytes += batch.chunks.reduce(0) { $0 + $1.bytes.count }
        if waiting == nil { waiting = batch } else { waiting!.absorb(batch) }
        // Oldest first: the newest output is what a person looks at while the store comes back.
        var dropCount = 0
        var bytes = waitingBytes
        while bytes > Self.backlogLimit, dropCount < waiting!.chunks.count {
            bytes -= waiting!.chunks[dropCount].bytes.count
            dropCount += 1
        }
        if dropCount > 0 { drop(chunkCount: dropCount) }
    }

    /// Drops the oldest `chunkCount` waiting chunks, remembering per stream what is lost for its marker.
    private func drop(chunkCount: Int) {
        guard var batch = waiting, chunkCount > 0 else { return }
        let reason = fault.map { Self.reason($0.error) } ?? "the store could not be written"
        for chunk in batch.chunks.prefix(chunkCount) {
            var loss = losses[chunk.stream] ?? Loss(at: Date(), reason: reason, resumeLine: 0)
            loss.bytes += Int64(chunk.bytes.count)
            loss.resumeLine = chunk.firstLine + chunk.newlineCount
            losses[chunk.stream] = loss
            var shift = shifts[chunk.stream] ?? (0, 0)
            shift.lines -= chunk.newlineCount
            shift.bytes -= Int64(chunk.bytes.count)
            shifts[chunk.stream] = shift
            waitingBytes -= chunk.bytes.count
        }
        batch.chunks.removeFirst(chunkCount)
        waiting = batch
    }

    /// One try at writing what waits, gap markers first; on failure the next try waits longer.
    private func attempt() {
        guard waiting != nil || !losses.isEmpty else { return }
        var shifts = self.shifts
        var chunks: [OutputChunk] = []
        var marked = Set<OutputStreamName>()
        let batch = waiting ?? OutputBatch(chunks: [], counters: lastCounters, nixStateJSON: nil, progress: nil)
        func mark(_ stream: OutputStreamName) {
            guard let loss = losses[stream], !marked.contains(stream) else { return }
            marked.insert(stream)
            let text = Array("[thymis-tasks: \(loss.bytes) bytes lost at \(Self.clock(loss.at)): \(loss.reason)]\n".utf8)
            var shift = shifts[stream] ?? (0, 0)
            chunks.append(OutputChunk(stream: stream, firstLine: loss.resumeLine + shift.lines, newlineCount: 1, bytes: text,
                                      arrivedAt: loss.at))
            shift.lines += 1
            shift.bytes += Int64(text.count)
            shifts[stream] = shift
        }
        for var chunk in batch.chunks {
            mark(chunk.stream)
            chunk.firstLine += shifts[chunk.stream]?.lines ?? 0
            chunks.append(chunk)
        }
        for stream in losses.keys { mark(stream) }
        var counters = batch.counters
        counters.stdoutLines += shifts[.stdout]?.lines ?? 0
        counters.stdoutBytes += shifts[.stdout]?.bytes ?? 0
        counters.stderrLines += shifts[.stderr]?.lines ?? 0
        counters.stderrBytes += shifts[.stderr]?.bytes ?? 0
        do {
            try store.appendOutput(task: taskID, processIndex: processIndex, chunks: chunks, counters: counters,
                                   nixStateJSON: batch.nixStateJSON, progress: batch.progress)
        } catch {
            let delay = fault.map { min($0.delay * 2, Self.maxRetryDelay) } ?? Self.firstRetryDelay
            if fault == nil {
                logger?.warning("output could not be stored; it waits (at most \(Self.backlogLimit >> 20) MiB) and is retried",
                                metadata: ["task": "\(taskID)", "process": "\(processIndex)", "error": "\(error)"])
            }
            fault = (error, fault?.since ?? Date(), ContinuousClock.now + delay, delay)
            faulted.withLock { $0 = true }
            return
        }
        if let fault {
            logger?.info("output is stored again", metadata: [
                "task": "\(taskID)", "process": "\(processIndex)", "failing_for": "\(Int(Date().timeIntervalSince(fault.since))) s",
                "lost_bytes": "\(losses.values.reduce(0) { $0 + $1.bytes })"])
        }
        lastCounters = batch.counters
        self.shifts = shifts
        losses.removeAll()
        waiting = nil
        waitingBytes = 0
        fault = nil
        faulted.withLock { $0 = false }
        onBatch()
    }

    /// The process' own counters as last stored, for a write that only carries markers.
    private var lastCounters = OutputCounters()

    /// The store's words for what went wrong ("the disk is full", "an I/O error (disk I/O error)").
    static func reason(_ error: Error) -> String { (error as? StoreError)?.cause ?? "\(error)" }

    /// HH:MM:SS in local time, as a person reading the log next to other clocks expects.
    static func clock(_ date: Date) -> String { LocalClock.text(date) }
}
