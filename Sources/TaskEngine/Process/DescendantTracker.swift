import Foundation
import Synchronization

/// Watches the processes the engine runs and records their descendants that left the process group
/// (nix starts each builder in a session of its own): signalling the group does not reach them, and
/// after a crash of the engine nothing else would find them.
///
/// One thread for the whole process (however many engines it runs), one /proc scan every
/// `interval` while anything is watched.
final class DescendantTracker: Sendable {
    struct Watched: Sendable {
        let task: UUID
        let processIndex: Int
        let pid: Int32
        let store: TaskStore
        var known: Set<Int32> = []
    }

    static let shared = DescendantTracker()

    private let interval: Duration
    private let watched = Mutex<[Int32: Watched]>([:])
    private let running = Mutex(false)

    init(interval: Duration = .milliseconds(250)) {
        self.interval = interval
    }

    func watch(task: UUID, processIndex: Int, pid: Int32, store: TaskStore) {
        watched.withLock { $0[pid] = Watched(task: task, processIndex: processIndex, pid: pid, store: store) }
        let start = running.withLock { isRunning -> Bool in
            defer { isRunning = true }
            return !isRunning
        }
        if start {
            let thread = Thread { [self] in loop() }
            thread.name = "thymis-descendant-tracker"
            thread.start()
        }
    }

    /// Stops watching `pid` after one last scan, so descendants started just before it exited are recorded too.
    func unwatch(pid: Int32) {
        scan(only: pid)
        watched.withLock { _ = $0.removeValue(forKey: pid) }
    }

    private func loop() {
        let micros = UInt32(max(10_000, interval.components.attoseconds / 1_000_000_000_000 + interval.components.seconds * 1_000_000))
        while true {
            usleep(micros)
            let idle = running.withLock { isRunning -> Bool in
                if watched.withLock({ $0.isEmpty }) { isRunning = false }
                return !isRunning
            }
            if idle { return }
            scan(only: nil)
        }
    }

    private func scan(only: Int32?) {
        let targets = watched.withLock { watched in only.map { pid in watched[pid].map { [$0] } ?? [] } ?? Array(watched.values) }
        guard !targets.isEmpty else { return }
        let tree = ProcessTree.snapshot()
        for target in targets {
            // Only those outside the leader's group need recording: the group is signalled as a whole.
            let outside = tree.descendants(of: target.pid).filter { $0.group != target.pid && !target.known.contains($0.pid) }
            guard !outside.isEmpty else { continue }
            try? target.store.recordDescendants(task: target.task, processIndex: target.processIndex,
                                         outside.map { (pid: $0.pid, startTicks: $0.startTicks) })
            watched.withLock { watched in
                for entry in outside { watched[target.pid]?.known.insert(entry.pid) }
            }
        }
    }

    /// Stops recorded descendants that are still the same processes (start ticks match): SIGTERM, a
    /// short wait, then SIGKILL. Returns how many were still running.
    @discardableResult
    static func stop(_ descendants: [(pid: Int32, startTicks: UInt64)], grace: Duration) async -> Int {
        let alive = descendants.filter { ProcessTable.isSameProcess(pid: $0.pid, startTicks: $0.startTicks) }
        guard !alive.isEmpty else { return 0 }
        for process in alive { kill(process.pid, SIGTERM) }
        let deadline = ContinuousClock.now + grace
        while ContinuousClock.now < deadline,
              alive.contains(where: { ProcessTable.isSameProcess(pid: $0.pid, startTicks: $0.startTicks) }) {
            try? await Task.sleep(for: .milliseconds(20))
        }
        for process in alive where ProcessTable.isSameProcess(pid: process.pid, startTicks: process.startTicks) {
            kill(process.pid, SIGKILL)
        }
        return alive.count
    }
}
