import Foundation
import Glibc

/// Getting a tab out of the dashboard: into a file (`S`) or a pager (`o`).
enum TabExport {
    /// Writes the document's raw bytes (child output as it was printed) to `path`, creating it
    /// mode 0600 (it may hold output nobody else should read). Returns the bytes written.
    static func save(_ document: any LogDocument, to path: String) throws -> Int {
        let expanded = (path as NSString).expandingTildeInPath
        let fd = open(expanded, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw ExportError("\(expanded): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var total = 0
        try document.forEachPiece { piece in
            var offset = 0
            while offset < piece.count {
                let n = piece.withUnsafeBytes { write(fd, $0.baseAddress! + offset, piece.count - offset) }
                if n < 0 && errno == EINTR { continue }
                guard n > 0 else { throw ExportError("\(expanded): \(String(cString: strerror(errno)))") }
                offset += n
            }
            total += piece.count
        }
        return total
    }

    /// Shows the document in `$PAGER` (default `less`) with the terminal suspended. The pager
    /// gets the sanitized text (controls in visible form), never the raw child output.
    static func openInPager(_ document: any LogDocument, terminal: any Terminal) throws {
        let directory = FileManager.default.temporaryDirectory.path
        var template = Array("\(directory)/thymis-tasks-XXXXXX.txt".utf8CString)
        let fd = mkstemps(&template, 4)
        guard fd >= 0 else { throw ExportError("cannot create a temporary file in \(directory)") }
        let path = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        defer { unlink(path) }
        let text = Array(document.plainText().utf8)
        _ = text.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        close(fd)

        terminal.suspend()
        defer { terminal.resume() }
        // The pager command is the user's ($PAGER may hold options); the file is passed as $1, never
        // spliced into the command line.
        let arguments = ["/bin/sh", "-c", "exec ${PAGER:-less} \"$1\"", "sh", path]
        var pid: pid_t = 0
        let argv = arguments.map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        let status = posix_spawn(&pid, "/bin/sh", nil, nil, argv, environ)
        guard status == 0 else { throw ExportError("cannot start /bin/sh: \(String(cString: strerror(status)))") }
        var waitStatus: Int32 = 0
        while waitpid(pid, &waitStatus, 0) < 0 && errno == EINTR {}
    }
}

/// Why a tab could not be saved or shown, in words.
struct ExportError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
