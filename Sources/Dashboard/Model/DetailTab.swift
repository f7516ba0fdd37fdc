/// The tabs of the detail pane, in the order they are shown and numbered (1-6).
enum DetailTab: Int, CaseIterable, Hashable, Sendable {
    case submission, process, nix, stdout, stderr, plan

    var title: String {
        switch self {
        case .submission: "Submission"
        case .process: "Process"
        case .nix: "Nix"
        case .stdout: "stdout"
        case .stderr: "stderr"
        case .plan: "Plan"
        }
    }

    /// Output tabs open following new lines; Submission and Process are read from the top.
    var followsOutput: Bool { self == .nix || self == .stdout || self == .stderr }

    /// The name used for files saved from this tab.
    var fileStem: String {
        switch self {
        case .submission: "submission"
        case .process: "process"
        case .nix: "nix"
        case .stdout: "stdout"
        case .stderr: "stderr"
        case .plan: "plan"
        }
    }
}

/// Which pane keys go to.
enum Focus: Hashable, Sendable {
    case list, detail
}

/// What the Nix tab shows: the summary of the selected process (messages by level, errors,
/// derivations), or the build log of one derivation.
enum NixSource: Hashable, Sendable {
    case summary
    /// Index into the derivations of the selected process.
    case buildLog(Int)
}

/// A section of the Nix summary a key jumps to.
enum NixSection: String, CaseIterable, Hashable, Sendable {
    case errors = "Errors", warnings = "Warnings", notices = "Notices", info = "Info", buildLog = "Build log"
}
