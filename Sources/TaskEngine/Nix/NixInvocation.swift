/// Builds `nix` command lines the way every task runs them: internal-json logs at -v, so NixLog can
/// separate levels, errors, progress and build logs.
enum NixInvocation {
    /// `nix <subcommand...> --log-format internal-json -v <arguments...>`.
    ///
    /// `-L` is left out on purpose: JSON mode carries build log lines anyway, and in Nix 2.8-2.10
    /// `-L` placed after `--log-format` silently switches back to human output.
    static func spec(_ subcommand: [String], _ arguments: [String], in run: TaskRun, workingDirectory: String? = nil,
                     extraEnvironment: [String: String] = [:], secretKeys: Set<String> = [], stepName: String,
                     stdoutCaptureLimit: Int = 0) -> ProcessSpec {
        var environment = run.baseEnvironment
        for (key, value) in extraEnvironment { environment[key] = value }
        return ProcessSpec(program: "nix", arguments: subcommand + ["--log-format", "internal-json", "-v"] + arguments,
                           environment: environment, workingDirectory: workingDirectory, parsesNixLog: true,
                           stdoutCaptureLimit: stdoutCaptureLimit, secretEnvironmentKeys: secretKeys, stepName: stepName)
    }
}
