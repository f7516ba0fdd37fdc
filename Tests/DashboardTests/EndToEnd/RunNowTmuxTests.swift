import Foundation
import TaskEngine
import Testing

/// `!` in the dashboard (issue 30: 16): asks first, then starts the selected pending task past its
/// pool's limit; the task records who did it ("... via the dashboard").
@Suite("run now from the dashboard (tmux)", .serialized,
       .enabled(if: Executable.path != nil && FileManager.default.isExecutableFile(atPath: TmuxSession.tmux)))
struct RunNowTmuxTests {
    /// A project whose one configuration's builder runs `script`.
    static func project(_ directory: String, _ script: String) throws -> String {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let flake = """
            { outputs = { self }: { nixosConfigurations.c.config.system.build.toplevel = derivation {
                name = "c-\(UUID().uuidString.prefix(8))"; system = "x86_64-linux"; builder = "/bin/sh"; PATH = "/usr/bin:/bin";
                args = [ "-c" ''\(script)'' ]; }; }; }
            """
        try flake.write(toFile: directory + "/flake.nix", atomically: true, encoding: .utf8)
        return directory
    }

    @Test("! on a build waiting behind a full pool asks, then runs it at once; n leaves it waiting")
    func runNowKey() async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("run-now-\(UUID().uuidString.prefix(8))").path
        let state = root + "/state", gate = root + "/gate"
        defer {
            FileManager.default.createFile(atPath: gate, contents: nil)
            try? FileManager.default.removeItem(atPath: root)
        }
        let slow = try Self.project(root + "/slow", "while [ ! -e \(gate) ]; do sleep 0.1; done; mkdir -p $out")
        let fast = try Self.project(root + "/fast", "mkdir -p $out")
        let environment = ["THYMIS_TASKS_NIX_CONFIG": "substituters =\nsandbox = false", "THYMIS_TASKS_POOLS": "nix=1"]
        let session = try await TmuxSession(command: "LANG=C.UTF-8 THYMIS_TASKS_NO_FRONT=1 THYMIS_TASKS_POOLS=nix=1 THYMIS_TASKS_NIX_CONFIG='substituters =' "
                                            + "\(Executable.path!) --state-dir \(state); sleep 30", columns: 120, rows: 30)
        defer { session.close() }
        try await session.waitFor { $0.contains(text: "engine: this process") }
        // Submitted through the dashboard's engine (the request table): the slow one takes the only nix slot.
        _ = try await run(Executable.path!, ["submit", "build-project", "--state-dir", state, "--project", slow], environment: environment)
        try await session.waitFor { $0.contains(text: "▶ 1 running") }
        let waiting = try await run(Executable.path!, ["submit", "build-project", "--state-dir", state, "--project", fast], environment: environment)
        let waitingID = waiting.output.trimmingCharacters(in: .whitespacesAndNewlines)
        // The header's counts are read a little after the list rows.
        var screen = try await session.waitFor { $0.contains(text: "waiting for a nix slot") && $0.contains(text: "○ 1 pending") }
        #expect(screen.contains(text: "○ 1 pending"), "\(screen.joined(separator: "\n"))")

        // The newest (the waiting build) is at the top; g selects it.
        try await session.send("g")
        try await session.send("!")
        screen = try await session.waitFor { $0.contains(text: "Run now") }
        #expect(screen.contains(text: "past the nix pool's limit"), "\(screen.joined(separator: "\n"))")
        try await session.send("n")
        screen = try await session.waitFor { !$0.contains(text: "Run now") }
        try await Task.sleep(for: .milliseconds(500))
        #expect(try await Self.field("state", of: waitingID, state: state) == "pending", "n leaves it waiting")

        try await session.send("!")
        try await session.waitFor { $0.contains(text: "Run now") }
        try await session.send("y")
        screen = try await session.waitFor(timeout: 30) { $0.contains(text: "✔ 1 completed") }
        #expect(screen.contains(text: "✔ 1 completed") && screen.contains(text: "▶ 1 running"), "the quick build completed while the slow one runs: \(screen.joined(separator: "\n"))")
        let who = try await Self.field("run_now_by", of: waitingID, state: state)
        #expect(who?.hasSuffix(" via the dashboard") == true, "\(who ?? "nil")")
    }

    static func field(_ name: String, of id: String, state: String) async throws -> String? {
        let shown = try await run(Executable.path!, ["show", id, "--state-dir", state, "--json"])
        let object = try JSONSerialization.jsonObject(with: Data(shown.output.utf8)) as? [String: Any]
        return object?[name] as? String
    }
}
