import Foundation
import TaskEngine

/// The devices of a project file, to tick for a deploy form: what `submit deploy --all/--device`
/// does on the command line. Read when the project path is entered; the deploy fields that come
/// from the file (key, known hosts, timeout) are kept with it so the submission is whole.
struct DeviceChecklist: Equatable, Sendable {
    struct Device: Equatable, Sendable {
        var identifier: String
        /// `user@host:port`, shown next to the identifier.
        var address: String
        /// The device object of deploy submissions.
        var json: JSONValue
    }

    /// The project path the list was read for; a changed path reads it again.
    var projectPath: String
    var devices: [Device] = []
    var ticked: Set<String> = []
    var cursor = 0
    /// Deploy to Device takes one device: ticking one unticks the others, and `a` is refused.
    var single = false
    /// The fields of the submission that come from the project file (`ssh_key_path`, ...).
    var fileFields: [String: JSONValue] = [:]
    /// Why there is nothing to tick (no project file, a bad one), in the loader's words.
    var problem: String?

    /// Reads the project file of `projectPath` (or `projectFile` when given).
    static func read(projectPath: String, projectFile: String? = nil, single: Bool) -> DeviceChecklist {
        var list = DeviceChecklist(projectPath: projectPath, single: single)
        let absolute = URL(fileURLWithPath: projectPath).standardizedFileURL.path
        guard let path = ProjectFile.locate(projectPath: absolute, explicitPath: projectFile) else {
            list.problem = "no \(ProjectFile.defaultName) in \(absolute): the devices come from the project file (see docs/project.md)"
            return list
        }
        let file: ProjectFile
        do { file = try ProjectFile.load(path) } catch {
            list.problem = error.description
            return list
        }
        list.devices = file.devices.map {
            Device(identifier: $0.identifier, address: "\($0.user)@\($0.host):\($0.port)", json: $0.deploySubmissionJSON)
        }
        if list.devices.isEmpty { list.problem = "project file \(file.path) lists no devices" }
        if let identity = file.ssh.identity { list.fileFields["ssh_key_path"] = .string(identity) }
        if let knownHosts = file.ssh.knownHosts { list.fileFields["known_hosts_path"] = .string(knownHosts) }
        if let timeout = file.ssh.connectTimeout { list.fileFields["connect_timeout"] = .number(Double(timeout)) }
        if projectFile != nil { list.fileFields["project_file"] = .string(path) }
        return list
    }

    mutating func move(by delta: Int) {
        guard !devices.isEmpty else { return }
        cursor = max(0, min(cursor + delta, devices.count - 1))
    }

    /// Space: tick or untick the device under the cursor.
    mutating func toggle() {
        guard devices.indices.contains(cursor) else { return }
        let identifier = devices[cursor].identifier
        if ticked.contains(identifier) {
            ticked.remove(identifier)
        } else {
            if single { ticked.removeAll() }
            ticked.insert(identifier)
        }
    }

    /// `a`: every device, or none when all are ticked already.
    mutating func toggleAll() {
        guard !single else { return }
        ticked = ticked.count == devices.count ? [] : Set(devices.map(\.identifier))
    }

    /// The ticked devices' objects, in the project file's order.
    var chosen: [JSONValue] { devices.filter { ticked.contains($0.identifier) }.map(\.json) }
}
