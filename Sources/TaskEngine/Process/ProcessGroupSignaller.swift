import Foundation
import Synchronization

/// Stops the process group of a task's current process: SIGTERM, a grace period, then SIGKILL.
///
/// One per running task. Each child runs in a session of its own (pgid == pid), so signalling the
/// group reaches everything it started there without touching the engine.
final class ProcessGroupSignaller: Sendable {
    private struct State {
        var pgid: Int32?
        var stopping = false
    }
    private let state = Mutex(State())

    /// Whether `stop` has been called: no new process may start.
    var isStopping: Bool { state.withLock { $0.stopping } }

    /// Records the group of a process that just started. If a stop is already under way, the group is terminated at once.
    func attach(pgid: Int32, grace: Duration) {
        let stopNow = state.withLock { state -> Bool in
            state.pgid = pgid
            return state.stopping
        }
        if stopNow { Task.detached { await Self.terminate(pgid: pgid, grace: grace) } }
    }

    func detach() {
        state.withLock { $0.pgid = nil }
    }

    /// Marks the task as stopping and terminates its current group, if any; returns when that group is gone.
    func stop(grace: Duration) async {
        let pgid = state.withLock { state -> Int32? in
            state.stopping = true
            return state.pgid
        }
        if let pgid { await Self.terminate(pgid: pgid, grace: grace) }
    }

    /// SIGTERM to the group, wait up to `grace` for it to empty, then SIGKILL whatever is left.
    static func terminate(pgid: Int32, grace: Duration) async {
        guard pgid > 1 else { return }
        if kill(-pgid, SIGTERM) != 0 && errno == ESRCH { return }
        let deadline = ContinuousClock.now + grace
        while ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(20))
            if !groupHasLiveMembers(pgid) { break }
        }
        kill(-pgid, SIGKILL)
    }

    /// Whether any process of the group still exists. A zombie leader counts until swift-subprocess
    /// reaps it, which it does as soon as it exits; no /proc scan needed (it is costly with many tasks).
    static func groupHasLiveMembers(_ pgid: Int32) -> Bool {
        kill(-pgid, 0) == 0 || errno == EPERM
    }
}
