/// A task kind whose only input is the project (Build Project, Update Nix Flake): the submission is
/// `project_path` plus the project context fields, the target is the checkout's short name and the
/// work runs in the `nix` pool. The kinds keep only their type, name and plan.
protocol ProjectTaskKind: TaskKind {
    var context: ProjectContext { get }
    init(context: ProjectContext)
}

extension ProjectTaskKind {
    public static var secretFields: Set<String> { ProjectContext.secretFields }

    public init(fields: SubmissionFields) throws(SubmissionError) {
        self.init(context: try .projectOnly(fields))
    }

    var projectPath: String { context.projectPath }
    public var target: String? { context.target }
    public var pool: Pool? { .nix }
}
