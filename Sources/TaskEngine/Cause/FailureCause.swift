import Foundation

/// Why a failed task failed, first thing first: the step, the first real error (a builder's own
/// failure with its exit code and last log lines, a Nix error with its position and trace, or a
/// process' exit status and last stderr lines), then what merely followed from it. Computed from the
/// store (`TaskStore.failureCause(of:)`) so the CLI, the report and the dashboard say the same.
///
/// Texts are as the child printed them, escapes included (so nothing is dropped silently): sanitize before showing.
public struct FailureCause: Sendable, Equatable, Codable {
    public enum Kind: String, Sendable, Codable {
        /// A derivation's own builder failed.
        case builder
        /// Nix itself reported an error (evaluation, fetch, copy...).
        case nixError = "nix_error"
        /// A process (ssh, git, cp, nix without a summary) ended unsuccessfully.
        case process
        /// The task's own check failed; no process is to blame (dirty repository, bad output...).
        case task
        /// Children of a parent task failed (`children` groups their causes).
        case children
        /// The task was cancelled.
        case cancelled
    }

    /// A derivation that did not build because of the failure, not by a fault of its own.
    public struct Consequence: Sendable, Equatable, Codable {
        public var derivation: String
        public var name: String
        /// "interrupted" or "dependency failed".
        public var outcome: String
    }

    /// Failed children with the same step and detail, e.g. 9 × copy (connection refused).
    public struct ChildGroup: Sendable, Equatable, Codable {
        public var step: String
        public var detail: String
        public var count: Int
        /// Ids of the children in this group.
        public var tasks: [String]
    }

    /// A parent's children: how many there were, failed, and the failed ones grouped by cause.
    public struct Children: Sendable, Equatable, Codable {
        public var total: Int
        public var failed: Int
        public var groups: [ChildGroup]
    }

    /// Lines of a builder's log or a process' stderr quoted in the cause.
    public static let builderLineLimit = 20
    public static let stderrLineLimit = 10

    public var kind: Kind
    /// The failed step as the task names it ("build", "copy", "switch"), when known.
    public var step: String?
    /// One line saying what failed.
    public var headline: String
    /// The process that failed (index among the task's processes) and its command line.
    public var processIndex: Int?
    public var command: String?
    /// The failed derivation (`.drv` path) for a builder failure.
    public var derivation: String?
    /// The builder's exit code (builder failures) or the process' (others).
    public var exitCode: Int?
    /// The signal that ended the process, when one did.
    public var signal: Int?
    /// Nix's whole error message (without the "error:" prefix), line by line.
    public var message: [String]
    /// `file:line:column` of a Nix error, when it has one.
    public var location: String?
    /// `--show-trace` frames, innermost first, each "message (at file:line:column)".
    public var trace: [String]
    /// The builder's last log lines, or the process' last stderr lines.
    public var lastLines: [String]
    /// Interrupted and dependency-failed derivations: secondary.
    public var consequences: [Consequence]
    public var children: Children?

    public init(kind: Kind, step: String? = nil, headline: String) {
        self.kind = kind
        self.step = step
        self.headline = headline
        message = []
        trace = []
        lastLines = []
        consequences = []
    }

    /// Short words for grouping children: the derivation's name for a builder, the salient part of
    /// ssh's complaint for a copy, else the exit status.
    public var groupDetail: String {
        switch kind {
        case .builder: return derivation.map(Self.derivationName) ?? "builder"
        case .cancelled: return "cancelled"
        case .children: return children.map { "\($0.failed) of \($0.total) children" } ?? "children"
        case .nixError, .process, .task:
            let text = (lastLines + message + [headline]).joined(separator: "\n").lowercased()
            let known: [(String, String)] = [
                ("connection refused", "connection refused"), ("host key verification failed", "host key verification failed"),
                ("permission denied", "permission denied"), ("could not resolve", "could not resolve host"),
                ("timed out", "timed out"), ("no route to host", "no route to host"), ("no space left", "no space left"),
            ]
            if let (_, words) = known.first(where: { text.contains($0.0) }) { return words }
            if let exitCode { return "exit \(exitCode)" }
            return String(headline.prefix(40))
        }
    }

    /// `12 of 40 failed: 9 copy (connection refused), 3 build (firmware-blob)`.
    public static func childrenHeadline(_ children: Children) -> String {
        "\(children.failed) of \(children.total) failed: "
            + children.groups.map { "\($0.count) \($0.step) (\($0.detail))" }.joined(separator: ", ")
    }

    /// The cause as text lines (unsanitized), the same in `show`, the report and the dashboard.
    public var textLines: [String] {
        var lines = ["cause: " + (step.map { "\($0): " } ?? "") + headline]
        if let command { lines.append("  command:    \(processIndex.map { "process \($0): " } ?? "")\(command)") }
        if let derivation { lines.append("  derivation: \(derivation)") }
        if let exitCode { lines.append("  exit code:  \(exitCode)") }
        if let signal { lines.append("  signal:     \(signal) (\(signalName(Int32(clamping: signal))))") }
        if let location { lines.append("  at:         \(location)") }
        if message.count > 1 || (message.first.map { $0 != headline } ?? false) {
            lines.append("  error:")
            lines += message.prefix(30).map { "    " + $0 }
        }
        if !trace.isEmpty {
            lines.append("  trace:")
            lines += trace.prefix(8).map { "    … " + $0 }
            if trace.count > 8 { lines.append("    … \(trace.count - 8) more frames") }
        }
        if !lastLines.isEmpty {
            lines.append(kind == .builder ? "  last \(lastLines.count) log lines:" : "  last \(lastLines.count) stderr lines:")
            lines += lastLines.map { "    > " + $0 }
        }
        if let children {
            for group in children.groups {
                lines.append("  \(group.count) × \(group.step) (\(group.detail)): "
                    + group.tasks.prefix(5).map { String($0.prefix(8)) }.joined(separator: " ") + (group.tasks.count > 5 ? " …" : ""))
            }
        }
        if !consequences.isEmpty {
            let shown = consequences.prefix(10).map { "\($0.name) \($0.outcome)" }
            lines.append("  then: " + shown.joined(separator: "; ") + (consequences.count > 10 ? "; \(consequences.count - 10) more" : ""))
        }
        return lines
    }

    /// A derivation's name from its store path (`/nix/store/<hash>-kiosk-1.drv` -> `kiosk-1`), for headings.
    public static func derivationName(_ path: String) -> String {
        var base = Substring(path)
        if let slash = base.lastIndex(of: "/") { base = base[base.index(after: slash)...] }
        if let dash = base.firstIndex(of: "-") { base = base[base.index(after: dash)...] }
        if base.hasSuffix(".drv") { base = base.dropLast(4) }
        return String(base)
    }
}
