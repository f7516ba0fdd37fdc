import Foundation

/// Auto-update: keeps a fleet current unattended. Steps: `stash` (only when tracked files have
/// changes; untracked files cannot change what the flake evaluates, so they stay where they are),
/// `update` (`nix flake update`, as Update Nix Flake runs it), `commit` (`git add flake.lock` and
/// a commit of that file alone, listing each changed input with its old and new revision),
/// `restore` (`git stash pop --index`), then one Deploy Devices child at the new commit.
///
/// When no input changed nothing is committed or deployed. Every failure names its step, and every
/// path out of the plan (failure, cancel) first puts flake.lock back and pops the stash, so the
/// repository is never left stashed or half-merged. A stash that does not apply over the new
/// commit is kept, named in the failure reason, and the work tree is left clean at the new commit.
public struct AutoUpdateKind: TaskKind {
    public static let type = "auto_update_task"
    public static let typeName = "Auto-update"
    public static var secretFields: Set<String> { ProjectContext.secretFields }

    public let projectPath: String
    let context: ProjectContext
    let author: GitAuthor
    /// The Deploy Devices child's submission without `commit`; nil with `no_deploy`.
    let deployFields: [String: JSONValue]?

    static let deployOnlyFields = ["devices", "ssh_key_path", "known_hosts_path", "connect_timeout"]

    public init(fields: SubmissionFields) throws(SubmissionError) {
        try fields.requireOnly(["project_path", "no_deploy"] + Self.deployOnlyFields + ProjectContext.fields)
        projectPath = try ProjectPath.validate(fields)
        context = try ProjectContext(fields, projectPath: projectPath)
        author = context.projectFile?.autoUpdate.author ?? .standard
        if try fields.optionalBool("no_deploy") == true {
            if let given = Self.deployOnlyFields.first(where: { fields.object[$0] != nil && fields.object[$0] != .null }) {
                throw .invalidValue(type: fields.context, field: given, reason: "is given with no_deploy: true; give one or the other")
            }
            deployFields = nil
        } else {
            let deploy = try Self.deployFields(fields, context: context)
            // Check the child now, so a deploy that would be refused refuses the Auto-update before anything runs.
            _ = try Self.deploySubmission(deploy, commit: String(repeating: "0", count: 40))
            deployFields = deploy
        }
    }

    public var target: String? { ProjectPath.shortName(projectPath) }
    public var pool: Pool? { .nix }

