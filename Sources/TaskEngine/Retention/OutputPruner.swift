import Foundation

/// Applies an `OutputRetentionPolicy`: drops the output chunks of the oldest finished tasks until the
/// stored output fits the size limit and none is older than the age limit, then gives the freed pages
/// back to the file system. Tasks, processes, reasons and Nix summaries stay; each pruned task says when
/// and how much was dropped (`TaskRecord.outputPruned`).
///
/// Work goes in small transactions (a few MiB each): the engine's output writes never wait for more
/// than one step. A task is marked before its first chunk goes, so a crash half-way leaves a task that
/// says "pruned" and whose remaining chunks the next pass deletes.
public struct OutputPruner: Sendable {
    public let store: TaskStore
    /// Pause after each step, as long as the step took and at least this: another process waiting for
    /// SQLite's write lock (its busy handler sleeps between tries) gets its turn.
    let pause: TimeInterval
    /// Free space kept in the file for new output when the engine prunes in the background: pages that
    /// will be filled again soon are not worth moving data around for (flash wear). `prune` keeps none.
    /// An eighth of the size limit, at most 64 MiB: a 1 MB limit keeps 125 kB, not 64 MiB (issue 23).
    let freeReserve: Int64

    static let rowsPerStep = 256
    static let bytesPerStep: Int64 = 8 << 20
    static let vacuumPagesPerStep = 512

    public init(store: TaskStore, background: Bool = false, maxSize: Int64? = nil) {
        self.store = store
        self.pause = background ? 0.02 : 0.005
        self.freeReserve = background ? min(64 << 20, max(0, (maxSize ?? .max) / 8)) : 0
    }

    /// Gives every free page back to the file system, for at most `time`: an engine that exits keeps
    /// no reserve, since nothing will fill it (issue 23: an idle exit after a prune left 133 MB of
    /// nothing). Returns the bytes given back.
    @discardableResult
    public func returnFreePages(within time: Duration) -> Int64 {
        let deadline = ContinuousClock.now + time
        let returned = (try? giveBackFreePages(shouldStop: { ContinuousClock.now >= deadline })) ?? 0
        if returned > 0 { store.checkpointAndTruncate() }
        return returned
    }

    /// What a pass did (or, for a dry run, would do).
    public struct Report: Sendable, Equatable {
        public var tasks = 0
        /// Bytes the dropped chunks took in the file (compressed).
        public var storedBytes: Int64 = 0
        /// Bytes the dropped output had as printed.
        public var printedBytes: Int64 = 0
        /// Bytes of free pages given back to the file system.
        public var returnedBytes: Int64 = 0
        public var fileBytesBefore: Int64 = 0
        public var fileBytesAfter: Int64 = 0
        /// Stored output left, and what the policy allows.
        public var storedBytesLeft: Int64 = 0
    }

    /// The tasks a pass would prune now, oldest first: every finished task older than the age limit,
    /// then the oldest others until the stored output fits the size limit.
    func selection(_ policy: OutputRetentionPolicy, now: Date) throws -> [TaskStore.PruneCandidate] {
        var usage = try store.storedOutputBytes()
        var selected: [TaskStore.PruneCandidate] = []
        var cursor: (endedAt: Date, id: UUID)?
        if let maxAge = policy.maxAge {
            let cutoff = now.addingTimeInterval(-maxAge)
            while true {
                let page = try store.pruneCandidates(endedBefore: cutoff, after: cursor, limit: 200)
                selected += page
                usage -= page.reduce(0) { $0 + $1.storedBytes }
                guard let last = page.last, page.count == 200 else { break }
                cursor = (last.endedAt, last.id)
            }
            if let last = selected.last { cursor = (last.endedAt, last.id) }
        }
        if let maxSize = policy.maxSize {
            // Age picks the oldest already, so the size limit goes on from where it stopped.
            while usage > maxSize {
                let page = try store.pruneCandidates(after: cursor, limit: 200)
                guard let last = page.last else { break }
                for candidate in page where usage > maxSize {
                    selected.append(candidate)
                    usage -= candidate.storedBytes
                }
                cursor = (last.endedAt, last.id)
            }
        }
        return selected
    }

    /// Prunes what the policy asks for now; with `dryRun` only reports it. `shouldStop` is asked between
    /// steps (an engine shutting down stops at once; what it marked is finished by the next pass).
    public func prune(_ policy: OutputRetentionPolicy, now: Date = Date(), dryRun: Bool = false,
                      shouldStop: () -> Bool = { false }) throws -> Report {
        var report = Report()
        report.fileBytesBefore = store.fileBytes()
        let selected = try selection(policy, now: now)
        if dryRun {
            report.tasks = selected.count
            report.storedBytes = selected.reduce(0) { $0 + $1.storedBytes }
            report.printedBytes = try selected.reduce(0) { $0 + (try store.printedOutputBytes($1.id)) }
            report.storedBytesLeft = try store.storedOutputBytes() - report.storedBytes
            report.fileBytesAfter = report.fileBytesBefore
            return report
        }
        // A pass an earlier engine left half-done comes first: those tasks already say "pruned".
        for id in try store.unfinishedPrunes() {
            if shouldStop() { break }
            report.storedBytes += try deleteChunks(of: id, shouldStop: shouldStop)
        }
        for candidate in selected {
            if shouldStop() { break }
            guard try store.markOutputPruned(candidate.id, at: now) else { continue }
            report.tasks += 1
            report.printedBytes += try store.task(candidate.id)?.outputPruned?.bytes ?? 0
            report.storedBytes += try deleteChunks(of: candidate.id, shouldStop: shouldStop)
        }
        report.returnedBytes = try giveBackFreePages(shouldStop: shouldStop)
        if freeReserve == 0 && (report.storedBytes > 0 || report.returnedBytes > 0) { store.checkpointAndTruncate() }
        report.storedBytesLeft = try store.storedOutputBytes()
        report.fileBytesAfter = store.fileBytes()
        return report
    }

    private func deleteChunks(of id: UUID, shouldStop: () -> Bool) throws -> Int64 {
        var freed: Int64 = 0
        while !shouldStop() {
            let started = Date()
            let step = try store.deletePrunedChunks(id, maxRows: Self.rowsPerStep, maxBytes: Self.bytesPerStep)
            freed += step.freed
            if step.done { break }
            rest(after: started)
        }
        return freed
    }

    /// Incremental vacuum in steps, down to `freeReserve` of free space.
    private func giveBackFreePages(shouldStop: () -> Bool) throws -> Int64 {
        var returned: Int64 = 0
        while !shouldStop() {
            let free = try store.freePages()
            let excess = free.count * free.pageSize - freeReserve
            guard excess > 0 else { break }
            let started = Date()
            let pages = min(Int64(Self.vacuumPagesPerStep), (excess + free.pageSize - 1) / free.pageSize)
            let freed = try store.vacuumStep(pages: Int(pages))
            guard freed > 0 else { break }  // no auto-vacuum in this file: the pages stay for reuse
            returned += freed * free.pageSize
            rest(after: started)
        }
        return returned
    }

    private func rest(after started: Date) {
        Thread.sleep(forTimeInterval: max(pause, Date().timeIntervalSince(started)))
    }
}
