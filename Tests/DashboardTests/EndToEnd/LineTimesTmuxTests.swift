import Foundation
import Testing
import TaskEngine

/// `t` (line times) and pruned output in the real dashboard, in tmux, on a real nix build.
@Suite("Line times and pruned output in tmux", .serialized,
       .enabled(if: Executable.path != nil && FileManager.default.isExecutableFile(atPath: TmuxSession.tmux)))
struct LineTimesTmuxTests {
    @Test("t in a text tab shows each line's arrival time and hides it again; t in the list still filters by type; a pruned log says so in its tab")
    func timesToggleAndPrunedTab() async throws {
        let (state, root) = try await DashboardTmuxTests.stateWithBuild()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let session = try await TmuxSession(command: "LANG=C.UTF-8 \(Executable.path!) --state-dir \(state); sleep 30")
        defer { session.close() }
        _ = try await session.waitFor { $0.contains(text: "Build log (1 derivation") }
        try await session.send("d")
        var screen = try await session.waitFor { $0.contains(text: "Nix: kiosk-1") && $0.contains(text: "wide 漢字 line") }
        let stamped = #/(\d\d):(\d\d):(\d\d)\.\d{3} wide 漢字 line/#
        #expect(!screen.contains { $0.firstMatch(of: stamped) != nil })

        // t works in the detail pane (Tab focuses it); in the list it stays the type filter.
        try await session.send("Tab")
        try await session.send("t")
        screen = try await session.waitFor { $0.contains { $0.firstMatch(of: stamped) != nil } }
        #expect(screen[2].hasSuffix("follow times"), "the tab row says times are shown: \(screen[2])")
        // The time is local wall-clock time of the build, a few seconds ago (taken modulo a day).
        let match = try #require(screen.lazy.compactMap { $0.firstMatch(of: stamped) }.first)
        let shown = (Int(match.1) ?? 0) * 3600 + (Int(match.2) ?? 0) * 60 + (Int(match.3) ?? 0)
        let clock = Calendar.current.dateComponents([.hour, .minute, .second], from: Date())
        let now = (clock.hour ?? 0) * 3600 + (clock.minute ?? 0) * 60 + (clock.second ?? 0)
        #expect((now - shown + 86_400) % 86_400 < 300, "shown \(match.0), now \(now)s into the day")
        try await session.send("t")
        screen = try await session.waitFor { !$0.contains { $0.firstMatch(of: stamped) != nil } && $0.contains(text: "wide 漢字 line") }
        #expect(screen[2].hasSuffix("follow"), "\(screen[2])")

        try await session.send("Tab")
        try await session.send("t")
        screen = try await session.waitFor { $0.contains(text: "filter: type=") }
        #expect(!screen.contains { $0.firstMatch(of: stamped) != nil }, "t in the list does not toggle times")
        // Esc closes the build log first (it fills the detail pane whatever has focus), then clears the filter.
        try await session.send("Escape")
        try await session.send("Escape")
        screen = try await session.waitFor { $0.contains(text: "✔ Build Project") && !$0.contains(text: "filter: type=") }
        #expect(screen.contains(text: "✔ Build Project"), "DEBUG \(screen.joined(separator: "\n"))")

        // Pruned from another process while the dashboard shows the log: the tab says so.
        let pruned = try await run(Executable.path!, ["prune", "--state-dir", state, "--max-output-size", "1"])
        #expect(pruned.status == 0, "\(pruned.output)")
        // The build log tab, reopened if the filter's Esc went back to the summary.
        screen = try await session.waitFor { $0.contains(text: "Nix: kiosk-1") || $0.contains(text: "Build log (1 derivation") }
        if !screen.contains(text: "Nix: kiosk-1") { try await session.send("d") }
        screen = try await session.waitFor(timeout: 15) { $0.contains(text: "output pruned on ") }
        #expect(!screen.contains(text: "wide 漢字 line"))
        #expect(screen.contains(text: "Nix summary are kept"))
    }
}
