import Foundation
import TaskEngine
import Testing
@testable import Dashboard

private func key(_ c: Character) -> InputEvent { .character(c) }

@Suite("Dashboard model: line times (t) and clearing store-side filters")
struct LineTimesModelTests {
    @Test("t in the detail pane toggles line times for every tab; in the list it still cycles the type filter")
    func toggle() {
        var model = Fixtures.model()
        _ = model.handle(key("4"))
        _ = model.handle(.key(.tab))
        #expect(model.focus == .detail && model.showsStoredOutput)
        let columns = model.textColumns
        _ = model.handle(key("t"))
        #expect(model.showsLineTimes)
        #expect(model.textColumns == columns - TaskFormat.lineTimeWidth - 1, "the gutter takes its columns from the text")
        _ = model.handle(key("1"))
        #expect(!model.showsStoredOutput && model.textColumns == columns, "the Submission tab has no times")
        _ = model.handle(key("t"))
        #expect(!model.showsLineTimes)
        _ = model.handle(key("t"))
        #expect(model.status?.text.contains("this tab has none") == true)
        _ = model.handle(.key(.tab))
        let effects = model.handle(key("t"))
        #expect(model.showsLineTimes, "t in the list leaves times as they were")
        #expect(model.typeFilter != nil)
        #expect(effects == [.reloadTasks])
    }

    @Test("Esc clearing a type or state filter reads the list again (the store applied them)")
    func clearingReloads() {
        var model = Fixtures.model()
        #expect(model.handle(key("s")) == [.reloadTasks])
        #expect(model.handle(.key(.escape)) == [.reloadTasks])
        #expect(!model.hasFilter)
        #expect(model.handle(.key(.escape)) == [], "nothing left to clear")
    }
}
