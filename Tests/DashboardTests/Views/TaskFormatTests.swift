import Foundation
import TaskEngine
import Testing
@testable import Dashboard

@Suite("TaskFormat: how a task is written, in the dashboard and the CLI alike")
struct TaskFormatTests {
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
