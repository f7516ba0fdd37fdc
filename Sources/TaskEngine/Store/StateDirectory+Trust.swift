import Foundation

/// Refusing a state directory that someone else could change under us (issue 23): the engine
/// writes its pid into `engine.lock`, appends to `thymis-tasks.log` and opens `tasks.sqlite` there,
/// so whoever can add, remove or rename entries in that directory (or in one above it) could point
/// those names at files of ours and have us overwrite them, or delete the store under the engine.
extension StateDirectory {
    /// The names the engine and its clients open inside a state directory. None may be a symbolic link.
    static let fileNames = ["engine.lock", "engine.alive", "thymis-tasks.log", "tasks.sqlite", "tasks.sqlite-wal",
                            "tasks.sqlite-shm", "tasks.sqlite-journal", "tasks.sqlite.setup-lock", "auto-update.json",
                            "reports", "dashboard-forms.json", "scratch"]

    /// Throws `StoreError.untrustedDirectory` unless the directory and every directory above it can
    /// be changed only by the running user and root, and no file name in it is a symbolic link.
    ///
    /// The rule is OpenSSH's StrictModes, which users already know: owned by you or root, not
    /// writable by others; a sticky directory (`/tmp`) is fine above it, since there nobody may
    /// rename or delete another user's entry; a group-writable one is fine when that group is the
    /// owner's own private group (Debian's default with umask 002).
    public func checkTrusted() throws(StoreError) {
        guard let real = Self.realPath(path) else {
            throw .untrustedDirectory(path: path, reason: "it cannot be resolved (\(String(cString: strerror(errno))))")
        }
        var current = real
        var isStateDirectory = true
        while true {
            var info = stat()
            guard lstat(current, &info) == 0 else {
                throw .untrustedDirectory(path: path, reason: "\(current) cannot be read (\(String(cString: strerror(errno))))")
            }
            let place = isStateDirectory ? "it" : "the directory above it, \(current),"
            if !Self.isTrustedOwner(info.st_uid) {
                throw .untrustedDirectory(path: path, reason: "\(place) belongs to \(Self.userName(info.st_uid)), who could replace its files under you")
            }
            let sticky = info.st_mode & S_ISVTX != 0
            if info.st_mode & S_IWOTH != 0, isStateDirectory || !sticky {
                throw .untrustedDirectory(path: path, reason: "\(place) is writable by every user (mode \(Self.mode(info)))")
            }
            if info.st_mode & S_IWGRP != 0, isStateDirectory || !sticky, !Self.isPrivateGroup(info.st_gid, of: info.st_uid) {
                throw .untrustedDirectory(path: path, reason: "\(place) is writable by the group \(Self.groupName(info.st_gid)) (mode \(Self.mode(info)))")
            }
            if current == "/" { break }
            current = (current as NSString).deletingLastPathComponent
            if current.isEmpty { current = "/" }
            isStateDirectory = false
        }
        for name in Self.fileNames {
            var info = stat()
            if lstat(real + "/" + name, &info) == 0, info.st_mode & S_IFMT == S_IFLNK {
                throw .untrustedDirectory(path: path, reason: "\(name) in it is a symbolic link; remove it (thymis-tasks never follows one there)")
            }
        }
    }

    private static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    /// The running user, or root: root can change anything anyway.
    private static func isTrustedOwner(_ uid: uid_t) -> Bool {
        uid == 0 || uid == geteuid()
    }

    /// A group whose only possible member is `owner`: its primary group, named after it, with no
    /// other listed member and no other account having it as primary group.
    private static func isPrivateGroup(_ gid: gid_t, of owner: uid_t) -> Bool {
        guard let ownerEntry = getpwuid(owner), ownerEntry.pointee.pw_gid == gid else { return false }
        let ownerName = String(cString: ownerEntry.pointee.pw_name)
        guard let group = getgrgid(gid) else { return false }
        var member = group.pointee.gr_mem
        while let name = member?.pointee {
            if String(cString: name) != ownerName { return false }
            member = member?.advanced(by: 1)
        }
        setpwent()
        defer { endpwent() }
        while let entry = getpwent() {
            if entry.pointee.pw_gid == gid, entry.pointee.pw_uid != owner { return false }
        }
        return true
    }

    private static func userName(_ uid: uid_t) -> String {
        guard let entry = getpwuid(uid) else { return "uid \(uid)" }
        return "user \(String(cString: entry.pointee.pw_name)) (uid \(uid))"
    }

    private static func groupName(_ gid: gid_t) -> String {
        guard let entry = getgrgid(gid) else { return "gid \(gid)" }
        return "\(String(cString: entry.pointee.gr_name)) (gid \(gid))"
    }

    private static func mode(_ info: stat) -> String {
        "0" + String(info.st_mode & 0o7777, radix: 8)
    }
}

/// `open(2)` for a file inside the state directory: never through a symbolic link (`O_NOFOLLOW`),
/// never inherited by a child (`O_CLOEXEC`), new files private to the user.
func openInStateDirectory(_ path: String, _ flags: Int32, mode: mode_t = 0o600) -> Int32 {
    open(path, flags | O_NOFOLLOW | O_CLOEXEC, mode)
}
