import Foundation

/// Build Project: evaluates which NixOS configurations the project has, then builds all their
/// `config.system.build.toplevel` (or the project file's `build.attribute`) in one `nix build`.
public struct BuildProjectKind: ProjectTaskKind {
    public static let type = "build_project_task"
    public static let typeName = "Build Project"
    let context: ProjectContext

    public func run(_ run: TaskRun) async throws {
        run.setProgress("evaluating configurations")
        let evaluation = try await run.runRequiringSuccess(context.nixSpec(
            ["eval"], ["--json", "\(context.flakeReference(commit: nil))#nixosConfigurations", "--apply", "builtins.attrNames"],
            in: run, workingDirectory: projectPath, stepName: "evaluate configurations", stdoutCaptureLimit: 1 << 20))
        let names = try Self.configurationNames(evaluation.capturedStdout)
        guard !names.isEmpty else {
            run.setProgress("nothing to build: the project has no nixosConfigurations")
            return
        }
        run.setProgress("building \(names.count) configuration\(names.count == 1 ? "" : "s")")
        let attribute = context.projectFile?.buildAttribute ?? ProjectFile.defaultBuildAttribute
        let installables = names.map { context.installable(configuration: $0, attribute: attribute, commit: nil) }
        try await run.runRequiringSuccess(context.nixSpec(
            ["build"], ["--no-link", "--json"] + installables, in: run, workingDirectory: projectPath, stepName: "build",
            stdoutCaptureLimit: 1 << 20))
        run.setProgress("built \(names.joined(separator: ", "))")
    }

    static func configurationNames(_ stdout: [UInt8]) throws -> [String] {
        guard case .array(let items)? = try? JSONValue.parse(Data(stdout)) else {
            throw TaskFailure("evaluate configurations: nix printed no list of names (\(stdout.count) bytes of output)")
        }
        return items.compactMap { if case .string(let name) = $0 { return name } else { return nil } }
    }
}

/// Nix attribute names in installables: quoted unless they are plain identifiers.
enum NixAttribute {
    static func quoted(_ name: String) -> String {
        let plain = name.first.map { $0.isLetter || $0 == "_" } ?? false
            && name.allSatisfy { $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" || $0 == "'" }
        if plain && name.allSatisfy(\.isASCII) { return name }
        return "\"" + name.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }
}