    public func run(_ run: TaskRun) async throws {
        let repository = GitWorkTree(path: projectPath, run: run)
        let lockPath = projectPath + "/flake.lock"
        run.setProgress("checking the repository")
        _ = try await repository.head(step: "stash")
        let stashBefore = try await repository.newestStash(step: "stash")
        var state = Progress()
        let changes: [FlakeLockChange]
        do {
            let changed = try await repository.changedTrackedFiles(step: "stash")
            if !changed.isEmpty {
                run.setProgress("stashing local changes")
                let message = "thymis-tasks auto-update \(ISO8601DateFormatter().string(from: Date())) (task \(run.taskID.uuidString.lowercased()))"
                try await repository.output(["stash", "push", "-m", message], step: "stash")
            }
            state.stash = try await repository.newestStash(step: "stash").flatMap { $0 == stashBefore ? nil : $0 }
            state.savedLock = FileManager.default.contents(atPath: lockPath)
            let before = FlakeLock.inputs(atPath: lockPath)
            run.setProgress("updating inputs")
            try await run.runRequiringSuccess(await FlakeUpdateKind.updateSpec(context, in: run, stepName: "update"))
            changes = FlakeLockChange.between(before: before, after: FlakeLock.inputs(atPath: lockPath))
            if changes.isEmpty {
                // nix may rewrite the file without changing a revision: keep the committed one.
                try restoreLock(state.savedLock, at: lockPath)
            } else {
                run.setProgress("committing flake.lock")
                state.staged = true
                try await repository.output(["add", "--", "flake.lock"], step: "commit")
                try await repository.output(["-c", "commit.gpgsign=false", "commit", "--no-verify", "-q",
                                             "-m", FlakeLockChange.commitMessage(changes), "--", "flake.lock"],
                                            step: "commit", environment: author.environment)
                state.committed = true
            }
        } catch {
            throw await rollBack(error, state: state, repository: repository, lockPath: lockPath, stashBefore: stashBefore)
        }
        try await restore(state.stash, repository: repository)
        let newHead = try await repository.head(step: "commit")
        var summary = changes.map(\.summary).joined(separator: ", ") + "; committed \(newHead.prefix(12))"
        if !state.committed {
            // No input changed; still, a device that did not get HEAD (a deploy lost to a crash after
            // the commit, or one that failed) is deployed now, so an update is never left undeployed.
            let behind = try deployFields.map { try lagging($0, head: newHead, in: run) } ?? []
            guard !behind.isEmpty else {
                run.setProgress("no input changed")
                return
            }
            summary = "no input changed; \(behind.joined(separator: ", ")) did not get \(newHead.prefix(12)) yet"
        }
        guard let deployFields else {
            run.setProgress(summary + "; not deployed (no_deploy)")
            return
        }
        run.setProgress(summary + "; deploying")
        let submission: ValidatedSubmission
        do { submission = try Self.deploySubmission(deployFields, commit: newHead) } catch {
            throw TaskFailure("deploy failed: \(error)")
        }
        let deploy = try await run.runChildren([submission])[0]
        guard deploy.state == .completed else {
            throw TaskFailure("deploy failed: \(deploy.cancelled ? "cancelled" : deploy.failureReason ?? deploy.state.rawValue) (flake.lock committed as \(newHead.prefix(12)))")
        }
        run.setProgress(summary + "; deployed to \(deploy.target ?? "the devices")")
    }

    /// The deploy's devices whose last completed deploy of this project was not `head`.
    private func lagging(_ deploy: [String: JSONValue], head: String, in run: TaskRun) throws -> [String] {
        guard case .array(let devices)? = deploy["devices"] else { return [] }
        let identifiers = devices.compactMap { device -> String? in
            if case .object(let fields) = device { return fields["identifier"]?.stringValue } else { return nil }
        }
        let deployed = try run.store.lastDeployedCommits(projectPath: projectPath, devices: identifiers)
        return identifiers.filter { deployed[$0] != head }
    }

    /// What the plan changed so far, for putting it back.
    private struct Progress {
        /// The stash this task made.
        var stash: String?
        /// flake.lock as committed, before the update (nil: there was none).
        var savedLock: Data?
        var staged = false
        var committed = false
    }

    /// Puts the repository back after `error` (flake.lock as it was, the stash popped) and returns
    /// the error to throw: the original one, plus what could not be put back.
    private func rollBack(_ error: Error, state: Progress, repository: GitWorkTree, lockPath: String,
                          stashBefore: String?) async -> Error {
        var problems: [String] = []
        if !state.committed {
            if state.staged {
                do { try await repository.output(["reset", "-q", "--", "flake.lock"], step: "restore", evenIfCancelled: true) } catch {
                    problems.append("\(error)")
                }
            }
            do { try restoreLock(state.savedLock, at: lockPath) } catch { problems.append("\(error)") }
        }
        do {
            // A cancel can land while `git stash push` runs: look at the stash list itself.
            var stash = state.stash
            if stash == nil, let newest = try await repository.newestStash(step: "restore", evenIfCancelled: true), newest != stashBefore {
                stash = newest
            }
            try await restore(stash, repository: repository)
        } catch {
            problems.append("\(error)")
        }
        guard !problems.isEmpty else { return error }
        let reason = (error as? TaskFailure)?.reason ?? (error is TaskCancelled ? "cancelled" : "\(error)")
        return TaskFailure(reason + "; then " + problems.joined(separator: "; "))
    }

