import Foundation

/// Writing a whole small file that only its owner may read (mode 0600, whatever the umask): the
/// auto-update note, the dashboard's form memory, saved and `--output` reports.
public enum PrivateFile {
    /// Replaces the file at `path` with `data`: written to `<path>.tmp` (created new, never through a
    /// symbolic link) and renamed over it, so a crash leaves the old file or the new one, and a link
    /// planted at either name is replaced rather than followed. Throws the system's reason.
    public static func replace(atPath path: String, with data: Data) throws(PrivateFileError) {
        let temporary = path + ".tmp"
        unlink(temporary)
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw PrivateFileError(path: temporary, reason: String(cString: strerror(errno))) }
        let written = data.withUnsafeBytes { buffer -> Bool in
            var offset = 0
            while offset < buffer.count {
                let count = write(fd, buffer.baseAddress! + offset, buffer.count - offset)
                if count < 0 { if errno == EINTR { continue }; return false }
                offset += count
            }
            return true
        }
        let reason = String(cString: strerror(errno))
        // fchmod: O_CREAT's mode is cut by the umask only towards fewer rights, but be explicit.
        fchmod(fd, 0o600)
        close(fd)
        guard written else {
            unlink(temporary)
            throw PrivateFileError(path: temporary, reason: reason)
        }
        guard rename(temporary, path) == 0 else {
            let error = PrivateFileError(path: path, reason: String(cString: strerror(errno)))
            unlink(temporary)
            throw error
        }
    }
}

/// Why a private file could not be written: the path and the system's words.
public struct PrivateFileError: Error, CustomStringConvertible, Sendable {
    public let path: String
    public let reason: String
    public var description: String { "cannot write \(path): \(reason)" }
}
