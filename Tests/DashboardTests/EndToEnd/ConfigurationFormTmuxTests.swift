import Foundation
import Testing
import TaskEngine

/// Build Image and Run VM from the `n` menu in a real terminal: the path edited with the cursor
/// keys as tmux sends them (Home, End, arrows, Ctrl-a/e, Backspace, Delete), then a configuration
/// picked from the project file, or typed when there is no project file.
@Suite("Build Image and Run VM forms in tmux", .serialized, .enabled(if: Executable.path != nil && FileManager.default.isExecutableFile(atPath: TmuxSession.tmux)))
struct ConfigurationFormTmuxTests {
    /// A project (flake.nix) under a long directory name; with a project file of kiosk (two
    /// devices) and gateway when `withFile`.
    static func project(withFile: Bool) throws -> (root: String, project: String) {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("dash-image-\(UUID().uuidString.prefix(8))").path
        let project = root + "/a-fleet-project-with-a-rather-long-directory-name-to-scroll-inside-the-field/fleet"
        try FileManager.default.createDirectory(atPath: project, withIntermediateDirectories: true)
        try "{ outputs = { self }: { nixosConfigurations = {}; }; }\n".write(toFile: project + "/flake.nix", atomically: true, encoding: .utf8)
        if withFile {
            let devices: [[String: Any]] = [["identifier": "kiosk-1", "configuration": "kiosk", "host": "10.0.0.1"],
                                            ["identifier": "kiosk-2", "configuration": "kiosk", "host": "10.0.0.2"],
                                            ["identifier": "gateway", "host": "10.0.0.254"]]
            let file: [String: Any] = ["devices": devices, "ssh": ["known_hosts": "known_hosts"]]
            try JSONSerialization.data(withJSONObject: file).write(to: URL(fileURLWithPath: project + "/thymis-project.json"))
        }
        return (root, project)
    }

    /// The dashboard on `state`, with the form of `type` open.
    static func openForm(_ type: String, state: String) async throws -> TmuxSession {
        let command = "LANG=C.UTF-8 THYMIS_TASKS_NIX_CONFIG='substituters =' \(Executable.path!) --state-dir \(state); sleep 30"
        let session = try await TmuxSession(command: command, columns: 100, rows: 30)
        try await session.waitFor { $0.contains(text: "engine: this process") }
        try await session.openNewTaskForm(type)
        try await session.waitFor { $0.contains(text: "New task: \(TaskKindRegistry.standard.typeName(of: type))") }
        return session
    }

    /// The text of the field labelled `label` and the cursor's column in it, once `predicate`
    /// holds for both (or after 10 s: the last seen, for the expectations to report).
    @discardableResult
    static func field(_ session: TmuxSession, label: String = "Project path: ",
                      until predicate: (_ value: String, _ cursor: Int) -> Bool) async throws -> (value: String, cursor: Int) {
        let deadline = Date().addingTimeInterval(10)
        var shown: (value: String, cursor: Int) = ("", -1)
        repeat {
            let screen = try await session.capture()
            let cursor = try await session.cursor()
            if let row = screen.firstIndex(where: { $0.contains(label) }), cursor.visible, cursor.row == row {
                let line = screen[row]
                let start = line.range(of: label)!.upperBound
                shown = (line[start...].replacingOccurrences(of: "│", with: "").trimmingCharacters(in: .whitespaces),
                         cursor.column - line.distance(from: line.startIndex, to: start))
                if predicate(shown.value, shown.cursor) { return shown }
            }
            try await Task.sleep(for: .milliseconds(100))
        } while Date() < deadline
        return shown
    }

