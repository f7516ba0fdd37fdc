import Foundation
import Testing

/// Terminals the dashboard cannot draw on (issue 15): refused with a message, before any key is read.
@Suite("The dashboard refuses a dumb terminal", .enabled(if: Executable.path != nil && FileManager.default.isExecutableFile(atPath: TmuxSession.tmux)))
struct DashboardTerminalTypeTests {
    @Test("TERM=dumb: a message pointing to list and logs --follow, exit code 64, typed keys not taken")
    func dumbTerminal() async throws {
        let state = FileManager.default.temporaryDirectory.appendingPathComponent("dash-dumb-\(UUID().uuidString.prefix(8))").path
        defer { try? FileManager.default.removeItem(atPath: state) }
        let session = try await TmuxSession(command: "TERM=dumb \(Executable.path!) --state-dir \(state); echo EXIT=$?; sleep 30")
        defer { session.close() }
        let screen = try await session.waitFor { $0.contains(text: "EXIT=") }
        #expect(screen.contains(text: "EXIT=64"))
        let text = screen.joined()
        #expect(text.contains("TERM=dumb cannot move the cursor"))
        #expect(text.contains("thymis-tasks list"))
        #expect(text.contains("logs ID --follow"))
    }
}
