import Foundation

/// A known-hosts file for one step: the one given, or a private file holding only the device's own
/// host key (so no other key is trusted for it), in the state directory's scratch directory,
/// removed when the task is done, and by the next engine when this one was killed first.
struct KnownHostsFile: ~Copyable {
    let path: String
    private let temporaryDirectory: String?

    /// Uses `hostKey` when given (writing `[host]:port key`), else the file at `existingPath`.
    init(host: String, port: Int, hostKey: String?, existingPath: String?, scratch: String) throws {
        guard let hostKey else {
            guard let existingPath else { throw TaskFailure("no known-hosts file and no host key for \(host)") }
            path = existingPath
            temporaryDirectory = nil
            return
        }
        let directory = scratch + "/known-hosts-\(UUID().uuidString)"
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o700])
            let hostPattern = port == 22 ? host : "[\(host)]:\(port)"
            let file = directory + "/known_hosts"
            guard FileManager.default.createFile(atPath: file, contents: Data("\(hostPattern) \(hostKey)\n".utf8),
                                                 attributes: [.posixPermissions: 0o600]) else {
                throw TaskFailure("cannot write a known-hosts file in \(directory)")
            }
            path = file
        } catch {
            try? FileManager.default.removeItem(atPath: directory)
            throw TaskFailure("cannot write a known-hosts file for \(host): \(error)")
        }
        temporaryDirectory = directory
    }

    deinit {
        if let temporaryDirectory { try? FileManager.default.removeItem(atPath: temporaryDirectory) }
    }
}
