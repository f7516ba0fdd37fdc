import Foundation
@testable import TaskEngine
import Testing
@testable import Dashboard

/// Build Image and Run VM in the `n` menu: the project path, then one of the configurations its
/// project file names, picked with the arrows (as `submit build-image/run-vm --configuration`);
/// typed only when the file names none. And editing inside a field with the cursor keys, drawn
/// by the real loop on a MemoryTerminal.
@Suite("Build Image and Run VM forms: configurations from the project file; editing at the cursor")
struct ConfigurationFormTests {
    /// A project with a flake, and (`withFile`) a project file: kiosk on two devices, gateway on
    /// its own, lab only under `configurations`.
    static func project(withFile: Bool, name: String = "fleet") throws -> (root: String, project: String) {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("dash-config-\(UUID().uuidString.prefix(8))").path
        let project = root + "/" + name
        try FileManager.default.createDirectory(atPath: project, withIntermediateDirectories: true)
        try "{ outputs = { self }: { nixosConfigurations = {}; }; }\n".write(toFile: project + "/flake.nix", atomically: true, encoding: .utf8)
        if withFile {
            let file = #"""
            {"devices": [{"identifier": "kiosk-1", "configuration": "kiosk", "host": "10.0.0.1"},
                         {"identifier": "kiosk-2", "configuration": "kiosk", "host": "10.0.0.2"},
                         {"identifier": "gateway", "host": "10.0.0.254"}],
             "configurations": {"lab": {"image_attribute": "config.system.build.isoImage"}},
             "ssh": {"known_hosts": "known_hosts"}}
            """#
            try file.write(toFile: project + "/thymis-project.json", atomically: true, encoding: .utf8)
        }
        return (root, project)
    }

    static func openForm(_ type: String, in model: inout DashboardModel) {
        _ = model.handle(.character("n"))
        // From the top: the menu opens on the type submitted last.
        for _ in TaskKindRegistry.standard.types { _ = model.handle(.character("k")) }
        for _ in 0..<TaskKindRegistry.standard.types.firstIndex(of: type)! { _ = model.handle(.character("j")) }
        _ = model.handle(.key(.enter))
    }

    static func type(_ text: String, into model: inout DashboardModel) {
        for c in text { _ = model.handle(.character(c)) }
    }

    static func submitted(_ effects: [DashboardEffect]) throws -> [String: Any] {
        guard case .submit(let json)? = effects.first else { Issue.record("nothing submitted: \(effects)"); return [:] }
        return try JSONSerialization.jsonObject(with: Data(json.utf8)) as! [String: Any]
    }

    @Test("Build Image: Tab lists the file's configurations with their devices, j picks gateway, Enter submits it")
    func buildImagePicksAConfiguration() throws {
        let (root, project) = try Self.project(withFile: true)
        defer { try? FileManager.default.removeItem(atPath: root) }
        var model = Fixtures.model()
        Self.openForm("build_device_image_task", in: &model)
        guard case .newTaskForm(let empty)? = model.modal else { Issue.record("no form"); return }
        #expect(empty.fields.map(\.name) == ["project_path"], "no typed configuration while the file can list them")
        Self.type(project, into: &model)
        _ = model.handle(.key(.tab))
        #expect(model.keyContext == .configurationList)
        guard case .newTaskForm(let form)? = model.modal, let list = form.checklist else { Issue.record("no list"); return }
        #expect(list.entries.map(\.identifier) == ["kiosk", "gateway", "lab"])
        #expect(list.entries.map(\.detail) == ["kiosk-1, kiosk-2", "", "no device runs it"])
        _ = model.handle(.character("j"))
        _ = model.handle(.character(" "))  // not bound here: the cursor is the choice
        let effects = model.handle(.key(.enter))
        #expect(model.modal == nil)
        let submission = try Self.submitted(effects)
        #expect(submission["type"] as? String == "build_device_image_task")
        #expect(submission["device_identifier"] as? String == "gateway")
        #expect(submission["project_path"] as? String == project)
        #expect(effects.contains(.rememberFormValues(["project_path": project, "task_type": "build_device_image_task"])))

        // The remembered project opens the next form on its list; k from the first entry goes to the path.
        Self.openForm("run_nixos_vm_task", in: &model)
        #expect(model.keyContext == .configurationList)
        _ = model.handle(.character("k"))
        #expect(model.keyContext == .newTaskForm)
    }

    @Test("Run VM without a project file: a typed Configuration field and a message say why; an empty name is refused")
    func runVMFallsBackToTyping() throws {
        let (root, project) = try Self.project(withFile: false)
        let (otherRoot, withFile) = try Self.project(withFile: true)
        defer {
            try? FileManager.default.removeItem(atPath: root)
            try? FileManager.default.removeItem(atPath: otherRoot)
        }
        var model = Fixtures.model()
        Self.openForm("run_nixos_vm_task", in: &model)
        Self.type(project, into: &model)
        _ = model.handle(.key(.tab))
        guard case .newTaskForm(let form)? = model.modal else { Issue.record("no form"); return }
        #expect(form.fields.map(\.name) == ["project_path", "configuration_id"])
        #expect(form.focusedField == 1, "Tab lands in the typed field")
        #expect(model.keyContext == .newTaskForm)
        #expect(form.checklist?.problem?.contains("no thymis-project.json in \(project)") == true, "\(form.checklist?.problem ?? "")")
        #expect(model.handle(.key(.enter)) == [])
        guard case .newTaskForm(let refused)? = model.modal else { Issue.record("form closed"); return }
        #expect(refused.error == "type the configuration's name: the project file gives none to pick")

        // Pointing the path at a project with a file swaps the typed field for its list, and back.
        _ = model.handle(.key(.up))
        _ = model.handle(.ctrl("u"))
        Self.type(withFile, into: &model)
        _ = model.handle(.key(.tab))
        #expect(model.keyContext == .configurationList)
        guard case .newTaskForm(let listed)? = model.modal else { Issue.record("no form"); return }
        #expect(listed.fields.map(\.name) == ["project_path"])
        _ = model.handle(.key(.tab))
        _ = model.handle(.ctrl("u"))
        Self.type(project, into: &model)
        _ = model.handle(.key(.tab))
        Self.type("kiosk", into: &model)
        let submission = try Self.submitted(model.handle(.key(.enter)))
        #expect(submission["type"] as? String == "run_nixos_vm_task")
        #expect(submission["configuration_id"] as? String == "kiosk")
    }

    @Test("through the loop: Home, End, ←/→, Ctrl-a/e, Backspace and Delete edit a long path at the visible cursor; Tab draws the list")
    func editingInTheLoop() throws {
        let (root, project) = try Self.project(withFile: true, name: "a-fleet-project-with-a-rather-long-directory-name-that-scrolls/fleet")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let store = try TaskStore(directory: StateDirectory(path: root + "/state"))
        let terminal = MemoryTerminal(rows: 30, columns: 100)
        let loop = DashboardLoop(terminal: terminal, store: store, model: DashboardModel(size: terminal.size), mailbox: Mailbox(), connection: .none)
        try loop.start()
        func press(_ events: InputEvent...) { for event in events { loop.handle(event) }; loop.render() }
        /// The field's row, the text after its label, the cursor's column in that text.
        func field() throws -> (value: String, cursor: Int) {
            let row = try #require(terminal.lines.firstIndex { $0.contains("Project path: ") })
            let line = terminal.lines[row]
            let start = line.distance(from: line.startIndex, to: line.range(of: "Project path: ")!.upperBound)
            let cursor = try #require(terminal.cursor, "the cursor is shown in the field")
            #expect(cursor.row == row)
            let value = String(line.dropFirst(start)).replacingOccurrences(of: "│", with: "").trimmingCharacters(in: .whitespaces)
            return (value, cursor.column - start)
        }

        press(.character("n"))
        // From the top: the menu opens on Build Project.
        for _ in TaskKindRegistry.standard.types { press(.character("k")) }
        for _ in 0..<TaskKindRegistry.standard.types.firstIndex(of: "build_device_image_task")! { press(.character("j")) }
        press(.key(.enter))
        for c in project { loop.handle(.character(c)) }
        press()
        var shown = try field()
        #expect(shown.value.hasPrefix("…") && shown.value.hasSuffix("-that-scrolls/fleet"), "typing shows the end: \(shown.value)")
        #expect(shown.cursor == shown.value.count, "the cursor after the text")

        press(.key(.home))
        shown = try field()
        #expect(shown.value.hasPrefix(String(root.prefix(10))) && shown.value.hasSuffix("…"), "Home shows the start: \(shown.value)")
        #expect(shown.cursor == 0)
        press(.key(.delete))
        #expect(try field().value.hasPrefix(String(root.dropFirst().prefix(10))), "Delete took the first /")
        press(.character("/"), .key(.right), .key(.right))
        shown = try field()
        #expect(shown.value.hasPrefix(String(root.prefix(10))))
        #expect(shown.cursor == 3, "typed at the start, then two steps right")

        press(.ctrl("e"))
        #expect(try field().value.hasSuffix("scrolls/fleet"))
        press(.key(.left), .key(.left), .key(.left), .key(.left), .key(.left), .key(.backspace))
        shown = try field()
        #expect(shown.value.hasSuffix("scrollsfleet"), "Backspace took the / before the cursor: \(shown.value)")
        #expect(shown.value.dropFirst(shown.cursor).hasPrefix("fleet"), "the cursor on the f: \(shown.cursor) in \(shown.value)")
        press(.character("/"), .ctrl("a"), .ctrl("e"))
        shown = try field()
        #expect(shown.value.hasSuffix("-that-scrolls/fleet") && shown.cursor == shown.value.count)

        press(.key(.tab))
        #expect(terminal.lines.contains { $0.contains("Configuration: 3 in the project file") }, "\(terminal.lines.joined(separator: "\n"))")
        #expect(terminal.lines.contains { $0.contains("(*) kiosk  kiosk-1, kiosk-2") })
        #expect(terminal.lines.contains { $0.contains("( ) gateway") })
        #expect(terminal.lines.contains { $0.contains("j move, Tab next field, Enter submit, Esc back") }, "the list's keys from the key map")
        #expect(terminal.cursor == nil, "no text cursor on the list")
        press(.key(.down), .key(.down))
        #expect(terminal.lines.contains { $0.contains("(*) lab  no device runs it") })
        press(.key(.enter))
        #expect(loop.model.modal == nil, "the registry took it; the footer says no engine runs")
        // The submit runs in the background and reports through the mailbox.
        for _ in 0..<100 where !terminal.lines.contains(where: { $0.contains("no engine runs") }) {
            Thread.sleep(forTimeInterval: 0.02)
            loop.step(waitLimit: 0)
            loop.render()
        }
        #expect(terminal.lines.contains { $0.contains("no engine runs") }, "\(terminal.lines.joined(separator: "\n"))")
    }

    @Test("the search prompt edits at the cursor too, drawn as a reverse-video cell on the character")
    func promptCursor() {
        let terminal = MemoryTerminal(rows: 20, columns: 60)
        var model = Fixtures.model(rows: 20, columns: 60)
        _ = model.handle(.key(.tab))
        _ = model.handle(.character("/"))
        for c in "eror" { _ = model.handle(.character(c)) }
        _ = model.handle(.key(.left))
        _ = model.handle(.key(.left))
        _ = model.handle(.character("r"))
        guard case .prompt(let prompt)? = model.modal else { Issue.record("no prompt"); return }
        #expect(prompt.text == "error")
        #expect(prompt.line.cursor == 3, "after the r typed in the middle")
        DashboardScreen(theme: Theme(ascii: false, color: true)).draw(on: terminal, model: model, content: nil, now: Fixtures.start)
        let row = model.layout.footerRow
        #expect(terminal.line(row) == "search: error")
        let cursorColumn = "search: err".count
        #expect(terminal.cell(row: row, column: cursorColumn).text == "o")
        #expect(terminal.cell(row: row, column: cursorColumn).style.reverse)
        #expect(!terminal.cell(row: row, column: cursorColumn - 1).style.reverse)

        // A search longer than the footer: its end while typing, its start after Home.
        _ = model.handle(.key(.end))
        for c in String(repeating: "x", count: 80) + "END" { _ = model.handle(.character(c)) }
        terminal.erase()
        DashboardScreen(theme: Theme(ascii: false, color: true)).draw(on: terminal, model: model, content: nil, now: Fixtures.start)
        #expect(terminal.line(row).hasPrefix("search: …") && terminal.line(row).hasSuffix("xxEND"), "\(terminal.line(row))")
        #expect(terminal.cell(row: row, column: 59).style.reverse, "the cursor in the last column")
        _ = model.handle(.ctrl("a"))
        terminal.erase()
        DashboardScreen(theme: Theme(ascii: false, color: true)).draw(on: terminal, model: model, content: nil, now: Fixtures.start)
        #expect(terminal.line(row).hasPrefix("search: err") && terminal.line(row).hasSuffix("…"), "\(terminal.line(row))")
        #expect(TerminalText.displayWidth(of: terminal.line(row)) == 60)
        #expect(terminal.cell(row: row, column: "search: ".count).style.reverse)
    }
}
