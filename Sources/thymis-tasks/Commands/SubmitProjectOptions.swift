import ArgumentParser
import Foundation
import TaskEngine

/// `--project DIR [--project-file PATH]`: the project a `submit` form works on, and its project file.
struct ProjectOptions: ParsableArguments {
    @Option(help: ArgumentHelp("The project directory (a git repository holding flake.nix).", valueName: "dir"))
    var project: String = "."

    @Option(help: ArgumentHelp("The project file (default: DIR/thymis-project.json). See docs/project.md.", valueName: "path"))
    var projectFile: String?

    /// Absolute, so an engine running elsewhere (another working directory) finds it.
    var projectPath: String { URL(fileURLWithPath: project).standardizedFileURL.path }
    var projectFilePath: String? { projectFile.map { URL(fileURLWithPath: $0).standardizedFileURL.path } }

    /// The project file, or nil when there is none and `required` is false.
    func load(requiredFor purpose: String? = nil) throws -> ProjectFile? {
        guard let path = ProjectFile.locate(projectPath: projectPath, explicitPath: projectFilePath) else {
            if let purpose {
                throw CLIError("\(purpose) needs a project file: none at \(projectPath)/\(ProjectFile.defaultName); give --project-file PATH (see docs/project.md)",
                               code: ExitCodes.badInput)
            }
            return nil
        }
        let file: ProjectFile
        do { file = try ProjectFile.load(path) } catch { throw CLIError(error.description, code: ExitCodes.badInput) }
        Self.usePoolLimits(of: file)
        return file
    }

    /// The common submission fields: project path, and the project file when given explicitly.
    var fields: [String: JSONValue] {
        var fields: [String: JSONValue] = ["project_path": .string(projectPath)]
        if let projectFilePath { fields["project_file"] = .string(projectFilePath) }
        return fields
    }

    /// The project file's pool limits apply to an engine this process starts, unless
    /// THYMIS_TASKS_POOLS says otherwise; an engine already running keeps its own (docs/project.md).
    private static func usePoolLimits(of file: ProjectFile) {
        guard !file.pools.isEmpty, ProcessInfo.processInfo.environment["THYMIS_TASKS_POOLS"] == nil else { return }
        let text = file.pools.sorted { $0.key.name < $1.key.name }.map { "\($0.key.name)=\($0.value)" }.joined(separator: ",")
        setenv("THYMIS_TASKS_POOLS", text, 1)
    }
}

/// A project device as the `device` objects of deploy submissions describe it.
func deviceJSON(_ device: ProjectDevice) -> JSONValue { device.deploySubmissionJSON }

/// Looks devices up by identifier, naming the unknown one and the known ones.
func projectDevices(_ identifiers: [String], in file: ProjectFile) throws -> [ProjectDevice] {
    try identifiers.map { identifier in
        guard let device = file.device(identifier) else {
            let known = file.devices.map(\.identifier).joined(separator: ", ")
            throw CLIError("project file \(file.path) has no device \"\(identifier)\"; its devices: \(known.isEmpty ? "none" : known)",
                           code: ExitCodes.badInput)
        }
        return device
    }
}

/// The ssh identity of a project: the option given, else the file's `ssh.identity`.
func sshIdentity(_ explicit: String?, in file: ProjectFile) throws -> String {
    if let explicit { return URL(fileURLWithPath: explicit).standardizedFileURL.path }
    guard let identity = file.ssh.identity else {
        throw CLIError("project file \(file.path): field \"ssh.identity\" is missing; it names the private key used to log in to devices (or give --identity)",
                       code: ExitCodes.badInput)
    }
    return identity
}
