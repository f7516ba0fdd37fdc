import Foundation

/// How times and durations are written on screen.
enum Clock {
    /// "14:03:07" today, "06-12 14:03" on other days, "-" for none.
    static func timestamp(_ date: Date?, now: Date = Date()) -> String {
        guard let date else { return "-" }
        let calendar = Calendar.current
        let parts = calendar.dateComponents([.month, .day, .hour, .minute, .second], from: date)
        func two(_ value: Int?) -> String { let v = value ?? 0; return v < 10 ? "0\(v)" : "\(v)" }
        if calendar.isDate(date, inSameDayAs: now) {
            return "\(two(parts.hour)):\(two(parts.minute)):\(two(parts.second))"
        }
        return "\(two(parts.month))-\(two(parts.day)) \(two(parts.hour)):\(two(parts.minute))"
    }

    /// "4.2s", "3m05s", "2h07m".
    static func duration(_ interval: TimeInterval) -> String {
        let seconds = max(0, interval)
        if seconds < 10 { return String(format: "%.1fs", seconds) }
        let whole = Int(seconds)
        if whole < 60 { return "\(whole)s" }
        if whole < 3600 { return "\(whole / 60)m\(whole % 60 < 10 ? "0" : "")\(whole % 60)s" }
        let minutes = (whole / 60) % 60
        return "\(whole / 3600)h\(minutes < 10 ? "0" : "")\(minutes)m"
    }
}
