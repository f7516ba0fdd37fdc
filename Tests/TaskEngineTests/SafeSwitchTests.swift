import Foundation
import Testing
@testable import TaskEngine

/// The safe switch (issue 26) against a device with a store, profile and sshd of its own
/// (`OwnStoreDevice`): a configuration that cuts the controller off must end with the device back
/// on its previous generation and reachable, by the device's own doing.
@Suite("Safe switch: a device that is not confirmed over a new connection rolls itself back",
       .serialized, .enabled(if: nixAndSSHAvailable && OwnStoreDevice.isAvailable))
struct SafeSwitchTests {
    let environment: TestEnvironment
    let device: OwnStoreDevice
    init() throws {
        environment = try TestEnvironment()
        device = try OwnStoreDevice()
    }

    func deploy(_ project: FixtureProject, _ extra: [String: JSONValue] = [:]) -> JSONValue {
        var fields: [String: JSONValue] = [
            "type": .string(DeployDevicesKind.type), "project_path": .string(project.path),
            "devices": .array([device.deviceEntry("kiosk-1")]), "ssh_key_path": .string(device.clientKey), "connect_timeout": .number(5),
        ]
        fields.merge(extra) { $1 }
        return .object(fields)
    }

    /// Deploys and waits for the end; returns the child (Deploy to Device) and its result.
    func run(_ engine: TaskEngine, _ submission: JSONValue, timeout: Duration = .seconds(120)) async throws -> (TaskRecord, DeployDeviceResult?) {
        let parent = try await engine.submitValue(submission)
        do {
            _ = try await environment.store.waitFor(parent.id, toBe: [.completed, .failed], timeout: timeout)
        } catch {
            // What the deploy ran so far, to tell a hang on the device from one in the engine.
            let child = try environment.store.children(of: parent.id).first
            let steps = try child.map { try environment.store.processes(of: $0.id) } ?? []
            Issue.record("steps: \(steps.map { "\(Self.switchStep($0) ?? $0.arguments.first ?? "?") → \($0.exitCode.map(String.init) ?? "running")" })")
            throw error
        }
        let child = try #require(try environment.store.children(of: parent.id).first)
        return (child, child.result(as: DeployDeviceResult.self))
    }

