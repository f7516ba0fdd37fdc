import Foundation
import GRDB

/// Estimates from history: the median of recent durations, as nix-output-monitor does for builds.
/// Absent (nil) rather than wrong when there is no history.
extension TaskStore {
    /// How many past durations an estimate looks at.
    static let estimateWindow = 9

    /// The median duration of the last completed tasks of the same type and target.
    public func estimatedDuration(type: String, target: String?) throws -> TimeInterval? {
        let durations = try read { db in
            try Double.fetchAll(db, sql: """
                SELECT ended_at - started_at FROM task
                WHERE type = ? AND target IS ? AND state = 'completed' AND started_at IS NOT NULL AND ended_at IS NOT NULL
                ORDER BY seq DESC LIMIT ?
                """, arguments: [type, target, Self.estimateWindow])
        }
        return Self.median(durations)
    }

    /// Records how long derivations took (name without the store hash, e.g. "kiosk-1-toplevel").
    func recordDerivationDurations(_ durations: [(name: String, seconds: Double)]) throws {
        guard !durations.isEmpty else { return }
        let now = Date().timeIntervalSince1970
        try write { db in
            for entry in durations where entry.seconds >= 0 {
                try db.execute(sql: "INSERT INTO derivation_duration (name, seconds, recorded_at) VALUES (?, ?, ?)",
                               arguments: [entry.name, entry.seconds, now])
            }
        }
    }

    /// The median build time of the last builds of a derivation with this name.
    public func estimatedBuildDuration(derivationName name: String) throws -> TimeInterval? {
        let durations = try read { db in
            try Double.fetchAll(db, sql: "SELECT seconds FROM derivation_duration WHERE name = ? ORDER BY id DESC LIMIT ?",
                                arguments: [name, Self.estimateWindow])
        }
        return Self.median(durations)
    }

    static func median(_ values: [Double]) -> Double? {
        guard !values.isEmpty else { return nil }
        let sorted = values.sorted()
        let middle = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
    }
}

/// What a person reads for a running task with history: "est. 2m10s, 1m05s left" or "est. 2m10s, 20s over".
public struct Estimate: Sendable, Equatable {
    public let expected: TimeInterval
    public let elapsed: TimeInterval

    public init(expected: TimeInterval, elapsed: TimeInterval) {
        self.expected = expected
        self.elapsed = elapsed
    }

    public var remaining: TimeInterval { expected - elapsed }

    public func description(format: (TimeInterval) -> String) -> String {
        remaining >= 0 ? "est. \(format(expected)), \(format(remaining)) left" : "est. \(format(expected)), \(format(-remaining)) over"
    }
}

extension TaskStore {
    /// The estimate for a running task, or nil when it is not running or has no history.
    public func estimate(for task: TaskRecord, now: Date = Date()) -> Estimate? {
        guard task.state == .running, let elapsed = task.duration(now: now),
              let expected = try? estimatedDuration(type: task.type, target: task.target) else { return nil }
        return Estimate(expected: expected, elapsed: elapsed)
    }
}
