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
        // Nix 2.19 turned the argument of `nix flake update` into input names; the flake moved to --flake.
        let version = await NixVersion.installed(environment: run.baseEnvironment)
        let flake = version.flakeUpdateTakesFlakeOption ? ["--flake", ProjectPath.flakeReference] : [ProjectPath.flakeReference]
        // Access tokens reach nix through NIX_CONFIG in its environment (redacted in the record), never argv.
        try await run.runRequiringSuccess(context.nixSpec(
            ["flake", "update"], flake, in: run, workingDirectory: projectPath, stepName: "update flake"))
        let after = FlakeLock.inputs(atPath: lockPath)
        run.setProgress(FlakeLock.describeChanges(before: before, after: after))
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
        var changes: [String] = []
        for name in Set(before.keys).union(after.keys).sorted() {
            switch (before[name], after[name]) {
            case (nil, .some): changes.append("added \(name)")
            case (.some, nil): changes.append("removed \(name)")
            case (.some(let old), .some(let new)) where old != new: changes.append("updated \(name)")
            default: break
            }
        }
        return changes.isEmpty ? "no input changed" : changes.joined(separator: ", ")
    }
}
