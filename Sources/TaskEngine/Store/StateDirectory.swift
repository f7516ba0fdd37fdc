import Foundation

/// Where a state directory lives and the files in it, created private to the user (0700).
public struct StateDirectory: Sendable {
    public let path: String

    /// `--state-dir`, else `$THYMIS_TASKS_STATE_DIR`, else `$XDG_STATE_HOME/thymis-tasks`, else `~/.local/state/thymis-tasks`.
    public static func resolve(explicit: String?, environment: [String: String] = ProcessInfo.processInfo.environment) -> StateDirectory {
        if let explicit, !explicit.isEmpty { return StateDirectory(path: absolute(explicit)) }
        if let fromEnv = environment["THYMIS_TASKS_STATE_DIR"], !fromEnv.isEmpty { return StateDirectory(path: absolute(fromEnv)) }
        if let xdg = environment["XDG_STATE_HOME"], !xdg.isEmpty { return StateDirectory(path: absolute(xdg) + "/thymis-tasks") }
        let home = environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory()
        return StateDirectory(path: home + "/.local/state/thymis-tasks")
    }

    public init(path: String) { self.path = path }

    public var databasePath: String { path + "/tasks.sqlite" }
    public var lockPath: String { path + "/engine.lock" }
    public var logPath: String { path + "/thymis-tasks.log" }
    /// Files a task needs only while it runs (known-hosts files); emptied when an engine starts, so
    /// what a killed engine left is gone with the next one (issue 23).
    public var scratchPath: String { path + "/scratch" }

    /// Creates the directory (and parents) with mode 0700; an existing one is left as it is. Either
    /// way it must then be one that only the user (or root) can change (`checkTrusted`).
    public func create() throws(StoreError) {
        try createIfMissing()
        try checkTrusted()
    }

    private func createIfMissing() throws(StoreError) {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) {
            if !isDirectory.boolValue { throw .cannotCreateDirectory(path: path, reason: "a file of that name exists") }
            if access(path, W_OK | X_OK) != 0 { throw .cannotCreateDirectory(path: path, reason: "it is not writable") }
            return
        }
        // mkdir one level at a time, so the reason names the level that failed in words
        // ("/dev/null is not a directory"), not Foundation's "NSCocoaErrorDomain error 512".
        var current = ""
        for component in path.split(separator: "/") {
            let parent = current.isEmpty ? "/" : current
            current += "/" + component
            if mkdir(current, 0o700) == 0 || errno == EEXIST {
                var isDirectory: ObjCBool = false
                if FileManager.default.fileExists(atPath: current, isDirectory: &isDirectory), isDirectory.boolValue { continue }
                throw .cannotCreateDirectory(path: path, reason: "\(current) is not a directory")
            }
            switch errno {
            case ENOTDIR: throw .cannotCreateDirectory(path: path, reason: "\(parent) is not a directory")
            case EACCES, EPERM: throw .cannotCreateDirectory(path: path, reason: "permission denied in \(parent)")
            case EROFS: throw .cannotCreateDirectory(path: path, reason: "\(parent) is on a read-only file system")
            case ENOSPC, EDQUOT: throw .cannotCreateDirectory(path: path, reason: "the disk is full")
            default: throw .cannotCreateDirectory(path: path, reason: String(cString: strerror(errno)))
            }
        }
    }

    private static func absolute(_ path: String) -> String {
        URL(fileURLWithPath: path).standardizedFileURL.path
    }
}
