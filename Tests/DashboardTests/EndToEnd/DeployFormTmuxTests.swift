import Foundation
import Testing
import TaskEngine

/// The `n` menu's deploy forms in a real terminal: the project path typed visibly (cursor shown,
/// a long path scrolled inside the field), the devices ticked from the project file, the path
/// remembered for the next form.
@Suite("Deploy forms in tmux", .serialized, .enabled(if: Executable.path != nil && FileManager.default.isExecutableFile(atPath: TmuxSession.tmux)))
struct DeployFormTmuxTests {
    /// A git project (flake.nix committed) under a long directory name, with a project file of three devices.
    static func project() throws -> (root: String, project: String) {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("dash-deploy-\(UUID().uuidString.prefix(8))").path
        let project = root + "/a-fleet-project-with-a-rather-long-directory-name-to-scroll-inside-the-field/fleet"
        try FileManager.default.createDirectory(atPath: project, withIntermediateDirectories: true)
        try "{ outputs = { self }: { nixosConfigurations = {}; }; }\n".write(toFile: project + "/flake.nix", atomically: true, encoding: .utf8)
        try "not a real key\n".write(toFile: root + "/id_ed25519", atomically: true, encoding: .utf8)
        let devices: [[String: Any]] = ["kiosk-1", "kiosk-2", "kiosk-3"].enumerated().map { index, name in
            ["identifier": name, "host": "10.0.0.\(index + 1)", "host_key": "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFakeKeyForTheFormTestOnly\(index)"]
        }
        let file: [String: Any] = ["devices": devices, "ssh": ["identity": root + "/id_ed25519"]]
        try JSONSerialization.data(withJSONObject: file).write(to: URL(fileURLWithPath: project + "/thymis-project.json"))
        for arguments in [["init", "-q"], ["add", "flake.nix"],
                          ["-c", "user.email=t@example.invalid", "-c", "user.name=t", "commit", "-q", "-m", "initial"]] {
            let result = try runBlocking("/usr/bin/git", ["-C", project] + arguments)
            #expect(result.status == 0, "git \(arguments): \(result.output)")
        }
        return (root, project)
    }

    @Test("Deploy Devices: type the path with the cursor shown, tick two of three devices, submit; the next form remembers the project")
    func deployDevicesForm() async throws {
        let (root, project) = try Self.project()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let state = root + "/state"
        let command = "LANG=C.UTF-8 THYMIS_TASKS_NIX_CONFIG='substituters =' \(Executable.path!) --state-dir \(state); sleep 30"
        let session = try await TmuxSession(command: command, columns: 100, rows: 30)
        defer { session.close() }
        try await session.waitFor { $0.contains(text: "engine: this process") }

        try await session.openNewTaskForm("deploy_devices_task")
        var screen = try await session.waitFor { $0.contains(text: "New task: Deploy Devices") }
        #expect(!screen.contains(text: "\"type\""), "no raw JSON template: \(screen.joined(separator: "\n"))")
        #expect(screen.contains(text: "Project path: git repository"))

        // Typed visibly: the end of the long path stays in view, the cursor right after it.
        try await session.send("-l", project)
        screen = try await session.waitFor { $0.contains(text: "-inside-the-field/fleet") }
        let fieldRow = try #require(screen.firstIndex { $0.contains("Project path:") })
        #expect(screen[fieldRow].contains("…"), "a path longer than the field is cut at its start: \(screen[fieldRow])")
        #expect(!screen[fieldRow].contains(root), "the start of the path scrolled out")
        let cursor = try await session.cursor()
        #expect(cursor.visible, "the cursor is shown in the field")
        #expect(cursor.row == fieldRow)
        let textEnd = screen[fieldRow].range(of: "/fleet")!.upperBound
        #expect(cursor.column == screen[fieldRow].distance(from: screen[fieldRow].startIndex, to: textEnd),
                "the cursor sits after the typed text: column \(cursor.column) of \(screen[fieldRow])")

        // Tab reads the project file: its devices, none ticked; Space ticks, j moves.
        try await session.send("Tab")
        // Wait for the rows, not only the count: under load tmux can capture a frame drawn half-way.
        screen = try await session.waitFor { $0.contains(text: "0 of 3 ticked") && $0.contains(text: "[ ] kiosk-1  root@10.0.0.1:22") }
        #expect(screen.contains(text: "[ ] kiosk-1  root@10.0.0.1:22"), "\(screen.joined(separator: "\n"))")
        #expect(screen.contains(text: "Space tick"), "the footer of the device list comes from the key map")
        #expect(try await session.cursor().visible == false, "no text cursor on the device list")
        try await session.send("Enter")
        screen = try await session.waitFor { $0.contains(text: "tick a device with Space") }
        try await session.send("a")
        try await session.waitFor { $0.contains(text: "3 of 3 ticked") }
        try await session.send("j")
        try await session.send("Space")
        screen = try await session.waitFor { $0.contains(text: "2 of 3 ticked") }
        #expect(screen.contains(text: "[x] kiosk-1"))
        #expect(screen.contains(text: "[ ] kiosk-2"))
        #expect(screen.contains(text: "[x] kiosk-3"))
        try await session.send("Enter")
        screen = try await session.waitFor { !$0.contains(text: "New task: Deploy Devices") && $0.contains(text: "Deploy Devices") }
        #expect(!screen.contains(text: "New task:"), "the form closed on submit: \(screen.joined(separator: "\n"))")

        // The submission has the ticked devices and the project file's key, as `submit deploy` makes it.
        let listed = try await run(Executable.path!, ["list", "--state-dir", state, "--json"])
        #expect(listed.output.contains("deploy_devices_task"))
        let submission = try #require(try await submissionOfNewest("deploy_devices_task", state: state))
        #expect(submission.contains("\"kiosk-1\"") && submission.contains("\"kiosk-3\"") && !submission.contains("\"kiosk-2\""), "\(submission)")
        #expect(submission.contains(root + "/id_ed25519"))

        // Remembered in the state directory, values only.
        let memory = try String(contentsOfFile: state + "/dashboard-forms.json", encoding: .utf8)
        #expect(memory == "{\"project_path\":\"\(project)\",\"task_type\":\"deploy_devices_task\"}", "\(memory)")

        // The next deploy form starts with the project and its device list.
        try await session.send("Escape")
        // The menu opens on the type submitted last: Enter alone picks Deploy Devices again.
        try await session.send("n")
        try await session.waitFor { $0.contains(text: "Which task?") }
        try await session.send("Enter")
        screen = try await session.waitFor { $0.contains(text: "0 of 3 ticked") }
        #expect(screen.contains(text: "-inside-the-field/fleet"), "the remembered path is filled in")
    }
}
