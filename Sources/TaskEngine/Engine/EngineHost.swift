import Foundation
import Logging
import Synchronization

/// Hosts the engine of one state directory in this process: holds the engine lock for as long as the
/// engine lives, starts it, runs it until a signal, an idle exit or an unusable state directory, and
/// shuts it down with every final state recorded.
///
/// The one place that does this: `serve`, the dashboard (in-process or after taking over), the demo and
/// a CLI `cancel`/`retry` that finds no engine all use it.
public final class EngineHost: Sendable {
    public let engine: TaskEngine
    public let directory: StateDirectory
    /// Released only when the host goes away: releasing it earlier would let another process become the
    /// engine and "recover" tasks this one still runs.
    private let lock: EngineLock
    private let identity: StateDirectoryIdentity?
    private let stopReason = Mutex<Exit?>(nil)
    private let signals = Mutex<SignalWatch?>(nil)

    /// Why `run` returned.
    public enum Exit: Sendable, Equatable {
        /// Nothing was pending or running for the idle time.
        case idle
        /// SIGINT, SIGTERM or SIGHUP.
        case signal(Int32)
        /// The state directory, its database or its lock file vanished or became unwritable.
        case stateDirectoryUnusable(String)
        /// `stop()` was called.
        case stopped
    }

    private init(engine: TaskEngine, directory: StateDirectory, lock: EngineLock) {
        self.engine = engine
        self.directory = directory
        self.lock = lock
        self.identity = StateDirectoryIdentity(directory)
    }

    /// Takes the engine lock and makes the engine, or returns nil when another process is the engine.
    public static func acquire(in directory: StateDirectory, makeEngine: () throws -> TaskEngine) throws -> EngineHost? {
        guard let lock = try EngineLock.acquire(in: directory) else { return nil }
        return EngineHost(engine: try makeEngine(), directory: directory, lock: lock)
    }

    /// Recovers, queues and (unless told not to) starts serving requests; see `TaskEngine.start`.
    public func start(runsTasks: Bool = true, watchRequests: Bool = true) async throws {
        try await engine.start(runsTasks: runsTasks, watchRequests: watchRequests)
    }

    /// Turns SIGINT, SIGTERM and SIGHUP into a stop of `run` (replacing any earlier watch of this host).
    public func stopOnSignals(_ numbers: [Int32] = [SIGINT, SIGTERM, SIGHUP]) {
        let watch = SignalWatch(signals: numbers) { [weak self] number in self?.stop(.signal(number)) }
        signals.withLock { $0 = watch }
    }

    /// Makes `run` return soon with `reason` (the first reason given since the last return wins).
    public func stop(_ reason: Exit = .stopped) {
        stopReason.withLock { if $0 == nil { $0 = reason } }
    }

    /// Runs until stopped, a signal (after `stopOnSignals`), the state directory becomes unusable, or
    /// (with `idleExit`) nothing was pending, running or asked for during that long. Does not shut down.
    public func run(idleExit: Duration? = nil, poll: Duration = .milliseconds(200)) async -> Exit {
        while true {
            // Taken, so a later `run` (the dashboard's engine living on after the dashboard) starts afresh.
            if let reason = stopReason.withLock({ reason in defer { reason = nil }; return reason }) { return reason }
            if let identity, let problem = identity.problem() {
                engine.logger.critical("the state directory cannot be used any more; the engine stops",
                                       metadata: ["state_dir": "\(directory.path)", "problem": "\(problem)"])
                stop(.stateDirectoryUnusable(problem))
                continue
            }
            if let idleExit, await engine.isIdle, ContinuousClock.now - (await engine.lastActivity) >= idleExit,
               (try? engine.store.hasNewRequests()) == false {
                engine.logger.info("idle; the engine exits", metadata: ["idle_exit": "\(idleExit)"])
                stop(.idle)
                continue
            }
            try? await Task.sleep(for: poll)
        }
    }

    /// Cancels what runs (final states recorded), stops watching requests; the lock goes with the host.
    public func shutdown(deadline: Duration = .seconds(5)) async {
        await engine.shutdown(deadline: deadline)
        signals.withLock { $0 = nil }
    }

    /// The idle exit from `THYMIS_TASKS_IDLE_EXIT` (seconds, default 60), for engines started on demand.
    public static func idleExit(from environment: [String: String] = ProcessInfo.processInfo.environment) throws -> Duration {
        guard let text = environment["THYMIS_TASKS_IDLE_EXIT"], !text.isEmpty else { return .seconds(60) }
        guard let seconds = Double(text), seconds >= 0, seconds <= 86400 * 365 else {
            throw ConfigurationError("THYMIS_TASKS_IDLE_EXIT \"\(text)\" is not a number of seconds (e.g. 60)")
        }
        return .milliseconds(Int64(seconds * 1000))
    }
}

/// What the state directory was when the engine started (device and inode of the directory, the
/// database, its WAL and shared-memory files, and the lock file), so a directory, database or WAL
/// deleted or replaced under a running engine is noticed: SQLite would go on writing into the
/// unlinked file, and every later write would be lost (issue 16).
struct StateDirectoryIdentity: Sendable {
    let directory: StateDirectory
    let files: [(path: String, what: String, device: UInt64, inode: UInt64)]

    init?(_ directory: StateDirectory) {
        self.directory = directory
        var files: [(String, String, UInt64, UInt64)] = []
        let database = directory.databasePath
        for (path, what) in [(directory.path, ""), (database, "the task database "),
                             (database + "-wal", "the task database's write-ahead log "),
                             (database + "-shm", "the task database's shared-memory file "), (directory.lockPath, "")] {
            var info = stat()
            // The WAL and -shm exist once the store is open in WAL mode; one missing now is not checked.
            guard stat(path, &info) == 0 else { continue }
            files.append((path, what, UInt64(info.st_dev), UInt64(info.st_ino)))
        }
        guard !files.isEmpty else { return nil }
        self.files = files
    }

    /// A sentence saying what is wrong, or nil while the directory is the one the engine started on.
    func problem() -> String? {
        for file in files {
            var info = stat()
            if stat(file.path, &info) != 0 {
                return "\(file.what)\(file.path) is gone (\(String(cString: strerror(errno))))"
            }
            if UInt64(info.st_dev) != file.device || UInt64(info.st_ino) != file.inode {
                return "\(file.what)\(file.path) was replaced by another file"
            }
        }
        if access(directory.path, W_OK | X_OK) != 0 { return "\(directory.path) is not writable any more" }
        return nil
    }
}
