import Foundation

/// Facts about live processes read from /proc, so a recorded pid is only signalled while it is still the same process.
public enum ProcessTable {
    /// Field 22 of /proc/PID/stat: the process' start time in clock ticks since boot; nil if it does not exist.
    public static func startTicks(of pid: Int32) -> UInt64? {
        ProcessTree.read(pid)?.startTicks
    }

    /// Whether `pid` is alive and is the process that had `ticks` as start time (zombies count as gone).
    public static func isSameProcess(pid: Int32, startTicks ticks: UInt64?) -> Bool {
        guard pid > 0, let entry = ProcessTree.read(pid), !entry.isZombie else { return false }
        return ticks == nil || ticks == entry.startTicks
    }

    /// The one-letter state of /proc/PID/stat (R, S, Z, ...).
    public static func processState(of pid: Int32) -> Character? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = text.lastIndex(of: ")") else { return nil }
        return text[text.index(after: close)...].dropFirst().first
    }
}