    /// A project deployed once (generation 1, a good configuration), ready for a second commit.
    func deployedOnce(_ engine: TaskEngine) async throws -> (FixtureProject, String) {
        let project = try FixtureProject(in: environment.path("fixture"), configurations: ["kiosk": .normal])
        let (child, result) = try await run(engine, deploy(project))
        #expect(child.state == .completed, "\(child.failureReason ?? "")")
        #expect(result?.switchOutcome?.ending == .confirmed)
        #expect(try device.generation() == 1)
        return (project, try #require(try device.profileTarget()))
    }

    func startedEngine() async throws -> TaskEngine {
        let engine = environment.makeEngine()
        try await engine.start(watchRequests: false)
        return engine
    }

    @Test("a good configuration is switched detached, watched from the connection that started it, and confirmed over a new one after its health check")
    func confirmed() async throws {
        let engine = try await startedEngine()
        let project = try FixtureProject(in: environment.path("fixture"), configurations: ["kiosk": .normal])
        // Only the device has /etc/thymis-test: the health command ran there.
        try project.writeProjectFile(["deploy": ["health_command": "test -f /etc/thymis-test/sshd_config && echo healthy"]])
        let (child, result) = try await run(engine, deploy(project))
        #expect(child.state == .completed, "\(child.failureReason ?? "")")
        let outcome = try #require(result?.switchOutcome)
        #expect(outcome.ending == .confirmed && outcome.reachableAfter && outcome.cause == nil)
        #expect(outcome.profileAfter == result?.new)
        let steps = try switchSteps(child.id)
        #expect(steps == ["start", "confirm"], "\(steps)")
        let stdout = try stdoutText(child.id)
        #expect(stdout.contains("activating the configuration...") && stdout.contains("healthy"), "\(stdout)")
        #expect(try device.lines(of: project.switchMarker) == ["kiosk switched"])
        #expect(child.result?.contains("\"switch_outcome\"") == true, "\(child.result ?? "")")
    }

    @Test("a configuration that takes the controller's key away is rolled back by the device within the confirm timeout")
    func lockedOutRollsBack() async throws {
        let engine = try await startedEngine()
        let (project, good) = try await deployedOnce(engine)
        try project.rewrite(["kiosk": .breaksAccess])
        try project.commit("a configuration that locks the controller out")
        let started = ContinuousClock.now
        let (child, result) = try await run(engine, deploy(project, ["confirm_timeout": .number(10)]))
        let elapsed = ContinuousClock.now - started
        #expect(child.state == .failed)
        let reason = child.failureReason ?? ""
        #expect(reason == "rolled back to generation 1 (\(good)): the device did not confirm within 10 s after switching", "\(reason)")
        // Back on the old generation, reachable again, with the old configuration's switch run again.
        #expect(try device.generation() == 1 && device.profileTarget() == good)
        #expect(device.acceptsLogin())
        #expect(try device.lines(of: project.switchMarker) == ["kiosk switched", "kiosk switched", "kiosk switched"])
        let outcome = try #require(result?.switchOutcome)
        #expect(outcome.ending == .rolledBack && outcome.cause == .notConfirmed(seconds: 10) && outcome.reachableAfter)
        #expect(result?.new.generation == 2 && result?.previous?.storePath == good)
        // Build and copy are not part of the budget: from the switch on it took at most timeout + 15 s.
        let switchToEnd = try #require(child.endedAt).timeIntervalSince(try switchStarted(child.id))
        // Measured: 12.6 s (4 connection attempts; OpenSSH's PerSourcePenalties make fewer better).
        #expect(switchToEnd < 25, "switch to end: \(switchToEnd) s (whole deploy \(elapsed))")
        // The cause is the rollback, not the ssh attempts that failed while the device was cut off.
        let cause = try #require(try environment.store.failureCause(of: child))
        #expect(cause.headline == reason && cause.step == "switch")
        // `report` leads with the rollback, not with an ssh attempt refused while the key was gone.
        let report = try Self.cli(["report", child.id.uuidString, "--state-dir", environment.directory.path])
        let lines = report.split(separator: "\n").map(String.init)
        let rollbackLine = lines.firstIndex { $0.contains("rolled back to generation 1") }
        let sshLine = lines.firstIndex { $0.contains("255") }
        #expect(rollbackLine != nil && (sshLine == nil || rollbackLine! < sshLine!), "\(report)")
    }

    /// Runs the real command line and returns its stdout, then its stderr.
    static func cli(_ arguments: [String]) throws -> String {
        let result = try capture(cliExecutable, arguments)
        return result.stdout + result.stderr
    }

    @Test("a failing health check rolls back at once, naming its exit and last line")
    func healthFailureRollsBack() async throws {
        let engine = try await startedEngine()
        let (project, good) = try await deployedOnce(engine)
        try project.changeDerivations()
        try project.commit("second")
        try project.writeProjectFile(["deploy": ["health_command": "echo checking; echo degraded; exit 3", "confirm_timeout": 600]])
        let (child, result) = try await run(engine, deploy(project))
        #expect(child.state == .failed)
        #expect(child.failureReason == "health check failed (exit 3: \"degraded\"); rolled back to generation 1 (\(good))",
                "\(child.failureReason ?? "")")
        #expect(result?.switchOutcome?.cause == .healthFailed(exitCode: 3, said: "degraded"))
        // At once: nowhere near the 600 s timeout.
        #expect(try #require(child.endedAt).timeIntervalSince(try switchStarted(child.id)) < 20)
        #expect(try device.generation() == 1 && device.profileTarget() == good)
    }

