import Foundation
import Testing
@testable import Dashboard

private func key(_ c: Character) -> InputEvent { .character(c) }

/// The rough edges of issue 15 that live in the model: the search prompt, Esc, sideways scroll, follow.
@Suite("Dashboard model: search prompt, Esc, sideways scroll, follow (issue 15)")
struct Issue15ModelTests {
    @Test("the search prompt starts empty; Up recalls the last search")
    func promptStartsEmpty() {
        var model = Fixtures.model()
        _ = model.handle(.key(.tab))
        model.apply(.detailLoaded(DetailFacts(tab: .nix, lineCount: 500)))
        _ = model.handle(key("/"))
        for c in "error" { _ = model.handle(key(c)) }
        _ = model.handle(.key(.enter))
        model.apply(.searchFinished(.nix, line: 3, message: nil))
        _ = model.handle(key("/"))
        guard case .prompt(let empty)? = model.modal else { Issue.record("no prompt"); return }
        #expect(empty.text == "")
        _ = model.handle(.key(.up))
        guard case .prompt(let recalled)? = model.modal else { Issue.record("no prompt"); return }
        #expect(recalled.text == "error")
    }

    @Test("Esc while a search runs cancels it and keeps the search text")
    func escCancelsSearch() {
        var model = Fixtures.model()
        _ = model.handle(.key(.tab))
        model.apply(.detailLoaded(DetailFacts(tab: .nix, lineCount: 500)))
        _ = model.handle(key("/"))
        for c in "needle" { _ = model.handle(key(c)) }
        _ = model.handle(.key(.enter))
        #expect(model.searching == .nix)
        model.apply(.searchProgress(.nix, percent: 40))
        #expect(model.status?.text.contains("40%") == true)
        #expect(model.handle(.key(.escape)) == [.cancelSearch])
        #expect(model.searching == nil)
        #expect(model.status?.text == "search cancelled")
        #expect(model.focus == .detail)
        // A result arriving late (the thread had read its last chunk) is still taken.
        model.apply(.searchFinished(.nix, line: 7, message: nil))
        #expect(model.log.currentMatch == 7)
    }

    @Test("Esc closes a derivation's build log even while the list has focus")
    func escClosesBuildLogFromList() {
        var model = Fixtures.model()
        model.apply(.detailLoaded(DetailFacts(tab: model.tab, lineCount: 10, derivationsPerProcess: [2])))
        _ = model.handle(key("d"))
        #expect(model.nixSource == .buildLog(0))
        #expect(model.focus == .list)
        _ = model.handle(.key(.escape))
        #expect(model.nixSource == .summary)
    }

    @Test("sideways scroll stops at the widest line on screen; 0 and $ go to the start and the end")
    func horizontalLimit() {
        var model = Fixtures.model(columns: 120)
        _ = model.handle(.key(.tab))
        model.apply(.detailLoaded(DetailFacts(tab: .nix, lineCount: 50)))
        model.apply(.measured(.nix, longestLine: 150))
        for _ in 0..<20 { _ = model.handle(key("l")) }
        #expect(model.log.horizontalOffset == 30)
        _ = model.handle(key("0"))
        #expect(model.log.horizontalOffset == 0)
        _ = model.handle(key("$"))
        #expect(model.log.horizontalOffset == 30)
        model.apply(.measured(.nix, longestLine: 80))
        _ = model.handle(key("l"))
        #expect(model.log.horizontalOffset == 0)
    }

    @Test("a match past the right edge scrolls into view")
    func matchScrollsIntoView() {
        var model = Fixtures.model(columns: 120)
        _ = model.handle(.key(.tab))
        model.apply(.detailLoaded(DetailFacts(tab: .nix, lineCount: 50)))
        _ = model.handle(key("/"))
        for c in "far" { _ = model.handle(key(c)) }
        _ = model.handle(.key(.enter))
        model.apply(.searchFinished(.nix, line: 5, column: 400, message: nil))
        let offset = model.log.horizontalOffset
        #expect(offset <= 400 && 400 + 3 <= offset + 120)
    }

    @Test("follow applies to output tabs: Submission and Process open at the top")
    func followOnlyOutputTabs() {
        var model = Fixtures.model()
        for tab in [DetailTab.submission, .process] {
            _ = model.handle(key(Character("\(tab.rawValue + 1)")))
            model.apply(.detailLoaded(DetailFacts(tab: tab, lineCount: 500)))
            #expect(model.log.top == 0, "\(tab.title) opens at the top")
        }
        for tab in [DetailTab.nix, .stdout, .stderr] {
            _ = model.handle(key(Character("\(tab.rawValue + 1)")))
            model.apply(.detailLoaded(DetailFacts(tab: tab, lineCount: 500)))
            #expect(model.log.follow, "\(tab.title) follows")
        }
    }

    @Test("an SSH task opens on stdout, the next nix task on the Nix tab again; a tab the user picked stays")
    func tabByTaskType() {
        var model = Fixtures.model()
        let ssh = Fixtures.task("Run SSH Command", type: "ssh_command_task", minute: 10)
        let build = Fixtures.task("Build Project", minute: 9)
        model.apply(.tasksLoaded(TaskListSnapshot(topLevel: [ssh, build], children: [:], hasMore: false)))
        _ = model.handle(.character("g"))
        #expect(model.selectedID == ssh.id && model.tab == .stdout)
        _ = model.handle(.character("j"))
        #expect(model.tab == .nix)
        _ = model.handle(.character("2"))
        _ = model.handle(.character("k"))
        #expect(model.tab == .process, "the user's tab is kept")
    }

    @Test("Build Image's Nix tab shows its build, not the cp step after it")
    func nixTabShowsTheBuild() {
        var model = Fixtures.model()
        model.apply(.detailLoaded(DetailFacts(tab: .nix, lineCount: 10, derivationsPerProcess: [0, 3, 0])))
        #expect(model.tab == .nix && model.shownProcess == 1)
        _ = model.handle(.character("4"))
        #expect(model.shownProcess == 2, "stdout shows the last process")
    }

    @Test("y on the Errors heading E jumped to copies the error under it, not `Errors (1)`")
    func copyUnderHeading() {
        var model = Fixtures.model()
        model.apply(.detailLoaded(DetailFacts(tab: .nix, lineCount: 400, nixSections: [.errors: 120, .warnings: 200])))
        _ = model.handle(.character("E"))
        #expect(model.log.top == 120)
        let effects = model.handle(.character("y"))
        #expect(effects == [.copy(task: model.selectedID!, tab: .nix, line: 121)])
    }
}
