import Foundation

/// Update Nix Flake: `nix flake update` in the project, reporting which inputs changed.
public struct FlakeUpdateKind: ProjectTaskKind {
    public static let type = "project_flake_update_task"
    public static let typeName = "Update Nix Flake"
    let context: ProjectContext

    public func run(_ run: TaskRun) async throws {
        let lockPath = projectPath + "/flake.lock"
        let before = FlakeLock.inputs(atPath: lockPath)
        run.setProgress("updating inputs")
        try await run.runRequiringSuccess(Self.updateSpec(context, in: run, stepName: "update flake"))
        let after = FlakeLock.inputs(atPath: lockPath)
        run.setProgress(FlakeLock.describeChanges(before: before, after: after))
    }
}

extension FlakeUpdateKind {
    /// `nix flake update` of the project (also Auto-update's `update` step).
    static func updateSpec(_ context: ProjectContext, in run: TaskRun, stepName: String) async -> ProcessSpec {
        // Nix 2.19 turned the argument of `nix flake update` into input names; the flake moved to --flake.
        let version = await NixVersion.installed(environment: run.baseEnvironment)
        let flake = version.flakeUpdateTakesFlakeOption ? ["--flake", ProjectPath.flakeReference] : [ProjectPath.flakeReference]
        // Access tokens reach nix through NIX_CONFIG in its environment (redacted in the record), never argv.
        return context.nixSpec(["flake", "update"], flake, in: run, workingDirectory: context.projectPath, stepName: stepName)
    }
}

/// Reads the locked revision of each input of a flake.lock, to say what an update changed.
enum FlakeLock {
    static func inputs(atPath path: String) -> [String: String] {
        guard let data = FileManager.default.contents(atPath: path),
              case .object(let root)? = try? JSONValue.parse(data),
              case .object(let nodes)? = root["nodes"] else { return [:] }
        var result: [String: String] = [:]
        for (name, node) in nodes where name != "root" {
            guard case .object(let fields) = node, case .object(let locked)? = fields["locked"] else { continue }
            result[name] = locked["rev"].flatMap { if case .string(let s) = $0 { return s } else { return nil } }
                ?? locked["narHash"].flatMap { if case .string(let s) = $0 { return s } else { return nil } }
                ?? JSONValue.object(locked).canonicalText()
        }
        return result
    }

    static func describeChanges(before: [String: String], after: [String: String]) -> String {
        let changes = FlakeLockChange.between(before: before, after: after)
        return changes.isEmpty ? "no input changed" : changes.map(\.summary).joined(separator: ", ")
    }
}
