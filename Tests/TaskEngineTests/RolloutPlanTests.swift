import Foundation
import Testing
@testable import TaskEngine

/// The rollout's decisions as pure values (issue 26): waves, the failure budget, the parent's line.
@Suite("rollout plans: canaries first, waves by count or percentage, the failure budget")
struct RolloutPlanTests {
    let devices = (1...10).map { "kiosk-\($0)" }

    @Test("canaries form the first wave; the rest follow in waves of a count or a percentage, rounded up")
    func waves() {
        let plan = RolloutPlan(devices: devices, settings: RolloutSettings(canaries: ["kiosk-3"], waveSize: .count(4)))
        #expect(plan.waves == [[2], [0, 1, 3, 4], [5, 6, 7, 8], [9]])
        #expect(plan.failureBudget == 0)
        let percent = RolloutPlan(devices: devices, settings: RolloutSettings(waveSize: .percent(25)))
        #expect(percent.waves.map(\.count) == [3, 3, 3, 1])
        #expect(RolloutPlan(devices: devices, settings: RolloutSettings(canaries: ["kiosk-1", "kiosk-2"])).waves.map(\.count) == [2, 8])
        // No rollout: one wave, nothing ever halts.
        let plain = RolloutPlan(devices: devices, settings: RolloutSettings())
        #expect(plain.waves == [Array(0..<10)] && plain.failureBudget == nil)
        #expect(RolloutPlan(devices: devices, settings: RolloutSettings(waveSize: .percent(100))).waves.count == 1)
    }

    @Test("wave sizes parse as a count from 1 or a percentage from 1% to 100%")
    func waveSizes() {
        #expect(RolloutSettings.WaveSize("5") == .count(5) && RolloutSettings.WaveSize("25%") == .percent(25))
        for bad in ["0", "-1", "0%", "101%", "x", "", "5.5", "%"] { #expect(RolloutSettings.WaveSize(bad) == nil, "\(bad)") }
    }

    @Test("bad settings name the setting: unknown canary, a canary of a single device, a wave larger than the fleet, a budget over it")
    func problems() {
        let names = ("--canary", "--wave-size", "--max-failures")
        #expect(RolloutSettings(canaries: ["kiosk-99"]).problem(devices: devices, names: names)?.setting == "--canary")
        #expect(RolloutSettings(canaries: ["kiosk-1"]).problem(devices: ["kiosk-1"], names: names)?.reason == "needs a deploy of several devices; this one has 1")
        #expect(RolloutSettings(waveSize: .count(11)).problem(devices: devices, names: names)?.setting == "--wave-size")
        #expect(RolloutSettings(maxFailures: 11).problem(devices: devices, names: names)?.setting == "--max-failures")
        #expect(RolloutSettings(canaries: ["kiosk-1", "kiosk-1"]).problem(devices: devices, names: names)?.reason == "names a device twice")
        #expect(RolloutSettings(canaries: ["kiosk-1"], waveSize: .count(10), maxFailures: 10).problem(devices: devices, names: names) == nil)
    }

    @Test("a failure over the budget halts the rollout, naming the device; the parent's line counts outcomes")
    func budget() {
        let plan = RolloutPlan(devices: devices, settings: RolloutSettings(canaries: ["kiosk-1"], waveSize: .count(3), maxFailures: 1))
        var result = RolloutResult(plan: plan, devices: devices)
        #expect(result.progress(currentWave: 0) == "wave 1/4 · 0/10 confirmed")
        // A device that ends while its wave runs counts on the row at once.
        var live = result
        live.note("kiosk-1", ended: .confirmed)
        #expect(live.progress(currentWave: 0) == "wave 1/4 · 1/10 confirmed")
        #expect(result.record(wave: 0, [(UUID(), .confirmed)]) == nil)
        #expect(result.record(wave: 1, [(UUID(), .confirmed), (UUID(), .rolledBack), (UUID(), .confirmed)]) == nil)
        #expect(result.progress(currentWave: 2) == "wave 3/4 · 3/10 confirmed · 1 rolled back")
        let halt = result.record(wave: 2, [(UUID(), .confirmed), (UUID(), .failed), (UUID(), .confirmed)])
        #expect(halt == "kiosk-6 failed in wave 3 (2 failures, 1 allowed)")
        result.skipAfter(wave: 2, tasks: [UUID(), UUID(), UUID()])
        #expect(result.progress(currentWave: nil) == "5/10 confirmed · 1 rolled back · 1 failed · 3 not started")
        #expect(result.waveLines == ["wave 1: kiosk-1 confirmed", "wave 2: kiosk-2 confirmed, kiosk-3 rolled back, kiosk-4 confirmed",
                                     "wave 3: kiosk-5 confirmed, kiosk-6 failed, kiosk-7 confirmed",
                                     "wave 4: kiosk-8 not started, kiosk-9 not started, kiosk-10 not started",
                                     "halted: kiosk-6 failed in wave 3 (2 failures, 1 allowed)"])
        // The last wave's failures halt nothing: nothing comes after it.
        var last = RolloutResult(plan: RolloutPlan(devices: ["a", "b"], settings: RolloutSettings(canaries: ["a"])), devices: ["a", "b"])
        #expect(last.record(wave: 0, [(UUID(), .confirmed)]) == nil && last.record(wave: 1, [(UUID(), .rolledBack)]) == nil)
    }

    @Test("the project file's rollout applies under the submission's, field by field, and only to the devices deployed")
    func merged() {
        let file = RolloutSettings(canaries: ["kiosk-1", "kiosk-9"], waveSize: .count(50), maxFailures: 2)
        let merged = RolloutSettings.merged(submission: RolloutSettings(maxFailures: 0), file: file, devices: ["kiosk-1", "kiosk-2", "kiosk-3"])
        #expect(merged == RolloutSettings(canaries: ["kiosk-1"], waveSize: .count(3), maxFailures: 0))
        #expect(RolloutSettings.merged(submission: RolloutSettings(), file: file, devices: ["kiosk-1"]) == RolloutSettings())
    }
}

