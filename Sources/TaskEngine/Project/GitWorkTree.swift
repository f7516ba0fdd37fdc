import Foundation

/// Git commands in a project's work tree, each a recorded process of the task that runs it.
///
/// Steps that put the repository back (`evenIfCancelled`) still run after a cancel: a cancelled
/// Auto-update must not leave the work tree stashed or half-merged.
struct GitWorkTree {
    let path: String
    let run: TaskRun

    /// Runs git and returns its outcome; a non-zero exit is not an error here.
    func outcome(_ arguments: [String], step: String, evenIfCancelled: Bool = false,
                 environment extra: [String: String] = [:]) async throws -> ProcessOutcome {
        var environment = run.baseEnvironment.merging(extra) { _, new in new }
        // Never wait for a password or an editor: the engine has no terminal to ask on.
        environment["GIT_TERMINAL_PROMPT"] = "0"
        environment["GIT_EDITOR"] = "true"
        let spec = ProcessSpec(program: "git", arguments: ["-C", path] + arguments, environment: environment,
                               workingDirectory: path, stdoutCaptureLimit: 1 << 16, stepName: step)
        let outcome = evenIfCancelled ? try await run.runEvenIfCancelled(spec) : try await run.run(spec)
        return outcome
    }

    /// Runs git, fails the task naming `step` unless it succeeded, and returns its stdout without the final line break.
    @discardableResult
    func output(_ arguments: [String], step: String, evenIfCancelled: Bool = false,
                environment: [String: String] = [:]) async throws -> String {
        let outcome = try await outcome(arguments, step: step, evenIfCancelled: evenIfCancelled, environment: environment)
        guard outcome.succeeded else {
            throw TaskRun.failure(of: ProcessSpec(program: "git", arguments: arguments, environment: [:], stepName: step), outcome)
        }
        return String(decoding: outcome.capturedStdout, as: UTF8.self).trimmingCharacters(in: .newlines)
    }

    /// The commit HEAD points at; fails naming `step` when there is none.
    func head(step: String) async throws -> String {
        let outcome = try await outcome(["rev-parse", "--verify", "-q", "HEAD"], step: step)
        let revision = String(decoding: outcome.capturedStdout, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard outcome.succeeded, revision.count == 40 || revision.count == 64 else {
            throw TaskFailure("\(step) failed: \(path) is not a git repository with a commit (git rev-parse HEAD \(outcome.endDescription)); Auto-update commits the new flake.lock there")
        }
        return revision
    }

    /// Tracked files with changes (staged or not); untracked files are not listed.
    func changedTrackedFiles(step: String) async throws -> [String] {
        try await output(["status", "--porcelain", "--untracked-files=no"], step: step)
            .split(separator: "\n").map { String($0.dropFirst(3)) }.filter { !$0.isEmpty }
    }

    /// The newest stash entry's commit, or nil when there is no stash.
    func newestStash(step: String, evenIfCancelled: Bool = false) async throws -> String? {
        let outcome = try await outcome(["rev-parse", "-q", "--verify", "refs/stash"], step: step, evenIfCancelled: evenIfCancelled)
        let text = String(decoding: outcome.capturedStdout, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return outcome.succeeded && !text.isEmpty ? text : nil
    }
}
