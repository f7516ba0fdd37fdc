import Foundation
import TaskEngine
import Testing
@testable import Dashboard

/// What a key can change in the model, compared before and after it.
private struct Observed: Equatable {
    var modal: Modal?
    var status: StatusMessage?
    var selectedID: UUID?
    var focus: Focus
    var tab: DetailTab
    var logs: TabViews
    var textFilter: String
    var stateFilter: TaskDisplayState?
    var typeFilter: String?
    var folded: Set<UUID>
    var rows: [UUID]
    var nixSource: NixSource

    init(_ model: DashboardModel) {
        modal = model.modal
        status = model.status
        selectedID = model.selectedID
        focus = model.focus
        tab = model.tab
        logs = model.logs
        textFilter = model.textFilter
        stateFilter = model.stateFilter
        typeFilter = model.typeFilter
        folded = model.folded
        rows = model.rows.map(\.id)
        nixSource = model.nixSource
    }
}

@Suite("Key map: the one table of keys")
struct KeyMapTests {
    /// Every key a terminal can send us, as far as the dashboard's input vocabulary goes.
    static let everyKey: [InputEvent] = {
        var events: [InputEvent] = (32...126).map { .character(Character(Unicode.Scalar(UInt8($0)))) }
        events += ["é", "漢"].map { .character($0) }
        events += "abcdefghijklmnopqrstuvwxyz@".map { .ctrl($0) }
        let keys: [InputEvent.Key] = [.up, .down, .left, .right, .pageUp, .pageDown, .home, .end, .enter, .tab, .backTab,
                                      .escape, .backspace, .delete, .insert] + (1...12).map { .function($0) }
        events += keys.map { .key($0) }
        return events
    }()

    /// A model in `context`, with something in it for keys to change (a search, a filter, lines).
    static func model(in context: KeyContext) -> DashboardModel {
        var model = Fixtures.model()
        model.apply(.countsLoaded([.running: 2]))
        model.apply(.detailLoaded(DetailFacts(tab: .nix, lineCount: 500, derivationsPerProcess: [2, 3])))
        switch context {
        case .list: break
        case .detail: _ = model.handle(.key(.tab))
        case .help: model.modal = .help(offset: 3)
        case .confirmCancel: model.modal = .confirmCancel(taskID: model.selectedID!, name: "Build Project")
        case .confirmQuit: model.modal = .confirmQuit(running: 2)
        case .confirmDeployPlan: model.modal = .confirmDeployPlan(plan: model.selectedID!, json: "{}", summary: "Deploy commit abc to the 2 devices of plan 1234?")
        case .confirmRunNow: model.modal = .confirmRunNow(taskID: model.selectedID!, name: "Build Project", pool: "nix")
        case .newTaskMenu: model.modal = .newTaskMenu(selected: 1)
        case .newTaskForm:
            var form = TaskForms.form(for: "build_project_task", typeName: "Build Project")
            form.fields[0].value = "/x"
            model.modal = .newTaskForm(form)
        case .prompt: model.modal = .prompt(Prompt(purpose: .search, text: "err"))
        case .reportSaved: model.modal = .reportSaved(path: "/state/reports/r.md", bytes: 120)
        case .deviceChecklist:
            var form = TaskForms.form(for: "deploy_devices_task", typeName: "Deploy Devices")
            form.fields[0].value = "/x"
            var checklist = ProjectChecklist(projectPath: "/x")
            checklist.entries = ["kiosk-1", "kiosk-2"].map { ProjectChecklist.Entry(identifier: $0, detail: "root@\($0):22", json: .object([:])) }
            form.checklist = checklist
            form.focusedField = form.checklistStop
            model.modal = .newTaskForm(form)
        case .configurationList:
            var form = TaskForms.form(for: "build_device_image_task", typeName: "Build Image for Device")
            form.fields[0].value = "/x"
            var checklist = ProjectChecklist(projectPath: "/x", listing: .configurations, single: true, cursorChooses: true)
            checklist.entries = ["kiosk", "gateway"].map { ProjectChecklist.Entry(identifier: $0, detail: "", json: .string($0)) }
            checklist.cursor = 1
            form.checklist = checklist
            form.focusedField = form.fields.count
            model.modal = .newTaskForm(form)
        }
        #expect(model.keyContext == context)
        return model
    }