    @Test("a switch that fails rolls back at once")
    func failedSwitchRollsBack() async throws {
        let engine = try await startedEngine()
        let (project, good) = try await deployedOnce(engine)
        try project.rewrite(["kiosk": .failingSwitch])
        try project.commit("a configuration whose switch fails")
        let (child, result) = try await run(engine, deploy(project))
        #expect(child.failureReason == "switch-to-configuration switch exited with 4; rolled back to generation 1 (\(good))",
                "\(child.failureReason ?? "")")
        #expect(result?.switchOutcome?.ending == .rolledBack)
        #expect(try device.generation() == 1 && device.profileTarget() == good)
    }

    @Test("with rollback off, the configuration that locks the controller out stays")
    func noRollbackKeepsIt() async throws {
        let engine = try await startedEngine()
        let (project, good) = try await deployedOnce(engine)
        try project.rewrite(["kiosk": .breaksAccess])
        try project.commit("a configuration that locks the controller out")
        let (child, result) = try await run(engine, deploy(project, ["rollback": .bool(false)]), timeout: .seconds(60))
        // The watching connection, opened before the switch, saw it end: as before issue 26, that is success.
        #expect(child.state == .completed, "\(child.failureReason ?? "") \((try? stdoutText(child.id)) ?? "")")
        #expect(result?.switchOutcome?.ending == .switched)
        #expect(try device.generation() == 2 && device.profileTarget() != good)
        #expect(!device.acceptsLogin())
    }

    @Test("a first deploy whose configuration locks the controller out has nothing to go back to, and says so loudly")
    func nothingToRollBackTo() async throws {
        let engine = try await startedEngine()
        let project = try FixtureProject(in: environment.path("fixture"), configurations: ["kiosk": .failingSwitch])
        let (child, result) = try await run(engine, deploy(project))
        let reason = child.failureReason ?? ""
        #expect(reason.hasPrefix("ROLLBACK FAILED after switch-to-configuration switch exited with 4 (no previous system to go back to)"), "\(reason)")
        #expect(result?.switchOutcome?.ending == .rollbackFailed)
    }

    @Test("cancelling while the device waits for its health check makes it roll back at once")
    func cancelRollsBack() async throws {
        let engine = try await startedEngine()
        let (project, good) = try await deployedOnce(engine)
        try project.changeDerivations()
        try project.commit("second")
        try project.writeProjectFile(["deploy": ["health_command": "sleep 60", "confirm_timeout": 600]])
        let parent = try await engine.submitValue(deploy(project))
        let confirming = await eventually(timeout: .seconds(90)) {
            guard let child = try? environment.store.children(of: parent.id).first,
                  let steps = try? environment.store.processes(of: child.id) else { return false }
            return steps.contains { Self.switchStep($0) == "confirm" && $0.pid != nil }
        }
        #expect(confirming)
        #expect(try device.generation() == 2)
        try await engine.cancel(parent.id)
        _ = try await environment.store.waitFor(parent.id, toBe: [.failed, .completed], timeout: .seconds(30))
        let back = await eventually(timeout: .seconds(20)) { (try? device.generation()) == 1 }
        #expect(back, "the device did not roll back after the cancel")
        #expect(try device.profileTarget() == good)
        let child = try #require(try environment.store.children(of: parent.id).first)
        #expect(try environment.store.processes(of: child.id).contains { Self.switchStep($0) == "abort" && $0.exitCode == 0 })
    }

    /// The switch script's subcommand an ssh process ran (`start`, `watch`, `confirm`, `abort`).
    static func switchStep(_ process: ProcessRecord) -> String? {
        guard process.program.hasSuffix("/ssh"), let command = process.arguments.last,
              let range = command.range(of: "switch.sh", options: .backwards) else { return nil }
        return command[range.upperBound...].split(whereSeparator: { $0 == " " || $0 == "'" }).first.map(String.init)
    }

    func switchSteps(_ task: UUID) throws -> [String] {
        try environment.store.processes(of: task).compactMap(Self.switchStep)
    }

    func switchStarted(_ task: UUID) throws -> Date {
        try #require(try environment.store.processes(of: task).first { Self.switchStep($0) == "start" }?.startedAt)
    }

    /// Every process's stored stdout, in order.
    func stdoutText(_ task: UUID) throws -> String {
        var text = ""
        for process in try environment.store.processes(of: task) {
            let lines = try environment.store.lines(task: task, processIndex: process.index, stream: .stdout, range: 0..<process.stdoutLines)
            text += lines.map { String(decoding: $0, as: UTF8.self) + "\n" }.joined()
        }
        return text
    }

    @Test("the device's own switch process killed while it waits: the task says the switch was interrupted, not that it hung")
    func devicesWatchdogKilled() async throws {
        let engine = try await startedEngine()
        let (project, _) = try await deployedOnce(engine)
        try project.changeDerivations()
        try project.commit("second")
        try project.writeProjectFile(["deploy": ["health_command": "sleep 4", "confirm_timeout": 600]])
        let parent = try await engine.submitValue(deploy(project))
        // The detached `switch.sh run` on the device, seen from the host, once the switch is over and
        // the confirming connection runs the health check (the watchdog then waits for a decision).
        var watchdog: pid_t?
        let found = await eventually(timeout: .seconds(90)) {
            guard let child = try? environment.store.children(of: parent.id).first,
                  let steps = try? environment.store.processes(of: child.id),
                  steps.contains(where: { Self.switchStep($0) == "confirm" && $0.pid != nil }) else { return false }
            watchdog = Self.processes(withCommandLine: ["switch.sh", "run"]).first
            return watchdog != nil
        }
        #expect(found)
        if let watchdog { kill(watchdog, SIGKILL) }
        let final = try await environment.store.waitFor(parent.id, toBe: [.completed, .failed], timeout: .seconds(60))
        let child = try #require(try environment.store.children(of: parent.id).first)
        #expect(final.state == .failed)
        #expect(child.failureReason?.hasPrefix("switch interrupted: the device's switch process ended before it finished (while awaiting)") == true,
                "\(child.failureReason ?? "")")
        #expect(child.result(as: DeployDeviceResult.self)?.switchOutcome?.ending == .interrupted)
    }

    /// Pids whose command line holds these words, in order (read from /proc).
    static func processes(withCommandLine words: [String]) -> [pid_t] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return names.compactMap { name -> pid_t? in
            guard let pid = pid_t(name), let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return nil }
            let arguments = data.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
            let tail = arguments.suffix(words.count)
            return tail.count == words.count && zip(tail, words).allSatisfy { $0.hasSuffix($1) } ? pid : nil
        }
    }

    @Test("kill -9 of the engine while the device waits for its confirmation: the device still rolls itself back")
    func engineKilled() async throws {
        let engine = try await startedEngine()
        let (project, good) = try await deployedOnce(engine)
        try project.rewrite(["kiosk": .breaksAccess])
        try project.commit("a configuration that locks the controller out")
        let devices = [device.projectFileEntry("kiosk-1")]
        try project.writeProjectFile(["devices": devices, "ssh": ["identity": device.clientKey], "deploy": ["confirm_timeout": 10]])

        // The real command line, whose submit starts an engine in the background: that process is killed.
        let state = environment.path("cli-state")
        var cliEnvironment = ProcessInfo.processInfo.environment
        cliEnvironment["THYMIS_TASKS_STATE_DIR"] = state
        cliEnvironment["THYMIS_TASKS_NIX_CONFIG"] = "substituters =\nsandbox = false"
        cliEnvironment["THYMIS_TASKS_IDLE_EXIT"] = "30"
        let submit = Process()
        submit.executableURL = URL(fileURLWithPath: Self.cliExecutable)
        submit.arguments = ["submit", "deploy", "--project", project.path, "--device", "kiosk-1"]
        submit.environment = cliEnvironment
        submit.standardInput = FileHandle.nullDevice
        submit.standardOutput = FileHandle.nullDevice
        try submit.run()
        let switched = await eventually(timeout: .seconds(90)) { (try? device.generation()) == 2 }
        #expect(switched, "the deploy never switched the device")
        let enginePID = try #require(EngineLock.holder(in: StateDirectory(path: state)))
        kill(enginePID, SIGKILL)
        let killedAt = ContinuousClock.now
        let back = await eventually(timeout: .seconds(30)) { (try? device.generation()) == 1 }
        #expect(back, "the device did not roll back without the engine")
        #expect(ContinuousClock.now - killedAt < .seconds(25))
        #expect(try device.profileTarget() == good)
        #expect(device.acceptsLogin())
        // Stray confirm attempts of the dead engine end by themselves (ssh's ConnectTimeout).
    }

    /// `THYMIS_TASKS_EXE`, else the package's debug build (the README's test command builds it first).
    static var cliExecutable: String {
        if let explicit = ProcessInfo.processInfo.environment["THYMIS_TASKS_EXE"] { return explicit }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return root.appendingPathComponent(".build/debug/thymis-tasks").path
    }
}

