import Foundation

/// When the engine of a state directory was last known to be alive: the modification time of
/// `<state dir>/engine.alive`, touched every `interval` while it runs. A crashed engine's tasks are
/// ended at that time on recovery, so their duration does not include the downtime (issue 16).
/// A file's time, not a row: a touch is one inode update, nothing for the WAL to carry.
struct EngineHeartbeat: Sendable {
    static let interval: Duration = .seconds(10)

    let path: String

    init(databasePath: String) {
        path = URL(fileURLWithPath: databasePath).deletingLastPathComponent().path + "/engine.alive"
    }

    /// The last beat, or nil when no engine ever beat here (a store older than the heartbeat).
    func lastBeat() -> Date? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return Date(timeIntervalSince1970: Double(info.st_mtim.tv_sec) + Double(info.st_mtim.tv_nsec) / 1e9)
    }

    /// Says "alive now" (creating the file, mode 0600, the first time). A failure is left for the
    /// state-directory check to report; the heartbeat itself is best effort.
    func beat() {
        // Opened (never through a symlink) and touched by descriptor: utimes(path) would follow one.
        let fd = openInStateDirectory(path, O_WRONLY | O_CREAT)
        guard fd >= 0 else { return }
        futimens(fd, nil)
        close(fd)
    }

    /// When a task a dead engine left running stopped, about: the last beat or the task's own last
    /// sign of life (`TaskStore.lastSignOfLife`), whichever is later, but never before the task
    /// started nor after now.
    static func endOfInterrupted(startedAt: Date?, lastBeat: Date?, signOfLife: Date? = nil, now: Date = Date()) -> Date {
        guard let lastBeat else { return now }
        return min(now, max(lastBeat, startedAt ?? lastBeat, signOfLife ?? lastBeat))
    }
}
