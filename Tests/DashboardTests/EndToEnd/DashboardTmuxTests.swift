import Foundation
import Testing
import TaskEngine

/// The real dashboard in a real terminal (tmux), on a state directory with a real nix build.
@Suite("The dashboard in tmux", .serialized, .enabled(if: Executable.path != nil && FileManager.default.isExecutableFile(atPath: TmuxSession.tmux)))
struct DashboardTmuxTests {
    static let nixConfig = "substituters =\nsandbox = false"

    /// A state directory holding one completed Build Project whose builder printed hostile bytes.
    static func stateWithBuild() async throws -> (state: String, project: String) {
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
        let result = try await submitAndWaitForEngineExit(["submit", "build-project", "--state-dir", root + "/state", "--project", project, "--wait"],
                                                          state: root + "/state", environment: ["THYMIS_TASKS_NIX_CONFIG": nixConfig])
        #expect(result.status == 0, "the build must complete: \(result.output)")
        return (root + "/state", root)
    }

    @Test("open on real tasks, move through the tabs, see hostile bytes visibly, resize, quit with a sane terminal")
    func openNavigateResizeQuit() async throws {
        let (state, root) = try await Self.stateWithBuild()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let session = try await TmuxSession(command: "LANG=C.UTF-8 \(Executable.path!) --state-dir \(state); echo EXIT=$?; echo MODES=$(stty -a | tr ' ;' '\\n\\n' | grep -x -e '-\\?icanon' -e '-\\?echo'); sleep 30")
        defer { session.close() }

        var screen = try await session.waitFor { $0.contains(text: "Build Project") && $0.contains(text: "engine: this process") }
        #expect(screen[0].hasPrefix(" thymis-tasks "))
        #expect(screen[0].contains("✔ 1 completed"))
        #expect(screen.contains(text: " ✔ Build Project"))
        #expect(screen.last(where: { !$0.isEmpty })?.contains("? help") == true)

        // The Nix tab lists the derivation; d opens its build log, with the escapes shown as text.
        screen = try await session.waitFor { $0.contains(text: "Build log (1 derivation") }
        #expect(screen.contains(text: "✔ kiosk-1  built"))
        try await session.send("d")
        screen = try await session.waitFor { $0.contains(text: "Nix: kiosk-1") }
        #expect(screen.contains(text: "evil ^[]52;c;SGVsbG8=^G and ^[[2J done"), "\(screen.joined(separator: "\n"))")
        #expect(screen.contains(text: "wide 漢字 line"))

        // stdout holds nix's --json result; the Process tab the command line.
        try await session.send("4")
        screen = try await session.waitFor { $0.contains(text: "drvPath") }
        #expect(screen.contains(text: "4 stdout (1)"))
        try await session.send("2")
        screen = try await session.waitFor { $0.contains(text: "command: nix build") }
        #expect(screen.contains(text: "status:  exit 0"))

        try await session.send("?")
        screen = try await session.waitFor { $0.contains(text: "Keys (Esc closes)") }
        #expect(screen.contains(text: "cancel the selected task"))
        try await session.send("Escape")
        try await session.waitFor { !$0.contains(text: "Keys (Esc closes)") }

        try await session.resize(columns: 40, rows: 10)
        screen = try await session.waitFor { $0.count >= 10 && $0[0].hasPrefix(" thymis-tasks") && $0[0].count <= 40 }
        #expect(screen.contains(text: "Build Project"))
        try await session.resize(columns: 39, rows: 9)
        screen = try await session.waitFor { $0.contains(text: "terminal too small") }
        #expect(screen.contains(text: "39x9; need 40x10"))
        try await session.resize(columns: 120, rows: 40)
        screen = try await session.waitFor { $0.contains(text: "engine: this process") }
        #expect(!screen.contains(text: "terminal too small"))

        try await session.send("q")
        screen = try await session.waitFor { $0.contains(text: "MODES=") }
        #expect(screen.contains(text: "EXIT=0"))
        // The terminal is back in cooked mode with echo.
        #expect(screen.contains(text: "MODES=icanon echo"))
    }