    @Test("every key the model reacts to, in every pane and dialog, is in the key table")
    func everyReactionIsBound() {
        for context in KeyContext.allCases {
            let keyMap = Self.model(in: context).keyMap
            var reacted = 0
            for event in Self.everyKey {
                var model = Self.model(in: context)
                let before = Observed(model)
                let effects = model.handle(event)
                let changed = !effects.isEmpty || Observed(model) != before
                if changed { reacted += 1 }
                if keyMap.action(for: event, in: context) == nil {
                    #expect(!changed, "\(event) changes the model in \(context) but is not in the key map")
                }
            }
            #expect(reacted > 0, "no key does anything in \(context)")
        }
    }

    @Test("help lists every binding, dialogs included, with Ctrl-u and Ctrl-d where they work")
    func helpListsEveryBinding() {
        let theme = Theme(ascii: false, color: true)
        let help = HelpView.lines(keyMap: KeyMap(), theme: theme).map { $0.map(\.text).joined() }
        for binding in KeyMap().bindings {
            #expect(help.contains { $0.contains(binding.label) && $0.contains(binding.description) }, "\(binding.description)")
        }
        for title in ["In this help", "Cancel dialog", "Quit dialog", "New-task menu", "New-task form", "Build Image / Run VM form: configuration list",
                      "Typing (form and prompts)"] {
            #expect(help.contains(title))
        }
        let keyMap = KeyMap()
        #expect(keyMap.action(for: .ctrl("u"), in: .prompt) == .clearText)
        #expect(keyMap.action(for: .ctrl("u"), in: .newTaskForm) == .clearText)
        for context in [KeyContext.newTaskForm, .prompt] {
            #expect(keyMap.action(for: .key(.left), in: context) == .moveCursor(.left))
            #expect(keyMap.action(for: .key(.right), in: context) == .moveCursor(.right))
            #expect(keyMap.action(for: .key(.home), in: context) == .moveCursor(.start))
            #expect(keyMap.action(for: .ctrl("a"), in: context) == .moveCursor(.start))
            #expect(keyMap.action(for: .key(.end), in: context) == .moveCursor(.end))
            #expect(keyMap.action(for: .ctrl("e"), in: context) == .moveCursor(.end))
            #expect(keyMap.action(for: .key(.backspace), in: context) == .eraseCharacter)
            #expect(keyMap.action(for: .key(.delete), in: context) == .eraseForward)
        }
        #expect(keyMap.action(for: .key(.left), in: .configurationList) == nil, "no text cursor on a list")
        #expect(keyMap.action(for: .ctrl("d"), in: .help) == .dialogPage(1))
        #expect(keyMap.action(for: .ctrl("u"), in: .help) == .dialogPage(-1))
    }

    @Test("in the help, Ctrl-d and Ctrl-u page; in a prompt, Ctrl-u clears the line")
    func dialogKeys() {
        var model = Self.model(in: .help)
        _ = model.handle(.ctrl("d"))
        #expect(model.modal == .help(offset: 3 + 36))
        _ = model.handle(.ctrl("u"))
        #expect(model.modal == .help(offset: 3))
        model = Self.model(in: .prompt)
        _ = model.handle(.ctrl("u"))
        #expect(model.modal == .prompt(Prompt(purpose: .search, text: "")))
        _ = model.handle(.character("q"))
        #expect(model.modal == .prompt(Prompt(purpose: .search, text: "q")), "q is typed, not quit")
    }

    @Test("the dialogs' key lines come from the key map")
    func dialogKeyLines() {
        let terminal = MemoryTerminal(rows: 40, columns: 120)
        var model = Self.model(in: .confirmCancel)
        DashboardScreen(theme: Theme(ascii: false, color: true)).draw(on: terminal, model: model, content: nil, now: Fixtures.start)
        #expect(terminal.lines.contains { $0.contains("y cancel it   n keep it running") })
        model = Self.model(in: .newTaskMenu)
        terminal.erase()
        DashboardScreen(theme: Theme(ascii: false, color: true)).draw(on: terminal, model: model, content: nil, now: Fixtures.start)
        #expect(terminal.lines.contains { $0.contains("Which task? Enter choose, Esc close") })
    }
}