@Suite("the safe switch's retry pacing")
struct SafeSwitchPacingTests {
    @Test("two quick retries, then wait for the device's own decision, then every few seconds")
    func pacing() {
        let now = ContinuousClock.now
        let decides = now + .seconds(60)
        #expect(SafeSwitch.pause(after: 1, now: now, deviceDecides: decides) == .seconds(1))
        #expect(SafeSwitch.pause(after: 2, now: now, deviceDecides: decides) == .seconds(2))
        #expect(SafeSwitch.pause(after: 3, now: now, deviceDecides: decides) == .seconds(62))
        #expect(SafeSwitch.pause(after: 3, now: decides, deviceDecides: decides) == .seconds(9))
        #expect(SafeSwitch.pause(after: 8, now: decides + .seconds(30), deviceDecides: decides) == .seconds(10))
    }
}

@Suite("copy plans: what a device lacks of a closure, from either shape of nix path-info --json")
struct CopyPlanTests {
    @Test("Nix 2.8-2.18 give an array, 2.19 and later an object by path; the plan counts only what is missing")
    func shapes() throws {
        let array = #"[{"path":"/nix/store/a-x","narSize":100},{"path":"/nix/store/b-y","narSize":250,"references":[]}]"#
        let object = #"{"/nix/store/a-x":{"narSize":100},"/nix/store/b-y":{"narSize":250,"deriver":null}}"#
        let expected: [String: UInt64] = ["/nix/store/a-x": 100, "/nix/store/b-y": 250]
        #expect(CopyPlan.narSizes(fromPathInfo: Array(array.utf8)) == expected)
        #expect(CopyPlan.narSizes(fromPathInfo: Array(object.utf8)) == expected)
        #expect(CopyPlan.narSizes(fromPathInfo: Array("not json".utf8)) == nil)
        let plan = CopyPlan(sizes: expected, missing: ["/nix/store/b-y", "/nix/store/elsewhere"])
        #expect(plan == CopyPlan(sizes: expected, missing: ["/nix/store/b-y"]))
        #expect(plan.paths == 1 && plan.bytes == 250 && plan.closurePaths == 2)
        #expect(plan.description == "250 bytes in 1 of 2 paths")
        #expect(CopyPlan.missingQueryInput(["/nix/store/b-y", "/nix/store/a-x"]) == Array("/nix/store/a-x\n/nix/store/b-y\n".utf8))
        #expect(CopyPlan.missingQuery().contains("set -f") && !CopyPlan.missingQuery().contains("/nix/store/"))
    }

