import GRDB
import Synchronization

/// A test hook: makes the store's output writes fail for a while, as a full disk or an I/O error
/// would, on the same path a real failure takes (inside the write transaction, turned into a
/// `StoreError` by `TaskStore.write`). Only tests set it; the program never does.
final class StoreFaultInjection: Sendable {
    private let state = Mutex<(until: ContinuousClock.Instant, code: ResultCode, failures: Int)?>(nil)

    /// Output writes fail with `code` until `duration` from now.
    func failOutputWrites(for duration: Duration, code: ResultCode = .SQLITE_IOERR) {
        state.withLock { $0 = (ContinuousClock.now + duration, code, 0) }
    }

    /// How many writes failed because of the injected fault so far.
    var failures: Int { state.withLock { $0?.failures ?? 0 } }

    /// Throws the injected error while the fault lasts.
    func check() throws {
        let code = state.withLock { state -> ResultCode? in
            guard let current = state, ContinuousClock.now < current.until else { return nil }
            state!.failures += 1
            return current.code
        }
        if let code { throw DatabaseError(resultCode: code, message: "injected by a test") }
    }
}
