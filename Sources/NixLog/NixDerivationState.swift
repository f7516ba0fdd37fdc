/// What the summary knows about one derivation Nix built (or tried to).
public struct NixDerivationState: Sendable, Codable, Equatable {
    public enum Status: String, Sendable, Codable {
        /// Its Build activity is running.
        case building
        /// Its Build activity stopped and Nix counted a build as done.
        case built
        /// Nix reported it failed (a failed count on Builds, or an error naming it).
        case failed
        /// Never built because a dependency failed (named in Nix's "dependencies of derivation ... failed").
        case dependencyFailed
        /// Its Build activity stopped without Nix saying how it went (e.g. Nix was interrupted).
        case stopped
    }

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
    /// Times from `NixProcessState.clock` when its Build activity started and stopped (nil without a clock).
    public var startedAt: Double?
    public var endedAt: Double?

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
