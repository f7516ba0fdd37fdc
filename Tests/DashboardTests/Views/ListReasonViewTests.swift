import Foundation
import TaskEngine
import Testing
@testable import Dashboard

/// A failed build's list row spends its width on the derivation's name and the builder's exit code,
/// not the store hash (issue 30), in the dashboard as in `list`.
@Suite("list reason: a builder failure as 'build failed: NAME: builder exit N'")
struct ListReasonViewTests {
    static let drv = "/nix/store/nh23s49wq0m1a9fz3p7yvd5kx2c8b6jr-nixos-system-kiosk.drv"

    @Test("Nix's wordings of a builder failure, remote ones and store paths elsewhere", arguments: [
        ("build failed: nix exited with 1: builder for '\(drv)' failed with exit code 3;",
         "build failed: nixos-system-kiosk: builder exit 3"),
        ("build failed: nix exited with 1: Cannot build '\(drv)'. Reason: builder failed with exit code 3. Output paths: /nix/store/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-nixos-system-kiosk",
         "build failed: nixos-system-kiosk: builder exit 3 Output paths: nixos-system-kiosk"),
        ("build failed: nix exited with 1: build of '\(drv)' on 'builder-1' failed: builder for '\(drv)' failed with exit code 7",
         "build failed: nixos-system-kiosk on builder-1: builder exit 7"),
        ("4 of 5 failed: broken-1 (build failed: nix exited with 1: builder for '\(drv)' failed with exit code 42; ...)",
         "4 of 5 failed: broken-1 (build failed: nixos-system-kiosk: builder exit 42; ...)"),
        ("build failed: nix exited with 1: builder for '\(drv)' failed due to signal 9 (Killed)",
         "build failed: nix exited with 1: builder for 'nixos-system-kiosk' failed due to signal 9 (Killed)"),
        ("cancelled", "cancelled"),
    ])
    func short(_ reason: String, _ expected: String) {
        #expect(TaskFormat.shortReason(reason) == expected)
    }

    @Test("the dashboard's row of a failed build shows the name and exit code; the reason's log lines stay out")
    func row() {
        let failed = Fixtures.task("Build Project", state: .failed, target: "fleet",
                                   reason: "build failed: nix exited with 1: builder for '\(Self.drv)' failed with exit code 3;\n  last 1 log lines:\n  > oops")
        var model = DashboardModel(size: TerminalSize(rows: 20, columns: 120))
        model.apply(.tasksLoaded(TaskListSnapshot(topLevel: [failed], children: [:], hasMore: false)))
        let terminal = MemoryTerminal(rows: 20, columns: 120)
        TaskListView(theme: Theme(ascii: false, color: true)).draw(on: terminal, model: model, now: Fixtures.start.addingTimeInterval(60))
        let line = terminal.line(model.layout.listRows.lowerBound)
        #expect(line.hasSuffix("build failed: nixos-system-kiosk: builder exit 3"), "\(line)")
        #expect(!line.contains("/nix/store"))
    }
}
