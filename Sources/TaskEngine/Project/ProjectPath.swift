import Foundation

/// Checks shared by the task types that work on a project: the directory exists and holds a flake.
enum ProjectPath {
    static func validate(_ fields: SubmissionFields, field: String = "project_path") throws(SubmissionError) -> String {
        let path = try fields.path(field)
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw .invalidValue(type: fields.context, field: field, reason: "is \(path), which is not a directory")
        }
        guard FileManager.default.fileExists(atPath: path + "/flake.nix") else {
            throw .projectWithoutFlake(path: path)
        }
        return path
    }

    /// How nix is given the project's flake: the working directory of the nix process, which is
    /// always the project directory (see `ProjectContext.flakeReference`).
    static let flakeReference = "."

    /// The last path component, for lists ("Build Project  my-fleet").
    static func shortName(_ path: String) -> String {
        URL(fileURLWithPath: path).lastPathComponent
    }
}
