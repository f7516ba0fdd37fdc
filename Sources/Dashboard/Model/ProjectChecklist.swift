import Foundation
import TaskEngine

/// What a form picks from the project file: its devices to tick for a deploy form (what
/// `submit deploy --all/--device` does on the command line), or its device configurations for
/// Build Image and Run VM (`--configuration`). Read when the project path is entered; the deploy
/// fields that come from the file (key, known hosts, timeout) are kept with it so the submission
/// is whole.
struct ProjectChecklist: Equatable, Sendable {
    /// What the list holds.
    enum Listing: Equatable, Sendable {
        /// The file's devices, each as the `device` object of deploy submissions.
        case devices
        /// The `nixosConfigurations` names the file knows (its devices' and its `configurations`).
        case configurations
    }

    struct Entry: Equatable, Sendable {
        var identifier: String
        /// Shown next to the identifier: `user@host:port`, or the devices running a configuration.
        var detail: String
        /// What goes into the submission: the device object, or the configuration's name.
        var json: JSONValue
    }

    /// The project path the list was read for; a changed path reads it again.
    var projectPath: String
    var listing: Listing = .devices
    var entries: [Entry] = []
    var ticked: Set<String> = []
    var cursor = 0
    /// One entry only. Deploy to Device: ticking one unticks the others, and `a` is refused.
    var single = false
    /// The choice is the entry under the cursor, no ticks (Build Image, Run VM).
    var cursorChooses = false
    /// The fields of the submission that come from the project file (`ssh_key_path`, ...).
    var fileFields: [String: JSONValue] = [:]
    /// Why there is nothing to pick (no project file, a bad one, an empty list), in the loader's words.
    var problem: String?

    /// Reads the project file of `projectPath` (or `projectFile` when given).
    static func read(projectPath: String, projectFile: String? = nil, listing: Listing = .devices, single: Bool) -> ProjectChecklist {
        var list = ProjectChecklist(projectPath: projectPath, listing: listing, single: single)
        list.cursorChooses = listing == .configurations
        let absolute = URL(fileURLWithPath: projectPath).standardizedFileURL.path
        let what = listing == .devices ? "devices" : "device configurations"
        guard let path = ProjectFile.locate(projectPath: absolute, explicitPath: projectFile) else {
            list.problem = "no \(ProjectFile.defaultName) in \(absolute): the \(what) come from the project file (see docs/project.md)"
            return list
        }
        let file: ProjectFile
        do { file = try ProjectFile.load(path) } catch {
            list.problem = error.description
            return list
        }
        switch listing {
        case .devices:
            list.entries = file.devices.map {
                Entry(identifier: $0.identifier, detail: "\($0.user)@\($0.host):\($0.port)", json: $0.deploySubmissionJSON)
            }
            if let identity = file.ssh.identity { list.fileFields["ssh_key_path"] = .string(identity) }
            if let knownHosts = file.ssh.knownHosts { list.fileFields["known_hosts_path"] = .string(knownHosts) }
            if let timeout = file.ssh.connectTimeout { list.fileFields["connect_timeout"] = .number(Double(timeout)) }
        case .configurations:
            list.entries = Self.configurations(of: file)
        }
        if list.entries.isEmpty { list.problem = "project file \(file.path) lists no \(what)" }
        if projectFile != nil { list.fileFields["project_file"] = .string(path) }
        return list
    }

    /// The devices' configurations in the file's order, then those only in `configurations`,
    /// each with the devices that run it.
    private static func configurations(of file: ProjectFile) -> [Entry] {
        var names = file.devices.map(\.configuration)
        names += file.configurations.keys.sorted()
        var seen: Set<String> = []
        return names.filter { seen.insert($0).inserted }.map { name in
            let devices = file.devices.filter { $0.configuration == name }.map(\.identifier)
            let detail = devices.isEmpty ? "no device runs it" : devices.count == 1 && devices[0] == name ? "" : devices.joined(separator: ", ")
            return Entry(identifier: name, detail: detail, json: .string(name))
        }
    }

    /// The list read again for a changed path keeps the ticks and the cursor's entry that are still in it.
    mutating func keep(from old: ProjectChecklist) {
        ticked = old.ticked.intersection(entries.map(\.identifier))
        if old.entries.indices.contains(old.cursor),
           let index = entries.firstIndex(where: { $0.identifier == old.entries[old.cursor].identifier }) {
            cursor = index
        }
    }

    mutating func move(by delta: Int) {
        guard !entries.isEmpty else { return }
        cursor = max(0, min(cursor + delta, entries.count - 1))
    }

    /// Space: tick or untick the entry under the cursor.
    mutating func toggle() {
        guard entries.indices.contains(cursor) else { return }
        let identifier = entries[cursor].identifier
        if ticked.contains(identifier) {
            ticked.remove(identifier)
        } else {
            if single { ticked.removeAll() }
            ticked.insert(identifier)
        }
    }

    /// `a`: every entry, or none when all are ticked already.
    mutating func toggleAll() {
        guard !single else { return }
        ticked = ticked.count == entries.count ? [] : Set(entries.map(\.identifier))
    }

    /// The chosen entries' values, in the project file's order: the ticked ones, or the one
    /// under the cursor where the cursor chooses.
    var chosen: [JSONValue] {
        if cursorChooses { return entries.indices.contains(cursor) ? [entries[cursor].json] : [] }
        return entries.filter { ticked.contains($0.identifier) }.map(\.json)
    }

    /// Whether entry `index` is chosen (ticked, or under a choosing cursor).
    func isChosen(_ index: Int) -> Bool {
        cursorChooses ? index == cursor : ticked.contains(entries[index].identifier)
    }
}
