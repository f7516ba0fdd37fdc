import Foundation

/// What a project-scoped task takes from its submission besides the project path: the project file
/// (explicit `project_file`, or `thymis-project.json` at the root when present) and extra access
/// tokens (`access_tokens`, secret); together they give the Nix settings of its nix processes.
struct ProjectContext: Sendable {
    /// The submission fields every project-scoped type accepts in addition to its own.
    static let fields = ["project_file", "access_tokens"]
    /// Secret fields of every project-scoped type.
    static let secretFields: Set<String> = ["access_tokens"]

    let projectPath: String
    let projectFile: ProjectFile?
    let nix: NixSettings

    /// The submission of a task that takes nothing but the project (Build Project, Update Nix
    /// Flake): `project_path` and the context fields, nothing else.
    static func projectOnly(_ fields: SubmissionFields) throws(SubmissionError) -> ProjectContext {
        try fields.requireOnly(["project_path"] + Self.fields)
        return try ProjectContext(fields, projectPath: ProjectPath.validate(fields))
    }

    /// The task list's target for a task on this project: the checkout's short name.
    var target: String { ProjectPath.shortName(projectPath) }

    init(_ fields: SubmissionFields, projectPath: String) throws(SubmissionError) {
        self.projectPath = projectPath
        let explicit = try fields.optionalPath("project_file")
        if let path = ProjectFile.locate(projectPath: projectPath, explicitPath: explicit) {
            do {
                projectFile = try ProjectFile.load(path)
            } catch {
                throw .invalidValue(type: fields.context, field: "project_file", reason: "cannot be used: \(error.description)")
            }
        } else {
            projectFile = nil
        }
        nix = (projectFile?.nix ?? NixSettings()).adding(accessTokens: try NixSettings.accessTokens(fields, "access_tokens"))
    }

    /// A `nix` process of this project: internal-json logs plus the project's Nix settings through `NIX_CONFIG`.
    func nixSpec(_ subcommand: [String], _ arguments: [String], in run: TaskRun, workingDirectory: String? = nil,
                 extraEnvironment: [String: String] = [:], stepName: String, stdoutCaptureLimit: Int = 0) -> ProcessSpec {
        let (environment, secretKeys) = nix.applied(to: run.baseEnvironment.merging(extraEnvironment) { _, new in new })
        var spec = NixInvocation.spec(subcommand, arguments, in: run, workingDirectory: workingDirectory,
                                      stepName: stepName, stdoutCaptureLimit: stdoutCaptureLimit)
        spec.environment = environment
        spec.secretEnvironmentKeys = secretKeys
        return spec
    }

    /// The flake reference to build from: the committed revision when given, else the working tree.
    /// Relative to the project directory, which every nix process of a project runs in: Nix 2.8
    /// reads an absolute path as a URL (`/x/real?dir=sub` builds `/x/real/sub`; `#`, `%`, a space,
    /// a TAB or non-ASCII fail "is not a valid URL") and does not percent-decode `path:`/`git+file:`
    /// paths, so `.` is the only spelling under which what was checked is what is built.
    func flakeReference(commit: String?) -> String {
        guard let commit else { return ProjectPath.flakeReference }
        return "git+file:\(ProjectPath.flakeReference)?rev=\(commit)"
    }

    /// `<flake>#nixosConfigurations."NAME".ATTRIBUTE`
    func installable(configuration: String, attribute: String, commit: String?) -> String {
        "\(flakeReference(commit: commit))#nixosConfigurations.\(NixAttribute.quoted(configuration)).\(attribute)"
    }

    /// Builds one installable and returns its `out` path.
    func buildOne(_ installable: String, in run: TaskRun, stepName: String = "build") async throws -> String {
        try await buildOne(buildSpec(installable, in: run, stepName: stepName), in: run)
    }

    /// The `nix build --json` of one installable.
    func buildSpec(_ installable: String, in run: TaskRun, stepName: String = "build") -> ProcessSpec {
        nixSpec(["build"], ["--no-link", "--json", installable], in: run, workingDirectory: projectPath, stepName: stepName,
                stdoutCaptureLimit: 1 << 20)
    }

    /// Runs a `buildSpec` and returns the `out` path.
    func buildOne(_ spec: ProcessSpec, in run: TaskRun) async throws -> String {
        let outcome = try await run.runRequiringSuccess(spec)
        guard let path = NixBuildResult.outPaths(outcome.capturedStdout).first else {
            throw TaskFailure("\(spec.stepName): nix reported no output path for \(spec.arguments.last ?? "the installable")")
        }
        return path
    }
}

/// Reads `nix build --json` output: `[{"drvPath": ..., "outputs": {"out": "/nix/store/..."}}]`.
enum NixBuildResult {
    static func outPaths(_ stdout: [UInt8]) -> [String] {
        guard case .array(let items)? = try? JSONValue.parse(Data(stdout)) else { return [] }
        return items.compactMap { item in
            guard case .object(let fields) = item, case .object(let outputs)? = fields["outputs"],
                  case .string(let path)? = outputs["out"] ?? outputs.values.first else { return nil }
            return path
        }
    }
}

/// The committed revision of a project repository, refusing uncommitted changes to tracked files
/// (a flake built from git sees only what is committed, so a dirty tree would deploy something else).
enum GitRevision {
    static let field = "commit"

    /// A full or abbreviated hex commit id.
    static func optional(_ fields: SubmissionFields) throws(SubmissionError) -> String? {
        guard let value = try fields.optionalString(field, maxBytes: 64) else { return nil }
        guard value.count >= 7, value.allSatisfy(\.isHexDigit) else {
            throw .invalidValue(type: fields.context, field: field, reason: "is not a git commit id (7 to 40 hex digits)")
        }
        return value
    }

    /// Runs `git status` and `git rev-parse HEAD` in the project as steps of `run`; fails on a dirty tree.
    static func committedHead(of projectPath: String, in run: TaskRun) async throws -> String {
        run.setProgress("checking the repository")
        let status = try await run.run(gitSpec(["status", "--porcelain", "--untracked-files=no"], in: projectPath, run: run,
                                               stepName: "check repository"))
        guard status.succeeded else {
            throw TaskFailure("check repository failed: \(projectPath) is not a git repository (git status \(status.endDescription)); a deploy builds a committed revision")
        }
        let changed = String(decoding: status.capturedStdout, as: UTF8.self).split(separator: "\n")
            .map { String($0.dropFirst(3)) }.filter { !$0.isEmpty }
        guard changed.isEmpty else {
            let shown = changed.prefix(5).joined(separator: ", ") + (changed.count > 5 ? " and \(changed.count - 5) more" : "")
            throw TaskFailure("the project repository \(projectPath) has uncommitted changes (\(shown)); commit or revert them first: a deploy builds the committed revision only")
        }
        let head = try await run.run(gitSpec(["rev-parse", "HEAD"], in: projectPath, run: run, stepName: "read revision"))
        let revision = String(decoding: head.capturedStdout, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard head.succeeded, revision.count == 40 || revision.count == 64 else {
            throw TaskFailure("read revision failed: the project repository \(projectPath) has no commit yet (git rev-parse HEAD \(head.endDescription))")
        }
        return revision
    }

    private static func gitSpec(_ arguments: [String], in projectPath: String, run: TaskRun, stepName: String) -> ProcessSpec {
        ProcessSpec(program: "git", arguments: ["-C", projectPath] + arguments, environment: run.baseEnvironment,
                    workingDirectory: projectPath, stdoutCaptureLimit: 1 << 16, stepName: stepName)
    }
}