    @Test("the progress line: done of total, clamped, with rate and time left")
    func line() {
        let plan = CopyPlan(sizes: ["/nix/store/a": 200_000_000], missing: ["/nix/store/a"])
        #expect(CopyProgress.line(sent: 50_000_000, plan: plan, login: "root@h", bytesPerSecond: 50_000_000)
                == "copying 50.0 MB of 200 MB (1 path) to root@h · 50.0 MB/s · 3 s left")
        #expect(CopyProgress.line(sent: 250_000_000, plan: plan, login: "root@h", bytesPerSecond: nil) == "copying 200 MB of 200 MB (1 path) to root@h")
    }
}

@Suite("closure diffs: names and versions split the way nix store diff-closures splits them")
struct ClosureDiffTests {
    @Test("output names are stripped, the version starts at the first dash not followed by a letter")
    func names() {
        let cases: [(String, String, String)] = [
            ("hello-2.12", "hello", "2.12"), ("openssl-3.0.1-bin", "openssl", "3.0.1"),
            ("nixos-system-kiosk-24.05.20240101", "nixos-system-kiosk", "24.05.20240101"),
            ("glibc-2.39-52-lib64", "glibc", "2.39-52"), ("python3.11-requests-2.31.0", "python3.11-requests", "2.31.0"),
            ("etc", "etc", ""), ("unit-script-foo-start", "unit-script-foo", ""), ("foo-", "foo-", ""),
            ("X-11", "X", "11"), ("foo-1.0-unstable", "foo", "1.0"),
        ]
        for (path, name, version) in cases {
            let split = ClosureDiff.nameAndVersion(path)
            #expect(split.name == name && split.version == version, "\(path): \(split)")
        }
        #expect(ClosureDiff.pathName("/nix/store/abc123-hello-2.12") == "hello-2.12")
    }

    @Test("added, removed, changed; size-only changes under 8 KiB are left out, as Nix leaves them out")
    func diff() {
        let before: [String: UInt64] = ["/nix/store/a-hello-2.10": 1000, "/nix/store/b-curl-8.0": 5000, "/nix/store/c-etc": 100,
                                        "/nix/store/d-big-1": 10_000]
        let after: [String: UInt64] = ["/nix/store/e-hello-2.12": 1200, "/nix/store/f-openssl-3.0.1": 9000, "/nix/store/g-etc": 120,
                                       "/nix/store/h-big-1": 30_000]
        let diff = ClosureDiff(before: before, after: after)
        #expect(diff.changes.map(\.versionText) == ["big: size only", "curl: 8.0 → ∅", "hello: 2.10 → 2.12", "openssl: ∅ → 3.0.1"])
        #expect(diff.changes.map(\.kind) == [.resized, .removed, .changed, .added])
        #expect(diff.versionChanges.count == 3 && diff.sizeBefore == 16_100 && diff.sizeAfter == 40_320)
    }

    @Test("dry-activate's unit lines, and lines of other shapes ignored")
    func units() {
        let text = "would stop the following units: a.service\nwould NOT stop the following changed units: x.service\n"
            + "would restart systemd\nwould restart the following units: b.service, c.socket\nwould reload the following units: d.service\n"
        let units = DevicePlan.Units.parse(text)
        #expect(units.stop == ["a.service"] && units.restart == ["b.service", "c.socket"] && units.reload == ["d.service"] && units.start.isEmpty)
    }
}

@Suite("the switch script's report, read back")
struct SwitchReportTests {
    @Test("only this deploy's token counts, also after output without a final newline")
    func parse() throws {
        let stdout = "ok" + "thymis-switch-t1 state confirmed\n" + "thymis-switch-t2 state rolled-back\n"
            + "thymis-switch-t1 cause health 3\nthymis-switch-t1 health-said degraded\n"
            + "thymis-switch-t1 previous system-4-link /nix/store/aaa-sys\nthymis-switch-t1 profile system-5-link /nix/store/bbb-sys\n"
        let report = try #require(SwitchReport.parse(stdout, token: "t1"))
        #expect(report.state == .confirmed && report.cause == .healthFailed(exitCode: 3, said: "degraded"))
        #expect(report.previous == DeviceSystem(storePath: "/nix/store/aaa-sys", generation: 4))
        #expect(report.profile == DeviceSystem(storePath: "/nix/store/bbb-sys", generation: 5))
        #expect(SwitchReport.parse("thymis-switch-t2 state confirmed\n", token: "t1") == nil)
        #expect(RollbackCause(deviceWords: "switch-timeout 1800") == .switchTimedOut(seconds: 1800))
    }
}
