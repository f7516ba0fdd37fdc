import Foundation

/// A time of day in local time, as a person reading a log next to other clocks expects: "14:05:09", or
/// "14:05:09.250" with milliseconds (line times). `localtime_r`, not a DateFormatter: it is called per
/// line and per drawn row.
public enum LocalClock {
    public static func text(_ date: Date, milliseconds: Bool = false) -> String {
        let seconds = date.timeIntervalSince1970
        var whole = time_t(seconds.rounded(.down))
        var parts = tm()
        localtime_r(&whole, &parts)
        guard milliseconds else { return String(format: "%02d:%02d:%02d", parts.tm_hour, parts.tm_min, parts.tm_sec) }
        let millis = min(999, Int(((seconds - Double(whole)) * 1000).rounded(.down)))
        return String(format: "%02d:%02d:%02d.%03d", parts.tm_hour, parts.tm_min, parts.tm_sec, millis)
    }
}