/// Roll Back Device (issue 26) on the own-store device: the generations listed, the profile put
/// back on an existing generation (no new one), the old configuration's switch run, confirmed.
@Suite("Roll Back Device: back to the previous or a named generation, with the confirm-or-revert switch",
       .serialized, .enabled(if: nixAndSSHAvailable && OwnStoreDevice.isAvailable))
struct RollbackDeviceTests {
    let environment: TestEnvironment
    let device: OwnStoreDevice
    init() throws {
        environment = try TestEnvironment()
        device = try OwnStoreDevice()
    }

    func submission(_ type: String, _ project: FixtureProject, _ extra: [String: JSONValue] = [:]) -> JSONValue {
        var fields: [String: JSONValue] = ["type": .string(type), "project_path": .string(project.path),
                                           "ssh_key_path": .string(device.clientKey), "connect_timeout": .number(5)]
        if type == DeployDevicesKind.type { fields["devices"] = .array([device.deviceEntry("kiosk-1")]) } else { fields["device"] = device.deviceEntry("kiosk-1") }
        fields.merge(extra) { $1 }
        return .object(fields)
    }

    func run(_ engine: TaskEngine, _ value: JSONValue) async throws -> TaskRecord {
        let task = try await engine.submitValue(value)
        return try await environment.store.waitFor(task.id, toBe: [.completed, .failed], timeout: .seconds(120))
    }

