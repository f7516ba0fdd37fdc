import Foundation
import TaskEngine
import Testing

/// The new-task menu opens on the type submitted last, remembered in the state directory, else on
/// Build Project, never on Auto-update, the first in the list (issue 30: 14).
@Suite("the new-task menu's preselected type (tmux)", .serialized,
       .enabled(if: Executable.path != nil && FileManager.default.isExecutableFile(atPath: TmuxSession.tmux)))
struct NewTaskMenuTmuxTests {
    /// The menu's highlighted line and the form Enter opens from it.
    static func menuChoice(rememberedFile: String?) async throws -> (highlighted: String, form: [String]) {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("menu-\(UUID().uuidString.prefix(8))").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        try FileManager.default.createDirectory(atPath: root + "/state", withIntermediateDirectories: true)
        if let rememberedFile { try rememberedFile.write(toFile: root + "/state/dashboard-forms.json", atomically: true, encoding: .utf8) }
        let session = try await TmuxSession(command: "LANG=C.UTF-8 \(Executable.path!) --state-dir \(root)/state; sleep 30", columns: 100, rows: 30)
        defer { session.close() }
        try await session.waitFor { $0.contains(text: "engine: this process") }
        try await session.send("n")
        let menu = try await session.waitFor { $0.contains(text: "Which task?") }
        let highlighted = menu.first { $0.contains("▸ ") } ?? ""
        try await session.send("Enter")
        let form = try await session.waitFor { $0.contains(text: "New task: ") }
        return (highlighted, form)
    }

    @Test("with nothing remembered the menu opens on Build Project; Enter opens its form")
    func buildProjectFirst() async throws {
        let (highlighted, form) = try await Self.menuChoice(rememberedFile: nil)
        #expect(highlighted.contains("▸ Build Project"), "\(highlighted)")
        #expect(form.contains(text: "New task: Build Project"), "\(form.joined(separator: "\n"))")
    }

    @Test("the type remembered in dashboard-forms.json is preselected")
    func rememberedType() async throws {
        let (highlighted, form) = try await Self.menuChoice(rememberedFile: #"{"project_path":"/srv/fleet","task_type":"ssh_command_task"}"#)
        #expect(highlighted.contains("▸ Run SSH Command"), "\(highlighted)")
        #expect(form.contains(text: "New task: Run SSH Command"), "\(form.joined(separator: "\n"))")
    }

    @Test("a remembered type this version does not know falls back to Build Project")
    func unknownType() async throws {
        let (highlighted, _) = try await Self.menuChoice(rememberedFile: #"{"task_type":"no_such_task"}"#)
        #expect(highlighted.contains("▸ Build Project"), "\(highlighted)")
    }
}
