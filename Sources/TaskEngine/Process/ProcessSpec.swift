/// One command a task step runs: program, arguments, explicit environment and working directory.
public struct ProcessSpec: Sendable {
    /// A program name (looked up in `environment["PATH"]`) or an absolute path.
    public var program: String
    public var arguments: [String]
    /// The complete environment of the child: nothing is inherited implicitly.
    public var environment: [String: String]
    public var workingDirectory: String?
    /// Feed stderr through NixLog (for `nix ... --log-format internal-json`).
    public var parsesNixLog: Bool
    /// Keep up to this many bytes of stdout in memory for the step that ran it (e.g. `nix eval --json`); all of it is stored anyway.
    public var stdoutCaptureLimit: Int
    /// Environment keys whose values are secrets: stored and shown as `<redacted>`.
    public var secretEnvironmentKeys: Set<String>
    /// What the step is called in a failure reason, e.g. "build", "copy closure", "switch".
    public var stepName: String
    /// Bytes written to the child's stdin, which is then closed; nil: stdin is /dev/null. For data
    /// too long for one argument (a closure's store paths) or that must not show in argv.
    public var standardInput: [UInt8]?

    public init(program: String, arguments: [String], environment: [String: String], workingDirectory: String? = nil,
                parsesNixLog: Bool = false, stdoutCaptureLimit: Int = 0, secretEnvironmentKeys: Set<String> = [],
                stepName: String? = nil) {
        self.program = program
        self.arguments = arguments
        self.environment = environment
        self.workingDirectory = workingDirectory
        self.parsesNixLog = parsesNixLog
        self.stdoutCaptureLimit = stdoutCaptureLimit
        self.secretEnvironmentKeys = secretEnvironmentKeys
        self.stepName = stepName ?? (program.split(separator: "/").last.map(String.init) ?? program)
    }

    /// The environment as it may be stored and shown.
    public var redactedEnvironment: [String: String] {
        var result = environment
        for key in secretEnvironmentKeys where result[key] != nil { result[key] = "<redacted>" }
        return result
    }
}
