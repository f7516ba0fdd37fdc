import Foundation
import TaskEngine
import Testing
@testable import Dashboard

private func key(_ c: Character) -> InputEvent { .character(c) }

@Suite("Dashboard model: selection, focus, tabs, filters, folds")
struct DashboardModelTests {
    @Test("the newest task is selected first and j/k move the selection, children under their parent")
    func selection() {
        var model = Fixtures.model()
        #expect(model.rows.map(\.record.displayName) == [
            "Build Project", "Deploy devices", "Deploy to kiosk-1", "Deploy to kiosk-2", "Update Nix Flake",
            "Build Project", "Run SSH Command", "Build Project",
        ])
        #expect(model.selectedIndex == 0)
        _ = model.handle(key("j"))
        _ = model.handle(.key(.down))
        #expect(model.selectedRow?.record.displayName == "Deploy to kiosk-1")
        #expect(model.selectedRow?.depth == 1)
        _ = model.handle(key("k"))
        #expect(model.selectedIndex == 1)
        _ = model.handle(key("G"))
        #expect(model.selectedIndex == model.rows.count - 1)
        _ = model.handle(key("j"))
        #expect(model.selectedIndex == model.rows.count - 1, "stays on the last row")
        _ = model.handle(key("g"))
        #expect(model.selectedIndex == 0)
    }

    @Test("the selection follows its task when new tasks arrive above it")
    func selectionIsStable() {
        var model = Fixtures.model()
        _ = model.handle(key("j"))
        let selected = model.selectedID
        var (snapshot, _) = Fixtures.snapshot()
        snapshot.topLevel = model.snapshot.topLevel
        snapshot.children = model.snapshot.children
        snapshot.topLevel.insert(Fixtures.task("New task", state: .pending, minute: 10), at: 0)
        model.apply(.tasksLoaded(snapshot))
        #expect(model.selectedID == selected)
        #expect(model.selectedIndex == 2)
    }

    @Test("Tab and Enter focus the detail, Esc goes back to the list")
    func focus() {
        var model = Fixtures.model()
        #expect(model.focus == .list)
        _ = model.handle(.key(.tab))
        #expect(model.focus == .detail)
        _ = model.handle(.key(.escape))
        #expect(model.focus == .list)
        _ = model.handle(.key(.enter))
        #expect(model.focus == .detail)
        _ = model.handle(.key(.tab))
        #expect(model.focus == .list)
    }

    @Test("[ and ] cycle the tabs, 1-6 pick one")
    func tabs() {
        var model = Fixtures.model()
        #expect(model.tab == .nix)
        _ = model.handle(key("]"))
        #expect(model.tab == .stdout)
        _ = model.handle(key("]"))
        _ = model.handle(key("]"))
        #expect(model.tab == .plan)
        _ = model.handle(key("]"))
        #expect(model.tab == .submission)
        _ = model.handle(key("["))
        #expect(model.tab == .plan)
        _ = model.handle(key("6"))
        #expect(model.tab == .plan)
        _ = model.handle(key("2"))
        #expect(model.tab == .process)
        _ = model.handle(key("4"))
        #expect(model.tab == .stdout)
    }

    @Test("a log follows its end until scrolled up; G resumes following")
    func follow() {
        var model = Fixtures.model()
        _ = model.handle(key("4"))
        _ = model.handle(.key(.tab))
        model.apply(.detailLoaded(DetailFacts(tab: .stdout, lineCount: 1000)))
        let height = model.log.viewportHeight
        #expect(model.log.follow)
        #expect(model.log.top == 1000 - height)
        model.apply(.detailLoaded(DetailFacts(tab: .stdout, lineCount: 1010)))
        #expect(model.log.top == 1010 - height, "new output scrolls in")

        _ = model.handle(key("k"))
        #expect(!model.log.follow)
        #expect(model.log.top == 1010 - height - 1)
        model.apply(.detailLoaded(DetailFacts(tab: .stdout, lineCount: 1100)))
        #expect(model.log.top == 1010 - height - 1, "paused: new output does not move the view")

        _ = model.handle(.key(.pageUp))
        #expect(model.log.top == 1010 - 2 * height - 1)
        _ = model.handle(.ctrl("d"))
        #expect(model.log.top == 1010 - 2 * height - 1 + height / 2)
        _ = model.handle(key("g"))
        #expect(model.log.top == 0)
        _ = model.handle(key("j"))
        #expect(model.log.top == 1)
        _ = model.handle(key("G"))
        #expect(model.log.follow)
        #expect(model.log.top == 1100 - height)
    }

    @Test("a short log cannot be scrolled past its ends")
    func shortLog() {
        var model = Fixtures.model()
        _ = model.handle(.key(.tab))
        model.apply(.detailLoaded(DetailFacts(tab: .nix, lineCount: 3)))
        _ = model.handle(key("j"))
        #expect(model.log.top == 0)
        _ = model.handle(key("k"))
        #expect(model.log.top == 0)
    }

    @Test("w wraps, h/l scroll horizontally, each tab keeps its own state")
    func wrapAndHorizontal() {
        var model = Fixtures.model()
        _ = model.handle(.key(.tab))
        model.apply(.measured(model.tab, longestLine: 1_000))  // lines wider than the view
        _ = model.handle(key("l"))
        _ = model.handle(key("l"))
        #expect(model.log.horizontalOffset == 16)
        _ = model.handle(key("h"))
        #expect(model.log.horizontalOffset == 8)
        _ = model.handle(key("5"))
        #expect(model.log.horizontalOffset == 0)
        _ = model.handle(key("w"))
        #expect(model.log.wrap)
        _ = model.handle(key("3"))
        #expect(!model.log.wrap)
        #expect(model.log.horizontalOffset == 8)
    }

    @Test("a new selection resets the tabs to follow mode but keeps wrap")
    func selectionResetsLogs() {
        var model = Fixtures.model()
        _ = model.handle(key("w"))
        model.apply(.detailLoaded(DetailFacts(tab: .nix, lineCount: 500)))
        _ = model.handle(.key(.tab))
        _ = model.handle(key("k"))
        #expect(!model.log.follow)
        _ = model.handle(.key(.tab))
        _ = model.handle(key("j"))
        #expect(model.log.follow)
        #expect(model.log.wrap)
    }

    @Test("/ searches the tab; n and N ask for the next and previous match from the current one")
    func search() {
        var model = Fixtures.model()
        _ = model.handle(.key(.tab))
        model.apply(.detailLoaded(DetailFacts(tab: .nix, lineCount: 500)))
        _ = model.handle(key("/"))
        for c in "error" { _ = model.handle(key(c)) }
        guard case .prompt(let prompt)? = model.modal else { Issue.record("no prompt"); return }
        #expect(prompt.text == "error")
        let id = model.selectedID!
        let top = model.log.top
        #expect(model.handle(.key(.enter)) == [.search(task: id, tab: .nix, text: "error", from: top, direction: 1)])
        #expect(model.modal == nil)
        model.apply(.searchFinished(.nix, line: 42, message: "found"))
        #expect(model.log.currentMatch == 42)
        #expect(!model.log.follow)
        #expect((model.log.top..<(model.log.top + model.log.viewportHeight)).contains(42))
        #expect(model.handle(key("n")) == [.search(task: id, tab: .nix, text: "error", from: 43, direction: 1)])
        #expect(model.handle(key("N")) == [.search(task: id, tab: .nix, text: "error", from: 41, direction: -1)])
        model.apply(.searchFinished(.nix, line: 41, message: nil))
        _ = model.handle(.key(.escape))
        #expect(model.log.search == nil)
        #expect(model.focus == .detail)
    }

    @Test("/ in the list filters by text as it is typed; Esc clears it")
    func textFilter() {
        var model = Fixtures.model()
        _ = model.handle(key("/"))
        for c in "kiosk-2" { _ = model.handle(key(c)) }
        #expect(model.rows.map(\.record.displayName) == ["Deploy devices", "Deploy to kiosk-2"])
        _ = model.handle(.key(.enter))
        #expect(model.textFilter == "kiosk-2")
        _ = model.handle(.key(.escape))
        #expect(model.textFilter.isEmpty)
        #expect(model.rows.count == 8)
    }

    @Test("s cycles the state filter (cancelled apart from failed), t the type filter")
    func stateAndTypeFilters() {
        var model = Fixtures.model()
        #expect(model.handle(key("s")) == [.reloadTasks])
        #expect(model.stateFilter == .pending)
        #expect(model.rows.map(\.record.state) == [.pending])
        _ = model.handle(key("s"))
        #expect(model.stateFilter == .running)
        #expect(model.rows.map(\.record.displayName) == ["Build Project", "Deploy devices", "Deploy to kiosk-2"])
        _ = model.handle(key("s"))
        _ = model.handle(key("s"))
        #expect(model.stateFilter == .failed)
        #expect(model.rows.map(\.record.target) == ["broken"])
        _ = model.handle(key("s"))
        #expect(model.stateFilter == .cancelled)
        #expect(model.rows.map(\.record.displayName) == ["Run SSH Command"])
        _ = model.handle(key("s"))
        #expect(model.stateFilter == nil)

        _ = model.handle(key("t"))
        #expect(model.typeFilter == model.filterTypes.first)
        while model.typeFilter != nil && model.typeFilter != "build_project_task" { _ = model.handle(key("t")) }
        #expect(model.typeFilter == "build_project_task")
        #expect(model.rows.allSatisfy { $0.record.type == "build_project_task" })
        #expect(model.rows.count == 3)
    }

    @Test("space folds a parent's children away and back")
    func fold() {
        var model = Fixtures.model()
        _ = model.handle(key("j"))
        _ = model.handle(key("j"))
        #expect(model.selectedRow?.depth == 1)
        _ = model.handle(key(" "))
        #expect(model.selectedRow?.record.displayName == "Deploy devices")
        #expect(model.selectedRow?.isFolded == true)
        #expect(model.rows.count == 6)
        _ = model.handle(key(" "))
        #expect(model.rows.count == 8)
    }

    @Test("c asks before cancelling and only for a task that still runs")
    func cancel() {
        var model = Fixtures.model()
        let id = model.selectedID!
        _ = model.handle(key("c"))
        #expect(model.modal == .confirmCancel(taskID: id, name: "Build Project"))
        #expect(model.handle(key("n")) == [])
        #expect(model.modal == nil)
        _ = model.handle(key("c"))
        #expect(model.handle(key("y")) == [.cancel(id)])
        _ = model.handle(key("G"))
        #expect(model.handle(key("c")).isEmpty)
        #expect(model.modal == .confirmCancel(taskID: model.selectedID!, name: "Build Project"), "pending tasks can be cancelled")
        _ = model.handle(.key(.escape))
        _ = model.handle(key("k"))
        _ = model.handle(key("c"))
        #expect(model.modal == nil)
        #expect(model.status?.text.contains("already cancelled") == true)
    }

    @Test("r retries an ended task, not a running one")
    func retry() {
        var model = Fixtures.model()
        #expect(model.handle(key("r")) == [])
        #expect(model.status?.text.contains("still running") == true)
        _ = model.handle(key("G"))
        _ = model.handle(key("k"))
        #expect(model.handle(key("r")) == [.retry(model.selectedID!)])
    }

    @Test("q quits at once when nothing runs in this engine, asks when something does")
    func quit() {
        var model = Fixtures.model()
        #expect(model.handle(key("q")) == [.quit])
        model.apply(.countsLoaded([.running: 2]))
        #expect(model.handle(.ctrl("c")) == [])
        #expect(model.modal == .confirmQuit(running: 2))
        #expect(model.handle(key("n")) == [])
        _ = model.handle(key("q"))
        #expect(model.handle(key("y")) == [.quit])
        _ = model.handle(key("q"))
        #expect(model.handle(key("s")) == [.quit], "s stops them")
        _ = model.handle(key("q"))
        #expect(model.handle(key("k")) == [.quitKeepingTasks], "k keeps them running in the background")
        #expect(model.modal == nil)
        model.mode = .attached(pid: 42)
        #expect(model.handle(key("q")) == [.quit], "an attached dashboard never stops tasks")
    }

    @Test("--read-only hides every action")
    func readOnly() {
        var model = Fixtures.model(readOnly: true)
        for c in "crnS" { #expect(model.handle(key(c)) == []) }
        #expect(model.modal == nil)
        #expect(!model.keyMap.bindings.contains { $0.isTaskAction })
        #expect(!model.keyMap.footerHints(for: .list).contains { $0.text == "cancel" })
    }

    @Test("the new-task form shows the registry's error and submits only valid JSON")
    func newTaskForm() throws {
        let project = FileManager.default.temporaryDirectory.appendingPathComponent("dash-form-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: project, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: project) }
        var model = Fixtures.model()
        _ = model.handle(key("n"))
        // Nothing submitted yet: the menu opens on Build Project, not on the first type (Auto-update).
        let position = TaskKindRegistry.standard.types.firstIndex(of: "build_project_task")!
        #expect(model.modal == .newTaskMenu(selected: position))
        _ = model.handle(.key(.enter))
        guard case .newTaskForm(let form)? = model.modal else { Issue.record("no form"); return }
        #expect(form.type == "build_project_task")
        for c in project { _ = model.handle(key(c)) }
        #expect(model.handle(.key(.enter)) == [])
        guard case .newTaskForm(let refused)? = model.modal else { Issue.record("form closed"); return }
        #expect(refused.error?.contains("has no flake.nix") == true)
        try "{ outputs = { self }: {}; }".write(toFile: project + "/flake.nix", atomically: true, encoding: .utf8)
        let effects = model.handle(.key(.enter))
        #expect(model.modal == nil)
        guard case .submit(let json)? = effects.first else { Issue.record("nothing submitted"); return }
        #expect(json.contains("\"type\":\"build_project_task\""))
    }

    @Test("the nix section keys jump to where each level starts")
    func nixSections() {
        var model = Fixtures.model()
        _ = model.handle(key("4"))
        model.apply(.detailLoaded(DetailFacts(tab: .nix, lineCount: 400,
                                              nixSections: [.errors: 1, .warnings: 120, .notices: 200, .info: 210, .buildLog: 300])))
        _ = model.handle(key("W"))
        #expect(model.tab == .nix)
        #expect(model.log.top == 120)
        _ = model.handle(key("E"))
        #expect(model.log.top == 1)
    }

    @Test("the list scrolls to keep the selection visible at 40x10")
    func smallList() {
        var model = Fixtures.model(rows: 10, columns: 40)
        #expect(model.listHeight == 3)
        for _ in 0..<5 { _ = model.handle(key("j")) }
        #expect(model.selectedIndex == 5)
        #expect(model.listTop == 3)
        _ = model.handle(key("g"))
        #expect(model.listTop == 0)
    }

    @Test("the new-task menu opens on the type submitted last, kept across runs, else on Build Project (issue 30)")
    func newTaskMenuStart() throws {
        let types = TaskKindRegistry.standard.types
        var model = Fixtures.model()
        model.formDefaults = ["project_path": "/srv/fleet", "task_type": "run_nixos_vm_task"]
        _ = model.handle(key("n"))
        #expect(model.modal == .newTaskMenu(selected: types.firstIndex(of: "run_nixos_vm_task")!))
        _ = model.handle(.key(.escape))
        model.formDefaults = ["task_type": "no_such_task"]
        _ = model.handle(key("n"))
        #expect(model.modal == .newTaskMenu(selected: types.firstIndex(of: "build_project_task")!), "an unknown type: Build Project")

        // What a submit remembers goes into the file with what was there; values only.
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("forms-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let memory = FormMemory(stateDirectory: directory)
        try memory.remember(["project_path": "/srv/fleet"])
        try memory.remember(["task_type": "ssh_command_task"])
        #expect(memory.load() == ["project_path": "/srv/fleet", "task_type": "ssh_command_task"])
        var next = Fixtures.model()
        next.formDefaults = memory.load()
        _ = next.handle(key("n"))
        #expect(next.modal == .newTaskMenu(selected: types.firstIndex(of: "ssh_command_task")!))
    }

    @Test("! asks before running a pending task now; y hands it to the engine, n does nothing; other tasks only get a status")
    func runNowKey() {
        var model = Fixtures.model()
        let pending = model.rows.first { $0.record.state == .pending }!
        while model.selectedID != pending.id { _ = model.handle(key("j")) }
        #expect(model.handle(key("!")) == [])
        #expect(model.modal == .confirmRunNow(taskID: pending.id, name: "Build Project", pool: "nix"))
        _ = model.handle(key("n"))
        #expect(model.modal == nil)
        _ = model.handle(key("!"))
        #expect(model.handle(key("y")) == [.runNow(pending.id)])
        #expect(model.modal == nil)

        _ = model.handle(key("g"))  // the newest: running
        #expect(model.handle(key("!")) == [] && model.modal == nil)
        #expect(model.status?.text.contains("only a pending task can be run now") == true)

        var readOnly = Fixtures.model(readOnly: true)
        let readOnlyPending = readOnly.rows.first { $0.record.state == .pending }!.id
        while readOnly.selectedID != readOnlyPending { _ = readOnly.handle(key("j")) }
        #expect(readOnly.handle(key("!")) == [] && readOnly.modal == nil, "read-only: no task actions")
    }
}
