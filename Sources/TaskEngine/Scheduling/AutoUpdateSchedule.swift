import Foundation

/// When Auto-update runs: `daily 03:00`, `weekly Mon 03:00` or `every 6h` (also `30m`, `90s`).
///
/// Clock times are wall-clock times in the engine's time zone, found with `Calendar` so a DST
/// change neither skips nor doubles a day: a time that does not exist that day (spring forward)
/// fires at the next time that does; a time that exists twice (fall back) fires the first time.
/// `every` counts from the moment the schedule started, not from midnight.
public enum AutoUpdateSchedule: Equatable, Sendable, CustomStringConvertible {
    case daily(hour: Int, minute: Int)
    /// `weekday` as `Calendar` counts: 1 is Sunday, 2 Monday, ... 7 Saturday.
    case weekly(weekday: Int, hour: Int, minute: Int)
    case every(seconds: Int)

    static let weekdays = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]
    static let example = "daily 03:00, weekly Mon 03:00 or every 6h"

    /// Reads a schedule; the error says what part was wrong and shows the forms.
    public static func parse(_ text: String) throws(ScheduleError) -> AutoUpdateSchedule {
        let words = text.split(whereSeparator: { $0 == " " || $0 == "\t" }).map { $0.lowercased() }
        guard let first = words.first else { throw ScheduleError(text, "is empty; give \(example)") }
        switch first {
        case "daily":
            guard words.count == 2 else { throw ScheduleError(text, "must be `daily HH:MM`, e.g. daily 03:00") }
            let (hour, minute) = try clockTime(words[1], in: text)
            return .daily(hour: hour, minute: minute)
        case "weekly":
            guard words.count == 3 else { throw ScheduleError(text, "must be `weekly DAY HH:MM`, e.g. weekly Mon 03:00") }
            guard let index = weekdays.firstIndex(where: { words[1].hasPrefix($0) && fullName($0).hasPrefix(words[1]) }) else {
                throw ScheduleError(text, "has \"\(words[1])\" where a day is expected: Mon, Tue, Wed, Thu, Fri, Sat or Sun")
            }
            let (hour, minute) = try clockTime(words[2], in: text)
            return .weekly(weekday: index + 1, hour: hour, minute: minute)
        case "every":
            guard words.count == 2, let unit = words[1].last, let factor = ["s": 1, "m": 60, "h": 3600, "d": 86400][String(unit)],
                  let count = Int(words[1].dropLast()), count > 0, count <= 366 * 86400 / factor else {
                throw ScheduleError(text, "must be `every N` with a unit s, m, h or d and N at least 1, e.g. every 6h or every 30m")
            }
            return .every(seconds: count * factor)
        default:
            throw ScheduleError(text, "starts with \"\(first)\"; give \(example)")
        }
    }

    /// The first time strictly after `date` at which the schedule fires.
    /// `anchor` is when an `every` schedule started counting.
    public func nextFire(after date: Date, anchor: Date, calendar: Calendar = .current) -> Date {
        switch self {
        case .every(let seconds):
            let elapsed = date.timeIntervalSince(anchor)
            let periods = elapsed < 0 ? 0 : (elapsed / Double(seconds)).rounded(.down) + 1
            return anchor.addingTimeInterval(periods * Double(seconds))
        case .daily(let hour, let minute):
            return Self.next(DateComponents(hour: hour, minute: minute, second: 0), after: date, calendar: calendar)
        case .weekly(let weekday, let hour, let minute):
            return Self.next(DateComponents(hour: hour, minute: minute, second: 0, weekday: weekday), after: date, calendar: calendar)
        }
    }

    public var description: String {
        switch self {
        case .daily(let hour, let minute): return "daily " + Self.clock(hour, minute)
        case .weekly(let weekday, let hour, let minute):
            return "weekly " + Self.weekdays[weekday - 1].capitalized + " " + Self.clock(hour, minute)
        case .every(let seconds):
            for (unit, size) in [("d", 86400), ("h", 3600), ("m", 60)] where seconds % size == 0 { return "every \(seconds / size)\(unit)" }
            return "every \(seconds)s"
        }
    }

    private static func next(_ components: DateComponents, after date: Date, calendar: Calendar) -> Date {
        calendar.nextDate(after: date, matching: components, matchingPolicy: .nextTime, repeatedTimePolicy: .first,
                          direction: .forward)
            // Calendar finds every valid pattern; a day later is a safe answer should it ever not.
            ?? date.addingTimeInterval(86400)
    }

    private static func clockTime(_ word: String, in text: String) throws(ScheduleError) -> (Int, Int) {
        let parts = word.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, parts[1].count == 2, (1...2).contains(parts[0].count),
              let hour = Int(parts[0]), let minute = Int(parts[1]), (0...23).contains(hour), (0...59).contains(minute) else {
            throw ScheduleError(text, "has \"\(word)\" where a 24-hour time HH:MM is expected, e.g. 03:00")
        }
        return (hour, minute)
    }

    private static func fullName(_ short: String) -> String {
        ["sun": "sunday", "mon": "monday", "tue": "tuesday", "wed": "wednesday", "thu": "thursday", "fri": "friday",
         "sat": "saturday"][short] ?? short
    }

    private static func clock(_ hour: Int, _ minute: Int) -> String {
        (hour < 10 ? "0" : "") + "\(hour):" + (minute < 10 ? "0" : "") + "\(minute)"
    }
}

/// A schedule that cannot be read, quoting it.
public struct ScheduleError: Error, Equatable, Sendable, CustomStringConvertible {
    public let text: String
    public let problem: String
    init(_ text: String, _ problem: String) {
        self.text = text
        self.problem = problem
    }
    public var description: String { "auto-update schedule \"\(text)\" \(problem)" }
}