    /// Pops the stash this task made; a conflict keeps it, cleans the work tree and fails naming it.
    private func restore(_ stash: String?, repository: GitWorkTree) async throws {
        guard let stash else { return }
        repository.run.setProgress("restoring local changes")
        let newest = try await repository.newestStash(step: "restore", evenIfCancelled: true)
        guard newest == stash else {
            throw TaskFailure("restore failed: the newest stash is no longer Auto-update's (\(stash.prefix(12))); apply it by hand with `git stash list` and `git stash pop stash@{N}`")
        }
        let pop = try await repository.outcome(["stash", "pop", "--index", "-q"], step: "restore", evenIfCancelled: true)
        guard !pop.succeeded else { return }
        // git keeps the stash when it does not apply; clear the half-applied changes so nothing is left mid-merge.
        let reset = try await repository.outcome(["reset", "-q", "--hard", "HEAD"], step: "restore", evenIfCancelled: true)
        let head = String((try? await repository.head(step: "restore")).map { $0.prefix(12) } ?? "HEAD")
        let said = pop.lastStderrLine.map { ": \($0)" } ?? ""
        throw TaskFailure("restore failed: your local changes do not apply over the new commit (git stash pop \(pop.endDescription)\(said)); they are kept in stash@{0} (\(stash.prefix(12))), "
            + (reset.succeeded ? "the work tree is clean at \(head)" : "and git reset --hard \(reset.endDescription), so check the work tree")
            + "; apply them with `git stash pop` and resolve the conflict; nothing was deployed")
    }

    /// Writes flake.lock back as it was (or removes it when there was none).
    private func restoreLock(_ saved: Data?, at path: String) throws {
        do {
            if let saved {
                if FileManager.default.contents(atPath: path) != saved { try saved.write(to: URL(fileURLWithPath: path)) }
            } else if FileManager.default.fileExists(atPath: path) {
                try FileManager.default.removeItem(atPath: path)
            }
        } catch {
            throw TaskFailure("restore failed: could not put \(path) back as it was (\(error.localizedDescription))")
        }
    }

    /// The Deploy Devices child's fields: the submission's devices and ssh settings, else the project file's.
    static func deployFields(_ fields: SubmissionFields, context: ProjectContext) throws(SubmissionError) -> [String: JSONValue] {
        var deploy: [String: JSONValue] = ["type": .string(DeployDevicesKind.type), "project_path": .string(context.projectPath)]
        for name in ProjectContext.fields + deployOnlyFields {
            if let value = fields.object[name], value != .null { deploy[name] = value }
        }
        let file = context.projectFile
        if deploy["devices"] == nil {
            guard let devices = file?.devices, !devices.isEmpty else {
                throw .invalidValue(type: fields.context, field: "devices",
                                    reason: "is not given and \(file.map { "the project file \($0.path) lists no devices" } ?? "there is no project file") to deploy to; give devices, or no_deploy: true")
            }
            deploy["devices"] = .array(devices.map(\.deploySubmissionJSON))
        }
        if deploy["ssh_key_path"] == nil {
            guard let identity = file?.ssh.identity else {
                throw .missingField(type: fields.context, field: "ssh_key_path (or ssh.identity in the project file)")
            }
            deploy["ssh_key_path"] = .string(identity)
        }
        if deploy["known_hosts_path"] == nil, let knownHosts = file?.ssh.knownHosts { deploy["known_hosts_path"] = .string(knownHosts) }
        if deploy["connect_timeout"] == nil, let timeout = file?.ssh.connectTimeout { deploy["connect_timeout"] = .number(Double(timeout)) }
        return deploy
    }

    static func deploySubmission(_ fields: [String: JSONValue], commit: String) throws(SubmissionError) -> ValidatedSubmission {
        var child = fields
        child["commit"] = .string(commit)
        return try TaskKindRegistry([DeployDevicesKind.self]).validate(.object(child))
    }
}
