import Foundation

/// The engine's half of a safe switch (issue 26; the device's half is `DeviceSwitchScript`).
///
/// 1. `switch`: one SSH session installs the script, sets the profile, starts the switch detached
///    on the device, reports the systems before and after, and then streams the switch's output
///    into the task until the switch ends. This connection may die with the network the new
///    configuration changed; that is what step 2 is for. With rollback off, its closing report is
///    the end: nothing is confirmed or undone.
/// 2. `confirm`: a **new** connection, opened after the switch ended, runs the health command and
///    confirms. The device rolls itself back when no confirmation arrives within the timeout, when
///    the health command fails or when the switch failed. The engine retries new connections
///    (each one its own step) until the device has said how it ended.
///
/// A cancel after step 1 asks the device to roll back at once (`abort`); the device also does so
/// by itself when the engine is gone, since nobody confirms.
struct SafeSwitch {
    let policy: SwitchPolicy
    let profile: String
    let login: String
    /// An ssh process running `command` on the device, named `step`.
    let ssh: @Sendable (_ step: String, _ command: String) -> ProcessSpec
    /// How long the engine keeps trying to reach a device that went quiet, beyond the confirm timeout
    /// (a rollback's own switch takes time too).
    var rollbackGrace: Duration = .seconds(300)

    /// Switches the device to `target` and returns how it ended; records the result as it learns it.
    func run(_ target: DeviceSwitchScript.SwitchTarget, in run: TaskRun,
             record: (DeployDeviceResult) -> Void) async throws -> (DeployDeviceResult, SwitchOutcome) {
        let token = run.deviceToken()
        switch target {
        case .toplevel(let path): run.setProgress("switching to \(path)")
        case .generation(let number): run.setProgress("switching to generation \(number)")
        }
        do {
            let start = try await run.run(ssh("switch", DeviceSwitchScript.startCommand(
                token: token, profile: profile, target: target, confirmTimeout: policy.confirmTimeout, rollback: policy.rollback)))
            // The script's first report says the profile is set and the switch runs; without it nothing changed.
            guard let started = SwitchReport.parse(stdoutText(start), token: token) else {
                if start.exitCode == 255 { throw SSHOptions.failure(of: start, login: login, step: "switch") }
                throw TaskFailure("set profile failed: the command on \(login) \(start.endDescription)"
                                  + (start.lastStderrLine.map { ": \($0)" } ?? ""))
            }
            if let new = started.new {
                record(DeployDeviceResult(previous: started.previous, runningBefore: started.runningBefore, new: new))
            }
            let outcome: SwitchOutcome, report: SwitchReport
            if !policy.rollback, started.state.isFinal {
                // Rollback off: the switch's end is the end, as before issue 26; nothing is confirmed.
                (outcome, report) = (SwitchOutcome(started, reachable: false), started)
            } else {
                // The device's own deadline: the confirm timeout counts from the switch's end, which
                // this session saw (or, when it was cut first, from now at the latest).
                (outcome, report) = try await awaitEnding(token: token, deviceDecides: .now + .seconds(policy.confirmTimeout), in: run)
            }
            guard let new = report.new ?? started.new else {
                throw TaskFailure("switch failed: the device did not say which generation it set (\(outcome.ending.rawValue))")
            }
            let result = DeployDeviceResult(previous: report.previous ?? started.previous, runningBefore: report.runningBefore ?? started.runningBefore,
                                            new: new, switchOutcome: outcome)
            record(result)
            return (result, outcome)
        } catch is TaskCancelled {
            // Nobody will confirm now: ask the device to go back at once rather than after the timeout.
            // (Before the switch began there is nothing to undo; the device then has no such directory.)
            _ = try? await run.runEvenIfCancelled(ssh("abort", DeviceSwitchScript.command(token: token, "abort", ["cancelled"])))
            throw TaskCancelled()
        }
    }

    /// Confirms over new connections until the device says how the switch ended, or has been silent too long.
    private func awaitEnding(token: String, deviceDecides: ContinuousClock.Instant, in run: TaskRun) async throws -> (SwitchOutcome, SwitchReport) {
        var arguments = [String(policy.healthTimeout ?? policy.confirmTimeout)]
        if let health = policy.healthCommand { arguments.append(health) }
        let command = DeviceSwitchScript.command(token: token, "confirm", arguments)
        var lastContact = ContinuousClock.now
        var attempts = 0, refused = 0
        var lastSSHLine: String?
        while true {
            attempts += 1
            run.setProgress(attempts == 1 ? "confirming the device over a new connection"
                                          : "reaching the device again (attempt \(attempts))")
            let outcome = try await run.run(ssh("confirm", command))
            if let report = SwitchReport.parse(stdoutText(outcome), token: token) {
                if report.state.isFinal { return (SwitchOutcome(report, reachable: true), report) }
                // Answered, but on a connection opened while the switch still ran: that proves
                // nothing, so the next one, opened after the switch, confirms.
                lastContact = ContinuousClock.now
                try await pause(.milliseconds(200), in: run)
                continue
            }
            guard outcome.exitCode == 255 else {
                // The device answered but its switch directory is gone (wiped, another root): nothing will say more.
                var lost = SwitchReport(state: .interrupted)
                lost.interruptedIn = "its switch script could not be run: \(outcome.endDescription)"
                    + (outcome.lastStderrLine.map { ", \($0)" } ?? "")
                return (SwitchOutcome(lost, reachable: true), lost)
            }
            lastSSHLine = outcome.lastStderrLine
            refused += 1
            let now = ContinuousClock.now
            if now - lastContact > .seconds(policy.confirmTimeout) + rollbackGrace {
                return (SwitchOutcome(unreachable: lastSSHLine.map { "ssh: \($0)" }), SwitchReport(state: .missing))
            }
            try await pause(Self.pause(after: refused, now: now, deviceDecides: deviceDecides), in: run)
        }
    }

    /// Sleeps in short steps, so a cancel is seen within half a second (it then asks the device to roll back).
    private func pause(_ duration: Duration, in run: TaskRun) async throws {
        let end = ContinuousClock.now + duration
        while ContinuousClock.now < end {
            if run.isCancelled { throw TaskCancelled() }
            try await Task.sleep(for: min(.milliseconds(500), end - ContinuousClock.now))
        }
        if run.isCancelled { throw TaskCancelled() }
    }

    /// How long to wait after the `refused`-th failed connection. Two quick retries cover a blip;
    /// then the engine waits for the device's own decision (rolling back restores access), and
    /// after it tries every few seconds. Few attempts matter: OpenSSH 9.8 and later
    /// (`PerSourcePenalties`) penalise each refused login, and a handful of them in a row block the
    /// controller's address for longer than the rollback takes (measured on the test device:
    /// 10 attempts in 22 s left it refusing the controller for 15 s after it had rolled back).
    static func pause(after refused: Int, now: ContinuousClock.Instant, deviceDecides: ContinuousClock.Instant) -> Duration {
        if now < deviceDecides {
            return refused <= 2 ? .seconds(refused) : (deviceDecides - now) + .seconds(2)
        }
        return min(.seconds(3 * refused), .seconds(10))
    }

    private func stdoutText(_ outcome: ProcessOutcome) -> String {
        String(decoding: outcome.capturedStdout, as: UTF8.self)
    }
}
