import Foundation

extension TaskStore {
    /// The commit each device last got from a completed Deploy to Device of the project at
    /// `projectPath` (issue 23: 7), by device identifier; devices never deployed are absent. Reads the
    /// newest `scan` completed deploys only: an older one is superseded for every device it names.
    func lastDeployedCommits(projectPath: String, devices: [String], scan: Int = 2000) throws -> [String: String] {
        var commits: [String: String] = [:]
        let wanted = Set(devices)
        for task in try tasks(states: [.completed], type: DeployDeviceKind.type, limit: scan) {
            guard let device = task.target, wanted.contains(device), commits[device] == nil,
                  case .object(let fields)? = try? JSONValue.parse(Data(task.submission.utf8)),
                  fields["project_path"]?.stringValue == projectPath, let commit = fields["commit"]?.stringValue else { continue }
            commits[device] = commit
            if commits.count == wanted.count { break }
        }
        return commits
    }
}