    @Test("two deploys, then roll back: generation 1 again, then forward to 2 by number; bad generations are named")
    func rollBack() async throws {
        let engine = environment.makeEngine()
        try await engine.start(watchRequests: false)
        let project = try FixtureProject(in: environment.path("fixture"), configurations: ["kiosk": .normal])
        // A device with one generation has nothing to go back to.
        #expect(try await run(engine, submission(DeployDevicesKind.type, project)).state == .completed)
        let lone = try await run(engine, submission(RollbackDeviceKind.type, project))
        #expect(lone.failureReason?.contains("the device has no generation before 1 of /nix/var/nix/profiles/system to go back to") == true,
                "\(lone.failureReason ?? "")")
        let first = try #require(try device.profileTarget())
        try project.changeDerivations()
        try project.commit("second")
        #expect(try await run(engine, submission(DeployDevicesKind.type, project)).state == .completed)
        let second = try #require(try device.profileTarget())
        #expect(try device.generation() == 2 && second != first)

        let back = try await run(engine, submission(RollbackDeviceKind.type, project))
        #expect(back.state == .completed, "\(back.failureReason ?? "")")
        #expect(back.displayName == "Roll back kiosk-1" && back.progress == "back on generation 1, confirmed")
        // The profile points at generation 1 again: no third generation was made.
        #expect(try device.generation() == 1 && device.profileTarget() == first)
        #expect(!FileManager.default.fileExists(atPath: try device.path("/nix/var/nix/profiles/system-3-link")))
        #expect(try device.lines(of: project.switchMarker) == ["kiosk switched", "kiosk switched", "kiosk switched"])
        let result = try #require(back.result(as: DeployDeviceResult.self))
        #expect(result.generations?.map(\.number) == [1, 2] && result.generations?.map(\.current) == [false, true])
        #expect(result.generations?.map(\.storePath) == [first, second])
        // The links' own times (today), not the store's 1970 that following the link gives.
        let today = String(ISO8601DateFormatter().string(from: Date()).prefix(4))
        #expect(result.generations?.allSatisfy { $0.created.hasPrefix(today) } == true, "\(result.generations ?? [])")
        #expect(result.previous == DeviceSystem(storePath: second, generation: 2) && result.new == DeviceSystem(storePath: first, generation: 1))
        #expect(result.switchOutcome?.ending == .confirmed)

        let forward = try await run(engine, submission(RollbackDeviceKind.type, project, ["to_generation": .number(2)]))
        #expect(forward.state == .completed, "\(forward.failureReason ?? "")")
        #expect(try device.generation() == 2 && device.profileTarget() == second)

        let missing = try await run(engine, submission(RollbackDeviceKind.type, project, ["to_generation": .number(9)]))
        #expect(missing.failureReason == "generations failed: the device has no generation 9 of /nix/var/nix/profiles/system (it has 1, 2); give one of those")
        let same = try await run(engine, submission(RollbackDeviceKind.type, project, ["to_generation": .number(2)]))
        #expect(same.failureReason == "generations failed: generation 2 is the one /nix/var/nix/profiles/system is on already")
        #expect(try device.generation() == 2)
    }
}
