import Foundation

/// Facts about live processes read from /proc, so a recorded pid is only signalled while it is still the same process.
public enum ProcessTable {
    /// Field 22 of /proc/PID/stat: the process' start time in clock ticks since boot; nil if it does not exist.
    public static func startTicks(of pid: Int32) -> UInt64? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = text.lastIndex(of: ")") else { return nil }
        // After "(comm)" come fields 3...; the start time is field 22, i.e. the 20th after the name.
        let fields = text[text.index(after: close)...].split(separator: " ")
        guard fields.count > 19 else { return nil }
        return UInt64(fields[19])
    }

    /// Whether `pid` is alive and is the process that had `ticks` as start time (zombies count as gone).
    public static func isSameProcess(pid: Int32, startTicks ticks: UInt64?) -> Bool {
        guard pid > 0, let now = startTicks(of: pid) else { return false }
        if let state = processState(of: pid), state == "Z" { return false }
        return ticks == nil || ticks == now
    }

    /// The one-letter state of /proc/PID/stat (R, S, Z, ...).
    public static func processState(of pid: Int32) -> Character? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = text.lastIndex(of: ")") else { return nil }
        return text[text.index(after: close)...].dropFirst().first
    }

    /// Pids whose process group is `pgid`, read from /proc.
    public static func members(ofGroup pgid: Int32) -> [Int32] {
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return [] }
        var result: [Int32] = []
        for entry in entries {
            guard let pid = Int32(entry),
                  let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                  let close = text.lastIndex(of: ")") else { continue }
            let fields = text[text.index(after: close)...].split(separator: " ")
            // fields[0] state, [1] ppid, [2] pgrp
            if fields.count > 2, Int32(fields[2]) == pgid, fields[0] != "Z" { result.append(pid) }
        }
        return result
    }
}
