import Foundation
import Logging
import Synchronization

/// The engine's background retention: a pass of `OutputPruner` soon after the engine starts and then
/// every `interval`, on a thread of its own (pruning is synchronous SQLite work in small steps, and must
/// not hold up the engine's actor or the output writers).
final class RetentionLoop: Sendable {
    private let pruner: OutputPruner
    private let policy: OutputRetentionPolicy
    private let interval: Duration
    private let logger: Logger
    private let stopped = Mutex(false)
    private let nudged = Mutex(false)
    private let loop = Mutex<Task<Void, Never>?>(nil)

    /// The first pass waits this long: an engine starting on demand answers its client first.
    static let firstDelay = Duration.seconds(2)

    init(store: TaskStore, policy: OutputRetentionPolicy, interval: Duration, logger: Logger) {
        self.pruner = OutputPruner(store: store, background: true, maxSize: policy.maxSize)
        self.policy = policy
        self.interval = interval
        self.logger = logger
    }

    func start() {
        let task = Task.detached(priority: .utility) { [self] in
            try? await Task.sleep(for: Self.firstDelay)
            while !isStopped {
                await pass()
                // Wait the interval, or less when nudged (a store write failed: the disk may be full).
                let next = ContinuousClock.now + interval
                while !isStopped && ContinuousClock.now < next && !nudged.withLock({ value in defer { value = false }; return value }) {
                    try? await Task.sleep(for: min(.seconds(1), next - ContinuousClock.now))
                }
            }
        }
        loop.withLock { $0 = task }
    }

    /// Runs the next pass within a second instead of at the next interval: a store write failed, and
    /// dropping old output may give the disk room again.
    func nudge() { nudged.withLock { $0 = true } }

    /// Stops between two steps; what a pass marked but did not finish, the next engine finishes.
    func stop() {
        stopped.withLock { $0 = true }
        loop.withLock { $0?.cancel() }
    }

    private var isStopped: Bool { stopped.withLock { $0 } }

    private func pass() async {
        let result: Result<OutputPruner.Report, Error> = await withCheckedContinuation { continuation in
            Thread.detachNewThread { [self] in
                continuation.resume(returning: Result { try pruner.prune(policy, shouldStop: { isStopped }) })
            }
        }
        switch result {
        case .success(let report) where report.tasks > 0 || report.returnedBytes > 0:
            logger.info("pruned task output", metadata: [
                "tasks": "\(report.tasks)", "stored_bytes": "\(report.storedBytes)", "printed_bytes": "\(report.printedBytes)",
                "returned_bytes": "\(report.returnedBytes)", "stored_left": "\(report.storedBytesLeft)", "policy": "\(policy.summary)",
            ])
        case .success: break
        case .failure(let error):
            // A full or failing disk: the next pass tries again; output writes report their own failures.
            logger.warning("could not prune task output: \(error)")
        }
    }
}
