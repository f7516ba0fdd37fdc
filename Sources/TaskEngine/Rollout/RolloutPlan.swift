import Foundation

/// How a deploy of several devices is rolled out (issue 26): canary devices first, then the rest in
/// waves, each starting only once every device of the one before has ended; more failures (a
/// failed deploy or a rollback) than the budget allows halt the rollout. Pure values: the kind
/// runs the waves, this decides them.
public struct RolloutSettings: Sendable, Equatable {
    /// Devices deployed first, in a wave of their own.
    public var canaries: [String] = []
    public var waveSize: WaveSize?
    /// How many devices may fail or roll back before the rest are not started; nil: 0 when the
    /// deploy has waves, else no halting (one wave has nothing after it).
    public var maxFailures: Int?

    public init(canaries: [String] = [], waveSize: WaveSize? = nil, maxFailures: Int? = nil) {
        self.canaries = canaries
        self.waveSize = waveSize
        self.maxFailures = maxFailures
    }

    public var isEmpty: Bool { canaries.isEmpty && waveSize == nil && maxFailures == nil }

    public enum WaveSize: Sendable, Equatable, CustomStringConvertible {
        case count(Int)
        case percent(Int)

        /// `5` or `25%`; nil for anything else (the caller names the flag or field).
        public init?(_ text: String) {
            let trimmed = text.trimmingCharacters(in: .whitespaces)
            if trimmed.hasSuffix("%") {
                guard let value = Int(trimmed.dropLast()), (1...100).contains(value) else { return nil }
                self = .percent(value)
            } else {
                guard let value = Int(trimmed), value >= 1 else { return nil }
                self = .count(value)
            }
        }

        public var description: String {
            switch self {
            case .count(let count): return "\(count)"
            case .percent(let percent): return "\(percent)%"
            }
        }

        /// Devices per wave out of `total` (a percentage rounds up, so it is never 0).
        func devices(of total: Int) -> Int {
            switch self {
            case .count(let count): return count
            case .percent(let percent): return max(1, (total * percent + 99) / 100)
            }
        }
    }

    /// Why these settings cannot roll out `devices`: which setting (by `names`: flag or field) and why.
    public func problem(devices: [String], names: (canary: String, waveSize: String, maxFailures: String)) -> (setting: String, reason: String)? {
        if !canaries.isEmpty && devices.count < 2 {
            return (names.canary, "needs a deploy of several devices; this one has \(devices.count)")
        }
        for canary in canaries where !devices.contains(canary) {
            let list = devices.prefix(8).joined(separator: ", ") + (devices.count > 8 ? ", …" : "")
            return (names.canary, "names \(canary), which is not one of the devices being deployed (\(list))")
        }
        if Set(canaries).count != canaries.count { return (names.canary, "names a device twice") }
        if case .count(let count)? = waveSize, count > devices.count {
            return (names.waveSize, "is \(count), more than the \(devices.count) devices being deployed")
        }
        if let maxFailures, maxFailures > devices.count {
            return (names.maxFailures, "is \(maxFailures); give 0 to \(devices.count) (the devices being deployed)")
        }
        return nil
    }
}

/// The waves of one deploy: indices into its device list, canaries first.
public struct RolloutPlan: Sendable, Equatable {
    public let waves: [[Int]]
    /// Failures allowed before the rest is not started; nil: never halt.
    public let failureBudget: Int?

    public init(devices: [String], settings: RolloutSettings) {
        let canaryIndices = settings.canaries.compactMap { devices.firstIndex(of: $0) }
        let rest = devices.indices.filter { !canaryIndices.contains($0) }
        var waves: [[Int]] = canaryIndices.isEmpty ? [] : [canaryIndices]
        if let size = settings.waveSize?.devices(of: devices.count) {
            waves += stride(from: 0, to: rest.count, by: size).map { Array(rest[$0..<min($0 + size, rest.count)]) }
        } else if !rest.isEmpty {
            waves.append(rest)
        }
        self.waves = waves
        failureBudget = settings.maxFailures ?? (waves.count > 1 ? 0 : nil)
    }
}

