import Foundation

/// What the device's switch script said about one deploy (`DeviceSwitchScript` `report`), read back
/// from its `thymis-switch-TOKEN KEY VALUE` lines. Lines without this deploy's token (the switch's
/// or the health command's own output) are ignored, so that output cannot pose as the protocol.
struct SwitchReport: Equatable {
    enum State: String {
        case switching, awaiting, confirmed, switched, rollingBack = "rolling-back", rolledBack = "rolled-back"
        case rollbackFailed = "rollback-failed", switchFailed = "switch-failed", interrupted, missing

        /// The script has nothing more to do: no later report can differ.
        var isFinal: Bool { ![.switching, .awaiting, .rollingBack].contains(self) }
    }

    var state: State
    var cause: RollbackCause?
    var interruptedIn: String?
    var switchExit: Int?
    var rollbackExit: Int?
    var rollbackError: String?
    var healthSaid: String?
    var rollbackSaid: String?
    var confirmTimeout: Int?
    /// The profile's generation before the deploy set it.
    var previous: DeviceSystem?
    /// What `/run/current-system` pointed at before the switch.
    var runningBefore: String?
    /// The generation the deploy created.
    var new: DeviceSystem?
    /// Where the profile points now.
    var profile: DeviceSystem?

    /// The report in `stdout`; nil when it holds no state line of this token's (the script did not run).
    static func parse(_ stdout: String, token: String) -> SwitchReport? {
        let marker = "thymis-switch-" + token + " "
        var values: [String: String] = [:]
        for line in stdout.split(whereSeparator: \.isNewline) {
            // Output without a final newline may stand before the marker on its line.
            guard let start = line.range(of: marker) else { continue }
            let rest = line[start.upperBound...]
            let key = rest.prefix { $0 != " " }
            values[String(key)] = String(rest.dropFirst(key.count).drop { $0 == " " })
        }
        guard let stateText = values["state"] else { return nil }
        let said = { (key: String) in values[key].flatMap { $0.isEmpty ? nil : $0 } }
        var report = SwitchReport(state: State(rawValue: stateText) ?? .missing)
        report.cause = values["cause"].flatMap(RollbackCause.init(deviceWords:))
        report.interruptedIn = said("interrupted-in")
        report.switchExit = values["switch-exit"].flatMap { Int($0) }
        report.rollbackExit = values["rollback-exit"].flatMap { Int($0) }
        report.rollbackError = said("rollback-error")
        report.healthSaid = said("health-said")
        report.rollbackSaid = said("rollback-said")
        report.confirmTimeout = values["timeout"].flatMap { Int($0) }
        report.previous = values["previous"].flatMap(Self.system)
        report.runningBefore = values["running"].flatMap { $0.hasPrefix("/nix/store/") ? $0 : nil }
        report.new = values["new"].flatMap(Self.system)
        report.profile = values["profile"].flatMap(Self.system)
        if case .healthFailed(let code, _) = report.cause { report.cause = .healthFailed(exitCode: code, said: report.healthSaid) }
        return report
    }

    init(state: State) { self.state = state }

    /// `system-41-link /nix/store/…` → generation 41 at that path.
    private static func system(_ value: String) -> DeviceSystem? {
        let words = value.split(separator: " ").map(String.init)
        guard words.count == 2, words[1].hasPrefix("/nix/store/") else { return nil }
        return DeviceSystem(storePath: words[1], generation: DeviceSystem.generation(ofLink: words[0]))
    }
}

/// Why a device went back to its previous system.
public enum RollbackCause: Codable, Sendable, Equatable {
    /// No new connection confirmed the device within this many seconds after the switch.
    case notConfirmed(seconds: Int)
    /// The health command exited non-zero; `said` is its last line.
    case healthFailed(exitCode: Int, said: String?)
    case healthTimedOut(seconds: Int)
    /// `switch-to-configuration switch` itself failed.
    case switchFailed(exitCode: Int)
    /// It ran longer than the device allows (30 minutes) and was stopped.
    case switchTimedOut(seconds: Int)
    /// The deploy was cancelled after the switch began.
    case cancelled

    /// From the script's `cause` words: `timeout 60`, `health 3`, `health-timeout 30`, `switch 1`, `cancelled`.
    init?(deviceWords: String) {
        let words = deviceWords.split(separator: " ")
        let number = words.count > 1 ? Int(words[1]) : nil
        switch words.first {
        case "timeout": self = .notConfirmed(seconds: number ?? 0)
        case "health": self = .healthFailed(exitCode: number ?? 1, said: nil)
        case "health-timeout": self = .healthTimedOut(seconds: number ?? 0)
        case "switch": self = .switchFailed(exitCode: number ?? 1)
        case "switch-timeout": self = .switchTimedOut(seconds: number ?? 0)
        case "cancelled": self = .cancelled
        default: return nil
        }
    }

    /// "the device did not confirm within 60 s after switching", for reasons and reports.
    public var sentence: String {
        switch self {
        case .notConfirmed(let seconds): return "the device did not confirm within \(seconds) s after switching"
        case .healthFailed(let code, let said):
            return "health check failed (exit \(code)" + (said.map { ": \"\(Self.short($0))\"" } ?? "") + ")"
        case .healthTimedOut(let seconds): return "health check did not finish within \(seconds) s"
        case .switchFailed(let code): return "switch-to-configuration switch exited with \(code)"
        case .switchTimedOut(let seconds): return "switch-to-configuration switch did not finish within \(seconds) s and was stopped"
        case .cancelled: return "the deploy was cancelled during the switch"
        }
    }

    static func short(_ text: String) -> String {
        text.count > 120 ? String(text.prefix(119)) + "…" : text
    }
}