    @Test("Build Image: a typo fixed with Backspace, the path edited at Home and End, then gateway picked with ↓ from the project file and submitted")
    func buildImage() async throws {
        let (root, project) = try Self.project(withFile: true)
        defer { try? FileManager.default.removeItem(atPath: root) }
        let state = root + "/state"
        let session = try await Self.openForm("build_device_image_task", state: state)
        defer { session.close() }

        try await session.send("-l", project + "Q")
        var shown = try await Self.field(session) { value, _ in value.hasSuffix("/fleetQ") }
        try await session.send("BSpace")
        shown = try await Self.field(session) { value, _ in value.hasSuffix("-field/fleet") }
        #expect(shown.value.hasPrefix("…") && shown.cursor == shown.value.count, "the end in view, the cursor after it: \(shown)")

        // Home: the start of the path in view, the cursor on its first character; Delete takes it.
        try await session.send("Home")
        shown = try await Self.field(session) { value, _ in value.hasPrefix("/tmp/") }
        #expect(shown.value.hasSuffix("…") && shown.cursor == 0, "\(shown)")
        try await session.send("DC")
        shown = try await Self.field(session) { value, _ in value.hasPrefix("tmp/") }
        #expect(shown.cursor == 0)
        try await session.send("-l", "/")
        try await session.send("Right")
        try await session.send("Right")
        shown = try await Self.field(session) { value, cursor in value.hasPrefix("/tmp/") && cursor == 3 }
        #expect(shown.cursor == 3, "typed / at the start, then two to the right: \(shown)")

        // Ctrl-e to the end, ← five times: the cursor on the f of fleet; Ctrl-a/Ctrl-e jump.
        try await session.send("C-e")
        for _ in 0..<5 { try await session.send("Left") }
        shown = try await Self.field(session) { value, cursor in value.hasSuffix("/fleet") && cursor == value.count - 5 }
        #expect(shown.value.dropFirst(shown.cursor).hasPrefix("fleet"), "the cursor on the f: \(shown)")
        try await session.send("C-a")
        shown = try await Self.field(session) { value, cursor in value.hasPrefix("/tmp/") && cursor == 0 }
        #expect(shown.cursor == 0)
        try await session.send("End")
        shown = try await Self.field(session) { value, cursor in value.hasSuffix("/fleet") && cursor == value.count }
        #expect(shown.cursor == shown.value.count)

        // Tab: the project file's configurations; ↓ picks gateway; Enter submits it.
        try await session.send("Tab")
        var screen = try await session.waitFor { $0.contains(text: "Configuration: 2 in the project file") }
        #expect(screen.contains(text: "(*) kiosk  kiosk-1, kiosk-2"), "\(screen.joined(separator: "\n"))")
        #expect(screen.contains(text: "( ) gateway"))
        #expect(screen.contains(text: "j move, Tab next field, Enter submit, Esc back"), "the list's keys from the key map")
        #expect(!screen.contains(text: "Configuration: nixosConfigurations name"), "no typed field while the file lists configurations")
        #expect(try await session.cursor().visible == false, "no text cursor on the list")
        try await session.send("Down")
        try await session.waitFor { $0.contains(text: "(*) gateway") }
        try await session.send("Enter")
        screen = try await session.waitFor { !$0.contains(text: "New task:") }
        #expect(!screen.contains(text: "New task:"), "the form closed on submit: \(screen.joined(separator: "\n"))")
        let submission = try #require(try await submissionOfNewest("build_device_image_task", state: state))
        #expect(submission.contains("\"device_identifier\":\"gateway\"") || submission.contains("\"device_identifier\" : \"gateway\""), "\(submission)")
        #expect(submission.contains(project))
    }

    @Test("Run VM without a project file: the form says so and takes the configuration typed")
    func runVMTyped() async throws {
        let (root, project) = try Self.project(withFile: false)
        defer { try? FileManager.default.removeItem(atPath: root) }
        let state = root + "/state"
        let session = try await Self.openForm("run_nixos_vm_task", state: state)
        defer { session.close() }

        try await session.send("-l", project)
        try await Self.field(session) { value, _ in value.hasSuffix("-field/fleet") }
        try await session.send("Tab")
        let screen = try await session.waitFor { $0.contains(text: "No configuration to pick from the project file: type its name above") }
        #expect(screen.contains(text: "thymis-project.json in"), "the reason: \(screen.joined(separator: "\n"))")
        let top = try #require(screen.firstIndex { $0.contains("New task: Run NixOS VM") })
        let bottom = try #require(screen.firstIndex { $0.contains("└") })
        #expect(screen[top + 1..<bottom].allSatisfy { $0.trimmingCharacters(in: .whitespaces).hasSuffix("│") },
                "the message wraps inside the box: \(screen.joined(separator: "\n"))")
        #expect(screen.contains(text: "docs/project.md))."), "the whole reason is shown, wrapped")
        let typed = try await Self.field(session, label: "Configuration: ") { value, _ in value == "nixosConfigurations name" }
        #expect(typed.cursor == 0, "the cursor in the empty Configuration field: \(typed)")
        try await session.send("-l", "kiosk")
        let kiosk = try await Self.field(session, label: "Configuration: ") { value, _ in value == "kiosk" }
        #expect(kiosk == ("kiosk", 5))
        try await session.send("Enter")
        let after = try await session.waitFor { !$0.contains(text: "New task:") }
        #expect(!after.contains(text: "New task:"), "the form closed on submit: \(after.joined(separator: "\n"))")
        let submission = try #require(try await submissionOfNewest("run_nixos_vm_task", state: state))
        #expect(submission.contains("\"configuration_id\":\"kiosk\"") || submission.contains("\"configuration_id\" : \"kiosk\""), "\(submission)")
    }
}
