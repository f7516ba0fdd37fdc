import Foundation
import TaskEngine
import Testing
@testable import Dashboard

@Suite("TaskFormat: how a task is written, in the dashboard and the CLI alike")
struct TaskFormatTests {
    @Test("times: the clock today, month-day earlier this year, the year too before that")
    func timestamps() {
        let calendar = Calendar.current
        let now = calendar.date(from: DateComponents(year: 2026, month: 12, day: 2, hour: 20, minute: 15))!
        #expect(TaskFormat.timestamp(calendar.date(from: DateComponents(year: 2026, month: 12, day: 2, hour: 9, minute: 5, second: 7))!, now: now) == "09:05:07")
        #expect(TaskFormat.timestamp(calendar.date(from: DateComponents(year: 2026, month: 11, day: 30, hour: 14, minute: 2))!, now: now) == "11-30 14:02")
        #expect(TaskFormat.timestamp(calendar.date(from: DateComponents(year: 2025, month: 12, day: 31, hour: 23, minute: 59))!, now: now) == "2025-12-31 23:59")
    }

    @Test("durations: tenths below ten seconds, whole seconds below a minute, then m/s and h/m")
    func durations() {
        #expect(TaskFormat.duration(4.23) == "4.2s")
        #expect(TaskFormat.duration(42.7) == "42s")
        #expect(TaskFormat.duration(185) == "3m05s")
        #expect(TaskFormat.duration(7620) == "2h07m")
        #expect(TaskFormat.duration(-1) == "0.0s")
    }

    @Test("a short id is the first eight hex digits, lowercased, of a UUID or its text")
    func shortID() throws {
        let id = try #require(UUID(uuidString: "D11A6B61-0000-4000-8000-000000000000"))
        #expect(TaskFormat.shortID(id) == "d11a6b61")
        #expect(TaskFormat.shortID(id.uuidString) == "d11a6b61")
    }

    @Test("the theme's glyphs are the shared ones, ASCII where asked")
    func glyphs() {
        for state in TaskDisplayState.allCases {
            #expect(Theme(ascii: false, color: true).glyph(state) == TaskFormat.glyph(state))
            #expect(Theme(ascii: true, color: true).glyph(state) == TaskFormat.glyph(state, ascii: true))
        }
        #expect(TaskFormat.glyph(.pending) == "○")
        #expect(TaskFormat.glyph(.failed, ascii: true) == "x")
    }
}
