import NixLog

/// How a process ended, with what the step that ran it may need next.
public struct ProcessOutcome: Sendable {
    public var index: Int
    public var exitCode: Int32?
    public var signal: Int32?
    /// Set when the program could not be started at all.
    public var spawnError: String?
    /// The first `stdoutCaptureLimit` bytes of stdout.
    public var capturedStdout: [UInt8]
    /// Whether stdout was longer than what was captured.
    public var stdoutTruncated: Bool
    /// The last non-empty line the process wrote to stderr (not counting @nix lines).
    public var lastStderrLine: String?
    /// NixLog's summary, for processes whose stderr was parsed.
    public var nixState: NixProcessState?
    /// Set when the store kept failing until after the process ended, so some of its output (or its
    /// end) is not stored: "disk full: the store could not be written, so 1234 bytes of its output are missing".
    public var storeProblem: String?

    public var succeeded: Bool { spawnError == nil && signal == nil && exitCode == 0 }

    /// "exited with 1", "was killed by signal 9 (SIGKILL)", "could not start: ..."
    public var endDescription: String {
        if let spawnError { return "could not start: \(spawnError)" }
        if let signal { return "was killed by signal \(signal) (\(signalName(signal)))" }
        return "exited with \(exitCode ?? -1)"
    }
}
