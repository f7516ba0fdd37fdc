import Foundation
import Glibc

/// The bytes a process gets on stdin (`ProcessSpec.standardInput`), written through a pipe by a
/// thread of their own. A child may exit without reading them all (ssh that cannot connect): the
/// write then fails with EPIPE, which is fine, and must not raise SIGPIPE, whose default kills the
/// whole engine; the writing thread blocks SIGPIPE, so the kernel leaves it pending on that thread
/// alone and drops it when the thread ends.
final class StandardInputFeed: @unchecked Sendable {
    let readEnd: Int32
    private let writeEnd: Int32
    private let bytes: [UInt8]

    init?(_ bytes: [UInt8]) {
        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else { return nil }
        // Close-on-exec: no other child may hold the pipe open (the reader would never see its end).
        for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        readEnd = fds[0]
        writeEnd = fds[1]
        self.bytes = bytes
    }

    /// Writes the bytes, then closes the pipe (the child reads end of file). Started before the child:
    /// a full pipe waits for it; a child that never starts closes the read end, which ends the writes.
    func start() {
        let thread = Thread { [self] in
            var blocked = sigset_t()
            sigemptyset(&blocked)
            sigaddset(&blocked, SIGPIPE)
            pthread_sigmask(SIG_BLOCK, &blocked, nil)
            var offset = 0
            while offset < bytes.count {
                let written = bytes[offset...].withUnsafeBytes { write(writeEnd, $0.baseAddress, $0.count) }
                if written < 0 && errno == EINTR { continue }
                if written <= 0 { break }
                offset += written
            }
            close(writeEnd)
        }
        thread.name = "stdin feed"
        thread.start()
    }
}
