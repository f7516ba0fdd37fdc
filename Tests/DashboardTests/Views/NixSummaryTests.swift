import Foundation
import NixLog
import TaskEngine
import Testing
@testable import Dashboard

/// The Nix tab's summary (issue 15): repeated warnings once with ×N, a retry is not an error.
@Suite("Nix summary: repeated warnings, retries")
struct NixSummaryTests {
    static func state(_ lines: [String]) -> NixProcessState {
        var decoder = NixLogDecoder()
        Array((lines.joined(separator: "\n") + "\n").utf8).withUnsafeBytes { decoder.feed($0) { _ in } }
        decoder.finish { _ in }
        return decoder.state
    }

    @Test("three identical warnings show once with ×3; a substituter retry sent at error level is a warning")
    func collapsedWarnings() {
        let dirty = #"@nix {"action":"msg","level":1,"msg":"warning: Git tree '/srv/fleet' is dirty"}"#
        let retry = #"@nix {"action":"msg","level":0,"msg":"warning: error: unable to download 'https://cache.example/nix-cache-info': Couldn't resolve host name (6); retrying in 273 ms"}"#
        let state = Self.state([dirty, dirty, dirty, retry])
        #expect(state.messages(at: .error).totalCount == 0, "a retry is not an error")
        let task = Fixtures.task("Build Project")
        let process = ProcessRecord(taskID: task.id, index: 0, program: "/usr/bin/nix", arguments: ["build"], environment: [:], workingDirectory: nil)
        let detail = TaskDetail(record: task, processes: [process], nixStates: [state], children: [])
        #expect(detail.title(of: .nix, processIndex: 0) == "Nix (4 warnings)")
        let lines = detail.nixSummaryDocument(processIndex: 0).document.plainText(limitBytes: 100_000).split(separator: "\n")
        #expect(lines.filter { $0.contains("is dirty") } == ["  warning: Git tree '/srv/fleet' is dirty  ×3"])
        #expect(lines.contains { $0.contains("retrying in 273 ms") })
    }
}