/// How one device's deploy ended, as a rollout counts it.
public enum RolloutDeviceOutcome: String, Codable, Sendable {
    case confirmed, switched, rolledBack = "rolled_back", failed, cancelled, notStarted = "not_started"

    var isFailure: Bool { self == .rolledBack || self == .failed }
}

/// The parent's result: every wave with each device's outcome, and what halted the rollout.
public struct RolloutResult: Codable, Sendable, Equatable {
    public struct Device: Codable, Sendable, Equatable {
        public var identifier: String
        public var task: UUID?
        public var outcome: RolloutDeviceOutcome?
    }

    public var waves: [[Device]]
    public var failureBudget: Int?
    /// "kiosk-1 rolled back in wave 1": the failure that used up the budget.
    public var haltedBy: String?

    public init(plan: RolloutPlan, devices: [String]) {
        waves = plan.waves.map { $0.map { Device(identifier: devices[$0]) } }
        failureBudget = plan.failureBudget
    }

    public var failures: Int { waves.joined().filter { $0.outcome?.isFailure == true }.count }

    /// Records a wave's ended children; returns why the rollout halts now, nil to go on.
    mutating func record(wave: Int, _ outcomes: [(task: UUID, outcome: RolloutDeviceOutcome)]) -> String? {
        for (index, ended) in outcomes.enumerated() where index < waves[wave].count {
            waves[wave][index].task = ended.task
            waves[wave][index].outcome = ended.outcome
        }
        guard let budget = failureBudget, failures > budget, wave + 1 < waves.count, haltedBy == nil else { return nil }
        let culprit = waves[wave].last { $0.outcome?.isFailure == true }
        let what = culprit?.outcome == .rolledBack ? "rolled back" : "failed"
        haltedBy = "\(culprit?.identifier ?? "a device") \(what) in wave \(wave + 1) (\(failures) failure\(failures == 1 ? "" : "s"), \(budget) allowed)"
        return haltedBy
    }

    /// Notes a device that ended while its wave still runs (for the row; `record` decides).
    mutating func note(_ identifier: String, ended outcome: RolloutDeviceOutcome) {
        for wave in waves.indices {
            for index in waves[wave].indices where waves[wave][index].identifier == identifier && waves[wave][index].outcome == nil {
                waves[wave][index].outcome = outcome
            }
        }
    }

    /// Marks every device of the waves after `wave` as not started.
    mutating func skipAfter(wave: Int, tasks: [UUID]) {
        var remaining = tasks.makeIterator()
        for later in (wave + 1)..<waves.count {
            for index in waves[later].indices {
                waves[later][index].task = remaining.next()
                waves[later][index].outcome = .notStarted
            }
        }
    }

    /// One line per wave: "wave 1 (canary): kiosk-1 rolled back", for `show` and the dashboard.
    public var waveLines: [String] {
        waves.enumerated().map { number, wave in
            "wave \(number + 1): " + wave.map { device in
                "\(device.identifier) \(device.outcome.map { $0.rawValue.replacingOccurrences(of: "_", with: " ") } ?? "pending")"
            }.joined(separator: ", ")
        } + (haltedBy.map { ["halted: \($0)"] } ?? [])
    }

    /// "wave 2/4 · 9/20 confirmed · 1 rolled back", for the parent's row.
    public func progress(currentWave: Int?) -> String {
        let all = Array(waves.joined())
        let count = { (outcome: RolloutDeviceOutcome) in all.filter { $0.outcome == outcome }.count }
        var parts: [String] = []
        if let currentWave, waves.count > 1 { parts.append("wave \(currentWave + 1)/\(waves.count)") }
        let confirmed = count(.confirmed) + count(.switched)
        parts.append("\(confirmed)/\(all.count) \(count(.switched) > 0 ? "switched" : "confirmed")")
        if count(.rolledBack) > 0 { parts.append("\(count(.rolledBack)) rolled back") }
        if count(.failed) > 0 { parts.append("\(count(.failed)) failed") }
        if count(.notStarted) > 0 { parts.append("\(count(.notStarted)) not started") }
        return parts.joined(separator: " · ")
    }
}
