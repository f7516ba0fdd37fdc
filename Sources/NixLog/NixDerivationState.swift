/// What the summary knows about one derivation Nix built (or tried to, or planned to).
public struct NixDerivationState: Sendable, Codable, Equatable {
    /// How the derivation's build went. Exactly one per derivation; decided from the activity
    /// structure (its Build activity's start and stop, Nix's done/failed counters on the Builds
    /// activity), with Nix's error text naming it only to tell whose builder failed.
    public enum Status: String, Sendable, Codable, CaseIterable {
        /// Listed in Nix's plan ("these N derivations will be built:") and not started yet.
        case planned
        /// Its Build activity is running.
        case building
        /// Its Build activity stopped and Nix counted a build as done.
        case built
        /// Its own builder failed (non-zero exit, signal, timeout, hash mismatch): Nix counted a
        /// failed build for it, or named it in a builder error.
        case failed
        /// Its build started and was stopped before it finished: another build failed (without
        /// `--keep-going`), the task was cancelled, or nix itself ended.
        case interrupted
        /// Never started because one of its inputs failed.
        case dependencyFailed
        /// Planned, and the nix process ended without reaching it.
        case notBuilt

        /// Snapshots written before `interrupted` existed called it `stopped`.
        public init(from decoder: any Decoder) throws {
            let raw = try decoder.singleValueContainer().decode(String.self)
            self = raw == "stopped" ? .interrupted : Status(rawValue: raw) ?? .interrupted
        }

        /// How people read it: "built", "dependency failed", "not built".
        public var label: String {
            switch self {
            case .dependencyFailed: "dependency failed"
            case .notBuilt: "not built"
            default: rawValue
            }
        }

        /// Whether the derivation is done with (nothing more will happen to it in this process).
        public var isFinal: Bool { self != .building && self != .planned }
    }

    /// How many of a derivation's last build log lines are kept while it builds (and after, when it
    /// did not build): what a failure report quotes.
    public static let recentLineLimit = 20

    /// The `.drv` store path.
    public var path: String
    public var status: Status
    /// Last phase the builder announced (SetPhase), if any.
    public var phase: String?
    /// The remote builder, nil when built locally.
    public var host: String?
    /// Build round and number of rounds (`--rounds`), as Nix sent them.
    public var round: Int?
    public var rounds: Int?
    /// Build log and post-build log lines attributed to it.
    public var logLines: Int
    /// Its last build log line, ANSI escapes kept, cut to `NixProcessState.lastLineLimit` bytes.
    public var lastLine: String?
    /// The error message about it, ANSI-stripped, when Nix reported it failed.
    public var failure: String?
    /// The builder's exit code, when Nix's failure message gives one ("failed with exit code 2").
    public var exitCode: Int?
    /// Its last `recentLineLimit` build log lines (ANSI kept), while it builds and when it did not
    /// build; dropped once it is built. From Nix's own "Last N log lines:" when none were seen.
    public var recentLines: [String]?
    /// Times from `NixProcessState.clock` when its Build activity started and stopped (nil without a clock).
    public var startedAt: Double?
    public var endedAt: Double?
    /// Whether one of Nix's failed-build counts is attributed to it (nil: no). Lets an error naming
    /// another derivation move that count to the right one.
    var countedFailure: Bool?

    public init(path: String, status: Status, logLines: Int = 0) {
        self.path = path
        self.status = status
        self.logLines = logLines
    }

    /// The derivation's name: the store path without directory, hash and `.drv`.
    public var name: String {
        var base = Substring(path)
        if let slash = base.lastIndex(of: "/") { base = base[base.index(after: slash)...] }
        if let dash = base.firstIndex(of: "-") { base = base[base.index(after: dash)...] }
        if base.hasSuffix(".drv") { base = base.dropLast(4) }
        return String(base)
    }
}

/// Bytes moved by one kind of transfer activity (FileTransfer downloads, CopyPath copies).
public struct NixTransferTotals: Sendable, Codable, Equatable {
    public var started = 0
    public var finished = 0
    /// Sum of the latest `done` of every activity of this kind.
    public var doneBytes = 0
    /// Sum of the latest `expected` of every activity of this kind.
    public var expectedBytes = 0

    public var running: Int { started - finished }
}