    @Test("a failed build opens on its cause: the builder's own error line is on screen with no keystroke; d opens its whole log")
    func opensOnTheCause() async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("dash-cause-\(UUID().uuidString.prefix(8))").path
        defer { try? FileManager.default.removeItem(atPath: root) }
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
                      for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25; do echo "compiling unit $i"; done
                      echo "firmware-blob: file not found" >&2
                      exit 7
                    '' ];
                  };
                };
            }
            """#.replacingOccurrences(of: "SALT", with: UUID().uuidString)
        try flake.write(toFile: project + "/flake.nix", atomically: true, encoding: .utf8)
        let result = try await run(Executable.path!, ["submit", "build-project", "--state-dir", root + "/state", "--project", project, "--wait"],
                                   environment: ["THYMIS_TASKS_NIX_CONFIG": Self.nixConfig])
        #expect(result.status == 1, "the build must fail: \(result.output)")
        let session = try await TmuxSession(command: "LANG=C.UTF-8 \(Executable.path!) --state-dir \(root)/state; sleep 30")
        defer { session.close() }
        // Zero keystrokes: the cause and the builder's last line are on the first screen.
        var screen = try await session.waitFor { $0.contains(text: "Build Project") && $0.contains(text: "> firmware-blob: file not found") }
        #expect(screen.contains(text: "cause: build: kiosk-1: builder failed with exit code 7"), "\(screen.joined(separator: "\n"))")
        #expect(screen.contains(text: "exit code:  7"))
        #expect(screen.contains(text: "last 5 log lines:"))
        try await session.send("d")
        screen = try await session.waitFor { $0.contains(text: "Nix: kiosk-1") }
        #expect(screen.contains(text: "compiling unit 1"))

        // R writes the report under the state directory and offers to copy it.
        try await session.send("Escape")
        try await session.waitFor { !$0.contains(text: "Nix: kiosk-1") }
        try await session.send("R")
        screen = try await session.waitFor { $0.contains(text: "Report saved") }
        let reports = try FileManager.default.contentsOfDirectory(atPath: root + "/state/reports").filter { $0.hasSuffix(".md") }
        #expect(reports.count == 1, "\(reports)")
        let path = root + "/state/reports/" + (reports.first ?? "")
        let report = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
        #expect(report.hasPrefix("# Build Project: failed") && report.contains("## Cause") && report.contains("firmware-blob: file not found")
                && report.contains("## Processes") && report.contains("nix build"), "\(report)")
        let mode = (try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? NSNumber)?.intValue
        #expect(mode == 0o600)
        #expect(screen.contains(text: "c copy it"))
        try await session.send("c")
        screen = try await session.waitFor { $0.contains(text: "copied") && !$0.contains(text: "Report saved") }
        #expect(screen.contains(text: "bytes of the report"))
    }

    @Test("a second dashboard attaches to the engine of the first and says so; SIGTERM restores the terminal")
    func attachedAndSignal() async throws {
        let (state, root) = try await Self.stateWithBuild()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let first = try await TmuxSession(command: "LANG=C.UTF-8 \(Executable.path!) --state-dir \(state); echo EXIT=$?; sleep 30")
        defer { first.close() }
        try await first.waitFor { $0.contains(text: "engine: this process") }
        let second = try await TmuxSession(command: "LANG=C.UTF-8 \(Executable.path!) --state-dir \(state) --read-only; echo EXIT=$?; echo MODES=$(stty -a | tr ' ;' '\\n\\n' | grep -x -e '-\\?icanon' -e '-\\?echo'); sleep 30",
                                     columns: 60, rows: 15)
        defer { second.close() }
        var screen = try await second.waitFor { $0.contains(text: "attached to engine pid") }
        #expect(screen.contains(text: "Build Project"))
        #expect(!screen.contains(text: "c cancel"), "read-only hides actions")

        let pid = try await run("/usr/bin/pgrep", ["-f", "--newest", "--", "--state-dir \(state) --read-only"]).output
            .split(separator: "\n").first.map(String.init) ?? ""
        #expect(!pid.isEmpty)
        try await run("/bin/kill", ["-TERM", pid])
        screen = try await second.waitFor { $0.contains(text: "MODES=") }
        #expect(screen.contains(text: "EXIT=143"))
        #expect(screen.contains(text: "MODES=icanon echo"))

        try await first.send("q")
        screen = try await first.waitFor { $0.contains(text: "EXIT=") }
        #expect(screen.contains(text: "EXIT=0"))
    }

    @Test("an attached dashboard takes the engine over when its process exits; a CLI submit then goes to it")
    func takeOver() async throws {
        let (state, root) = try await Self.stateWithBuild()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let serve = try await TmuxSession(command: "THYMIS_TASKS_NIX_CONFIG='\(Self.nixConfig)' \(Executable.path!) serve --state-dir \(state); sleep 30")
        defer { serve.close() }
        try await serve.waitFor { $0.contains(text: "serving") }
        let dashboard = try await TmuxSession(command: "THYMIS_TASKS_NIX_CONFIG='\(Self.nixConfig)' LANG=C.UTF-8 \(Executable.path!) --state-dir \(state); sleep 30")
        defer { dashboard.close() }
        var screen = try await dashboard.waitFor { $0.contains(text: "attached to engine pid") }
        #expect(screen.contains(text: "attached to engine pid"))

        // Stop serve as systemd would (SIGTERM); the tmux server may have SIGHUP ignored.
        let servePID = try await run("/usr/bin/pgrep", ["-f", "--", "^\(Executable.path!) serve --state-dir \(state)"]).output
            .split(separator: "\n").first.map(String.init) ?? ""
        #expect(!servePID.isEmpty)
        try await run("/bin/kill", ["-TERM", servePID])
        screen = try await dashboard.waitFor(timeout: 15) { $0.contains(text: "engine: this process") }
        #expect(screen.contains(text: "engine: this process"), "\(screen.joined(separator: "\n"))")

        let project = root + "/project"
        let submitted = try await run("/bin/sh", ["-c", "\(Executable.path!) submit build-project --state-dir \(state) --project \(project) --wait 2>&1"],
                                      environment: ["THYMIS_TASKS_NIX_CONFIG": Self.nixConfig])
        #expect(submitted.status == 0, "\(submitted.output)")
        #expect(!submitted.output.contains("no engine was running"), "the dashboard's engine ran it")
        screen = try await dashboard.waitFor { $0.contains(text: "✔ 2 completed") }
        #expect(screen.contains(text: "✔ 2 completed"))
        try await dashboard.send("q")
    }

    @Test("when its terminal goes away without a SIGHUP reaching it, the dashboard exits instead of spinning")
    func terminalGone() async throws {
        let (state, root) = try await Self.stateWithBuild()
        defer { try? FileManager.default.removeItem(atPath: root) }
        // The shell ignores SIGHUP and outlives the pty, so the kernel never signals the dashboard.
        let session = try await TmuxSession(command: "trap '' HUP; LANG=C.UTF-8 \(Executable.path!) --state-dir \(state) --read-only; sleep 30")
        defer { session.close() }
        try await session.waitFor { $0.contains(text: "Build Project") }
        let pattern = "^\(Executable.path!) --state-dir \(state) --read-only"
        #expect(!(try await run("/usr/bin/pgrep", ["-f", "--", pattern]).output.isEmpty))
        session.close()
        var gone = false
        for _ in 0..<100 where !gone {
            try await Task.sleep(for: .milliseconds(100))
            gone = try await run("/usr/bin/pgrep", ["-f", "--", pattern]).output.isEmpty
        }
        #expect(gone, "the dashboard must exit once its terminal is gone")
    }

    @Test("two dashboards in two terminals show the same progress of the same running build")
    func twoDashboardsOneBuild() async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("dash-two-\(UUID().uuidString.prefix(8))").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        let project = root + "/project"
        try FileManager.default.createDirectory(atPath: project, withIntermediateDirectories: true)
        try """
            { outputs = { self }: { nixosConfigurations.slow.config.system.build.toplevel = derivation {
                name = "slow-\(UUID().uuidString.prefix(8))"; system = "x86_64-linux"; builder = "/bin/sh"; PATH = "/usr/bin:/bin";
                args = [ "-c" "i=0; while [ $i -lt 300 ]; do i=$((i+1)); echo step-$i; sleep 0.1; done; mkdir -p $out" ]; }; }; }
            """.write(toFile: project + "/flake.nix", atomically: true, encoding: .utf8)
        let state = root + "/state"
        // Wide, so the list's progress column shows the build's last line whole on both.
        let engine = try await TmuxSession(command: "THYMIS_TASKS_NIX_CONFIG='\(Self.nixConfig)' LANG=C.UTF-8 \(Executable.path!) --state-dir \(state); sleep 30",
                                           columns: 200)
        defer { engine.close() }
        try await engine.waitFor { $0.contains(text: "engine: this process") }
        let viewer = try await TmuxSession(command: "LANG=C.UTF-8 \(Executable.path!) --state-dir \(state) --read-only; sleep 30",
                                           columns: 200)
        defer { viewer.close() }
        try await viewer.waitFor { $0.contains(text: "attached to engine pid") }
        let submitted = try await run(Executable.path!, ["submit", "build-project", "--state-dir", state, "--project", project])
        #expect(submitted.status == 0)

        /// step-N in the task list's row (its progress column shows the build's last line).
        func step(_ screen: [String]) -> Int? {
            screen.filter { $0.contains("Build Project") && $0.contains("builds ") }
                .flatMap { line in line.components(separatedBy: "step-").dropFirst().compactMap { Int($0.prefix { $0.isNumber }) } }.max()
        }
        let engineScreen = try await engine.waitFor(timeout: 30) { (step($0) ?? 0) >= 20 }
        #expect(step(engineScreen) != nil, "\(engineScreen.joined(separator: "\n"))")
        let viewerScreen = try await viewer.waitFor(timeout: 30) { (step($0) ?? 0) >= 20 }
        #expect(step(viewerScreen) != nil, "\(viewerScreen.joined(separator: "\n"))")
        var gaps: [Int] = []
        for _ in 0..<5 {
            // One right after the other: both views of the same moment, give or take a few ms.
            let a = try await engine.capture()
            let b = try await viewer.capture()
            if let x = step(a), let y = step(b) { gaps.append(abs(x - y)) }
            try await Task.sleep(for: .milliseconds(300))
        }
        #expect(gaps.count == 5, "both dashboards show the running build's last line")
        // 10 lines a second: a gap of at most 10 is at most ~1 s behind.
        #expect(gaps.allSatisfy { $0 <= 10 }, "\(gaps)")
        try await engine.send("q")
    }

    @Test("quitting with tasks running and choosing keep: the shell's prompt is back at once, the terminal closes, the task finishes in the background, nothing interrupted")
    func keepRunningOnQuit() async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("dash-keep-\(UUID().uuidString.prefix(8))").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        let project = root + "/project"
        try FileManager.default.createDirectory(atPath: project, withIntermediateDirectories: true)
        try """
            { outputs = { self }: { nixosConfigurations.slow.config.system.build.toplevel = derivation {
                name = "keep-\(UUID().uuidString.prefix(8))"; system = "x86_64-linux"; builder = "/bin/sh"; PATH = "/usr/bin:/bin";
                args = [ "-c" "i=0; while [ $i -lt 60 ]; do i=$((i+1)); echo step-$i; sleep 0.1; done; mkdir -p $out" ]; }; }; }
            """.write(toFile: project + "/flake.nix", atomically: true, encoding: .utf8)
        let state = root + "/state"
        // An interactive shell, as an operator has: the dashboard is its foreground job.
        let session = try await TmuxSession(command: "env PS1='PROMPT> ' bash --norc --noprofile -i")
        defer { session.close() }
        try await session.waitFor { $0.contains(text: "PROMPT> ") }
        try await session.send("-l", "THYMIS_TASKS_IDLE_EXIT=1 THYMIS_TASKS_NIX_CONFIG='\(Self.nixConfig)' LANG=C.UTF-8 \(Executable.path!) --state-dir \(state); echo EXIT=$?")
        try await session.send("Enter")
        try await session.waitFor { $0.contains(text: "engine: this process") }
        let submitted = try await run(Executable.path!, ["submit", "build-project", "--state-dir", state, "--project", project])
        #expect(submitted.status == 0)
        let id = submitted.output.trimmingCharacters(in: .whitespacesAndNewlines)
        var screen = try await session.waitFor(timeout: 30) { $0.contains(text: "step-") && $0[0].contains("1 running") }
        #expect(screen[0].contains("1 running"), "\(screen.joined(separator: "\n"))")
        try await session.send("q")
        screen = try await session.waitFor { $0.contains(text: "keep running") }
        #expect(screen.contains(text: "Stop it (recorded as cancelled), or keep"), "\(screen.joined(separator: "\n"))")
        try await session.send("k")
        screen = try await session.waitFor { $0.contains(text: "keep running in the background in this process") && $0.contains(text: "EXIT=0") }
        #expect(screen.contains(text: "keep running in the background in this process"), "\(screen.joined(separator: "\n"))")
        // The job ended: the shell runs the next command at once, and the engine is no job of the terminal.
        #expect(screen.contains(text: "EXIT=0"), "the dashboard's job ended: \(screen.joined(separator: "\n"))")
        let typed = ContinuousClock.now
        try await session.send("-l", "echo BA''CK")
        try await session.send("Enter")
        screen = try await session.waitFor(timeout: 3) { $0.contains { $0 == "BACK" } }
        #expect(screen.contains { $0 == "BACK" } && ContinuousClock.now - typed < .seconds(1), "\(screen.joined(separator: "\n"))")
        let enginePID = try #require(EngineLock.holder(in: StateDirectory(path: state)))
        let stat = try await run("/bin/ps", ["-o", "stat=,tty=", "-p", "\(enginePID)"]).output
        #expect(!stat.contains("+") && stat.contains("?"), "the engine has no terminal and is no foreground job: \(stat)")
        // The terminal goes away (SIGHUP to the pane's processes); the engine lives on.
        session.close()
        let store = try TaskStore(directory: StateDirectory(path: state), readOnly: true)
        let deadline = ContinuousClock.now + .seconds(60)
        var record = try store.task(UUID(uuidString: id)!)
        while record?.state.isFinal != true && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(200))
            record = try store.task(UUID(uuidString: id)!)
        }
        #expect(record?.state == .completed, "\(String(describing: record?.failureReason))")
        #expect(record?.cancelled == false)
        let lines = try await run(Executable.path!, ["logs", id, "--stream", "build", "--state-dir", state]).output
        #expect(lines.contains("step-1\n") && lines.contains("step-60"), "no output lost")
        // It then exits on idle like an engine started on demand.
        let gone = ContinuousClock.now + .seconds(20)
        while EngineLock.holder(in: StateDirectory(path: state)) != nil && ContinuousClock.now < gone {
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(EngineLock.holder(in: StateDirectory(path: state)) == nil, "the detached engine exited when idle")
    }
}
