import Foundation
import Testing

/// The real dashboard in a real terminal (tmux), on a state directory with a real nix build.
@Suite("The dashboard in tmux", .serialized, .enabled(if: Executable.path != nil && FileManager.default.isExecutableFile(atPath: TmuxSession.tmux)))
struct DashboardTmuxTests {
    static let nixConfig = "substituters =\nsandbox = false"

    /// A state directory holding one completed Build Project whose builder printed hostile bytes.
    static func stateWithBuild() throws -> (state: String, project: String) {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("dash-e2e-\(UUID().uuidString.prefix(8))").path
        let project = root + "/project"
        try FileManager.default.createDirectory(atPath: project, withIntermediateDirectories: true)
        let flake = #"""
            {
              outputs = { self }:
                let system = builtins.currentSystem or "x86_64-linux"; in {
                  nixosConfigurations.kiosk-1.config.system.build.toplevel = derivation {
                    name = "kiosk-1"; inherit system; builder = "/bin/sh"; PATH = "/usr/bin:/bin";
                    salt = "SALT";
                    args = [ "-c" ''
                      printf 'evil \033]52;c;SGVsbG8=\007 and \033[2J done\n'
                      echo "wide 漢字 line"
                      echo ok > $out
                    '' ];
                  };
                };
            }
            """#.replacingOccurrences(of: "SALT", with: UUID().uuidString)
        try flake.write(toFile: project + "/flake.nix", atomically: true, encoding: .utf8)
        let result = try run(Executable.path!, ["submit", "build-project", "--state-dir", root + "/state", "--project", project, "--wait"],
                             environment: ["THYMIS_TASKS_NIX_CONFIG": nixConfig])
        #expect(result.status == 0, "the build must complete: \(result.output)")
        return (root + "/state", root)
    }

    @Test("open on real tasks, move through the tabs, see hostile bytes visibly, resize, quit with a sane terminal")
    func openNavigateResizeQuit() throws {
        let (state, root) = try Self.stateWithBuild()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let session = try TmuxSession(command: "LANG=C.UTF-8 \(Executable.path!) --state-dir \(state); echo EXIT=$?; echo MODES=$(stty -a | tr ' ;' '\\n\\n' | grep -x -e '-\\?icanon' -e '-\\?echo'); sleep 30")
        defer { session.close() }

        var screen = try session.waitFor { $0.contains(text: "Build Project") && $0.contains(text: "engine: this process") }
        #expect(screen[0].hasPrefix(" thymis-tasks "))
        #expect(screen[0].contains("✔ 1 completed"))
        #expect(screen.contains(text: " ✔ Build Project"))
        #expect(screen.last(where: { !$0.isEmpty })?.contains("? help") == true)

        // The Nix tab lists the derivation; d opens its build log, with the escapes shown as text.
        screen = try session.waitFor { $0.contains(text: "Build log (1 derivation") }
        #expect(screen.contains(text: "✔ kiosk-1  built"))
        try session.send("d")
        screen = try session.waitFor { $0.contains(text: "Nix: kiosk-1") }
        #expect(screen.contains(text: "evil ^[]52;c;SGVsbG8=^G and ^[[2J done"), "\(screen.joined(separator: "\n"))")
        #expect(screen.contains(text: "wide 漢字 line"))

        // stdout holds nix's --json result; the Process tab the command line.
        try session.send("4")
        screen = try session.waitFor { $0.contains(text: "drvPath") }
        #expect(screen.contains(text: "4 stdout (1)"))
        try session.send("2")
        screen = try session.waitFor { $0.contains(text: "command: nix build") }
        #expect(screen.contains(text: "status:  exit 0"))

        try session.send("?")
        screen = try session.waitFor { $0.contains(text: "Keys (Esc closes)") }
        #expect(screen.contains(text: "cancel the selected task"))
        try session.send("Escape")
        try session.waitFor { !$0.contains(text: "Keys (Esc closes)") }

        try session.resize(columns: 40, rows: 10)
        screen = try session.waitFor { $0.count >= 10 && $0[0].hasPrefix(" thymis-tasks") && $0[0].count <= 40 }
        #expect(screen.contains(text: "Build Project"))
        try session.resize(columns: 39, rows: 9)
        screen = try session.waitFor { $0.contains(text: "terminal too small") }
        #expect(screen.contains(text: "39x9; need 40x10"))
        try session.resize(columns: 120, rows: 40)
        screen = try session.waitFor { $0.contains(text: "engine: this process") }
        #expect(!screen.contains(text: "terminal too small"))

        try session.send("q")
        screen = try session.waitFor { $0.contains(text: "MODES=") }
        #expect(screen.contains(text: "EXIT=0"))
        // The terminal is back in cooked mode with echo.
        #expect(screen.contains(text: "MODES=icanon echo"))
    }

    @Test("a second dashboard attaches to the engine of the first and says so; SIGTERM restores the terminal")
    func attachedAndSignal() throws {
        let (state, root) = try Self.stateWithBuild()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let first = try TmuxSession(command: "LANG=C.UTF-8 \(Executable.path!) --state-dir \(state); echo EXIT=$?; sleep 30")
        defer { first.close() }
        try first.waitFor { $0.contains(text: "engine: this process") }
        let second = try TmuxSession(command: "LANG=C.UTF-8 \(Executable.path!) --state-dir \(state) --read-only; echo EXIT=$?; echo MODES=$(stty -a | tr ' ;' '\\n\\n' | grep -x -e '-\\?icanon' -e '-\\?echo'); sleep 30",
                                     columns: 60, rows: 15)
        defer { second.close() }
        var screen = try second.waitFor { $0.contains(text: "attached to engine pid") }
        #expect(screen.contains(text: "Build Project"))
        #expect(!screen.contains(text: "c cancel"), "read-only hides actions")

        let pid = try run("/usr/bin/pgrep", ["-f", "--newest", "--", "--state-dir \(state) --read-only"]).output
            .split(separator: "\n").first.map(String.init) ?? ""
        #expect(!pid.isEmpty)
        try run("/bin/kill", ["-TERM", pid])
        screen = try second.waitFor { $0.contains(text: "MODES=") }
        #expect(screen.contains(text: "EXIT=143"))
        #expect(screen.contains(text: "MODES=icanon echo"))

        try first.send("q")
        screen = try first.waitFor { $0.contains(text: "EXIT=") }
        #expect(screen.contains(text: "EXIT=0"))
    }
}
