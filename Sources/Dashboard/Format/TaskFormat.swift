import Foundation
import TaskEngine

/// How a task is written for a person, in the dashboard and in the CLI alike: its state's glyph,
/// times, durations and short id. One place, so `list` and the dashboard never disagree.
public enum TaskFormat {
    /// The state's glyph: Unicode, or ASCII for terminals that cannot show it.
    public static func glyph(_ state: TaskDisplayState, ascii: Bool = false) -> String {
        switch state {
        case .pending: ascii ? "." : "○"
        case .running: ascii ? ">" : "▶"
        case .completed: ascii ? "+" : "✔"
        case .failed: ascii ? "x" : "✘"
        case .cancelled: ascii ? "-" : "⊘"
        }
    }

    /// "14:03:07" today, "06-12 14:03" on other days, "-" for none.
    public static func timestamp(_ date: Date?, now: Date = Date()) -> String {
        guard let date else { return "-" }
        let calendar = Calendar.current
        let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        func two(_ value: Int?) -> String { let v = value ?? 0; return v < 10 ? "0\(v)" : "\(v)" }
        if calendar.isDate(date, inSameDayAs: now) {
            return "\(two(parts.hour)):\(two(parts.minute)):\(two(parts.second))"
        }
        // Another year: the year too, or a task from last December reads as this year's.
        if calendar.component(.year, from: now) != parts.year {
            return "\(parts.year ?? 0)-\(two(parts.month))-\(two(parts.day)) \(two(parts.hour)):\(two(parts.minute))"
        }
        return "\(two(parts.month))-\(two(parts.day)) \(two(parts.hour)):\(two(parts.minute))"
    }

    /// "4.2s" below ten seconds, "42s", "3m05s", "2h07m".
    /// A line's arrival time, local "HH:MM:SS.mmm" (`logs --timestamps`, the dashboard's `t`); a
    /// placeholder as wide for a line stored before times were kept.
    public static func lineTime(_ date: Date?) -> String {
        date.map { LocalClock.text($0, milliseconds: true) } ?? "--:--:--.---"
    }

    /// Columns `lineTime` takes.
    public static let lineTimeWidth = 12

    public static func duration(_ interval: TimeInterval) -> String {
        let seconds = max(0, interval)
        if seconds < 10 { return String(format: "%.1fs", seconds) }
        let whole = Int(seconds)
        if whole < 60 { return "\(whole)s" }
        if whole < 3600 { return "\(whole / 60)m\(whole % 60 < 10 ? "0" : "")\(whole % 60)s" }
        let minutes = (whole / 60) % 60
        return "\(whole / 3600)h\(minutes < 10 ? "0" : "")\(minutes)m"
    }

    /// The first eight hex digits of a task id, lowercased: what lists show and what
    /// `show`, `cancel` and `retry` accept as a prefix.
    public static func shortID(_ id: UUID) -> String {
        shortID(id.uuidString)
    }

    /// `shortID` of an id already written out (as the request table returns it).
    public static func shortID(_ id: String) -> String {
        String(id.prefix(8)).lowercased()
    }
}
