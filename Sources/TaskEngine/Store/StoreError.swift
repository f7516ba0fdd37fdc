/// Why the store could not be opened or written; each case says what to do about it.
public enum StoreError: Error, CustomStringConvertible, Sendable {
    case cannotCreateDirectory(path: String, reason: String)
    case cannotOpen(path: String, reason: String)
    case writeFailed(path: String, reason: String)
    case notFound(String)
    /// A reader found no database in the state directory (a mistyped `--state-dir`, or nothing submitted yet).
    case noStore(directory: String)
    case ambiguous(prefix: String, matches: [String])
    /// The state directory (or one above it) could be changed by another user, or holds a symbolic link.
    case untrustedDirectory(path: String, reason: String)
    /// The user may not read the state directory.
    case permissionDenied(directory: String)

    /// What went wrong in the store's own words ("the disk is full"), without the advice around it.
    var cause: String {
        switch self {
        case .cannotOpen(_, let reason), .writeFailed(_, let reason), .cannotCreateDirectory(_, let reason): return reason
        default: return description
        }
    }

    public var description: String {
        switch self {
        case .cannotCreateDirectory(let path, let reason):
            return "cannot create the state directory \(path): \(reason); choose another with --state-dir or THYMIS_TASKS_STATE_DIR"
        case .cannotOpen(let path, let reason):
            return "cannot open the task database \(path): \(reason)"
        case .writeFailed(let path, let reason):
            return "cannot write to the task database \(path): \(reason); check free space and permissions"
        case .noStore(let directory):
            return "there is no task store in \(directory) (no tasks.sqlite): nothing was submitted with this state directory; check --state-dir or THYMIS_TASKS_STATE_DIR (the first submit creates the store)"
        case .notFound(let id):
            return "no task matches \"\(id)\"; `thymis-tasks list` shows the task ids"
        case .untrustedDirectory(let path, let reason):
            return "refusing the state directory \(path): \(reason); use a directory of your own (--state-dir or THYMIS_TASKS_STATE_DIR)"
        case .permissionDenied(let directory):
            return "permission denied: \(directory) (the state directory) cannot be read by you; ask its owner, or use your own with --state-dir"
        case .ambiguous(let prefix, let matches):
            return "\"\(prefix)\" matches \(matches.count) tasks (\(matches.prefix(5).joined(separator: ", "))\(matches.count > 5 ? ", ..." : "")); give more of the id"
        }
    }
}
