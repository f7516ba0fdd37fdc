import Foundation

/// The real `thymis-tasks` dashboard in a detached tmux pane, for the engine tests that must see
/// what an operator sees of a real run (the plan of a device with its own store). The dashboard
/// tests drive tmux more fully (`Tests/DashboardTests/EndToEnd/TmuxSession.swift`).
final class DashboardPane {
    static let tmux = "/usr/bin/tmux"
    /// The debug build the test command makes; nil when it is not there (the test is then skipped).
    static var executable: String? {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().path
        let path = "\(root)/.build/debug/thymis-tasks"
        return FileManager.default.isExecutableFile(atPath: path) && FileManager.default.isExecutableFile(atPath: tmux) ? path : nil
    }

    let name = "thymis-engine-\(UUID().uuidString.prefix(8))"

    /// Starts `thymis-tasks --state-dir STATE` (the dashboard, hosting the engine when none runs).
    init(stateDirectory: String, columns: Int = 130, rows: Int = 45) throws {
        guard let executable = Self.executable else { throw CocoaError(.fileNoSuchFile) }
        let command = "LANG=C.UTF-8 \(executable) --state-dir \(stateDirectory); sleep 30"
        // system(), not Process: the tmux server this may start would keep Process' pipes open,
        // and reading them to their end would never return.
        let quoted = [Self.tmux, "new-session", "-d", "-s", name, "-x", "\(columns)", "-y", "\(rows)", command]
            .map { "'" + $0.replacingOccurrences(of: "'", with: "'\\''") + "'" }.joined(separator: " ")
        guard system(quoted + " </dev/null >/dev/null 2>&1") == 0 else { throw CocoaError(.executableLoad) }
    }

    func send(_ keys: String...) throws {
        _ = try capture(Self.tmux, ["send-keys", "-t", name] + keys)
    }

    func screen() throws -> String {
        try capture(Self.tmux, ["capture-pane", "-p", "-t", name]).stdout
    }

    /// Captures until `predicate` holds (or `timeout` passes); returns the last screen.
    @discardableResult
    func waitFor(timeout: Duration = .seconds(20), _ predicate: (String) -> Bool) async throws -> String {
        let deadline = ContinuousClock.now + timeout
        var text = try screen()
        while !predicate(text), ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(100))
            text = try screen()
        }
        return text
    }

    func close() {
        _ = try? capture(Self.tmux, ["kill-session", "-t", name])
    }
}
