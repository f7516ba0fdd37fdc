import Foundation

/// The lock that makes one process per state directory the engine; every other process is a client.
///
/// An `flock` on `engine.lock`: the kernel releases it when the holder dies, however it dies.
public final class EngineLock: Sendable {
    private let fd: Int32
    public let path: String

    private init(fd: Int32, path: String) {
        self.fd = fd
        self.path = path
    }

    /// Takes the lock, or returns nil when another process holds it.
    public static func acquire(in directory: StateDirectory) throws -> EngineLock? {
        try directory.create()
        // O_CLOEXEC: a child (nix, ssh) must never inherit the lock and keep it after the engine died.
        let fd = openInStateDirectory(directory.lockPath, O_RDWR | O_CREAT)
        guard fd >= 0 else {
            throw StoreError.cannotCreateDirectory(path: directory.lockPath, reason: String(cString: strerror(errno)))
        }
        if flock(fd, LOCK_EX | LOCK_NB) != 0 {
            close(fd)
            return nil
        }
        let pid = "\(getpid())\n"
        ftruncate(fd, 0)
        _ = pid.withCString { pwrite(fd, $0, strlen($0), 0) }
        return EngineLock(fd: fd, path: directory.lockPath)
    }

    /// The pid written by the current holder, if any process holds the lock.
    public static func holder(in directory: StateDirectory) -> Int32? {
        let fd = openInStateDirectory(directory.lockPath, O_RDONLY)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        if flock(fd, LOCK_SH | LOCK_NB) == 0 {
            flock(fd, LOCK_UN)
            return nil
        }
        var buffer = [UInt8](repeating: 0, count: 32)
        let count = read(fd, &buffer, 31)
        guard count > 0 else { return 0 }
        return Int32(String(decoding: buffer[0..<count], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
    }

    deinit {
        flock(fd, LOCK_UN)
        close(fd)
    }
}
