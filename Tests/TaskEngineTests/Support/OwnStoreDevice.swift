import Foundation
@testable import TaskEngine

/// A device with a Nix store of its own, as every real device has (issue 24): a fresh overlay of
/// the Debian 13 root that `scripts/device-root` builds (Nix 2.26, sshd), in mount and pid
/// namespaces of its own, its sshd on a free loopback port. Its `/nix/store`, its
/// `/nix/var/nix/profiles/system` and every `switch-to-configuration` that runs there are its own;
/// the controller's Nix 2.8 and store are not shared. Stopping it (deinit) kills the namespace's
/// pid 1, which takes every process and mount of the device with it; the overlay's upper
/// directory (all the device ever wrote) is then removed.
final class OwnStoreDevice: @unchecked Sendable {
    /// The cached root (`THYMIS_TEST_DEVICE_ROOT`, else scripts/device-root's default).
    static let root = ProcessInfo.processInfo.environment["THYMIS_TEST_DEVICE_ROOT"] ?? "/var/cache/thymis-tasks/device-root-trixie"

    /// Whether this machine can boot one: root, unshare, and a root that scripts/device-root built.
    static var isAvailable: Bool {
        getuid() == 0 && FileManager.default.fileExists(atPath: root + "/.thymis-device-root-v1")
            && FileManager.default.isExecutableFile(atPath: "/usr/bin/unshare") && SSHServer.isAvailable
    }

    let directory: String
    /// The overlay's upper layer (all the device wrote) and its work directory: under `directory`,
    /// or on a tmpfs of their own when the device's disk is to be small.
    let upper: String
    let work: String
    /// The tmpfs holding `upper` and `work` of a device made with a disk size; unmounted at the end.
    private let diskMount: String?
    let port: Int
    let clientKey: String
    let knownHosts: String
    let hostPublicKey: String
    /// The shell that guards `unshare`, whose child is the device's pid 1 (its sshd).
    private(set) var pid: pid_t = 0

    /// `diskMegabytes`: what the device may write in all (its store included), for a full disk.
    init(diskMegabytes: Int? = nil) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("thymis-device-\(UUID().uuidString.prefix(8))").path
        if let diskMegabytes {
            let layer = directory + "/layer"
            try FileManager.default.createDirectory(atPath: layer, withIntermediateDirectories: true)
            try SSHServer.run("/bin/mount", ["-t", "tmpfs", "-o", "size=\(diskMegabytes)m", "tmpfs", layer])
            diskMount = layer
            upper = layer + "/upper"
            work = layer + "/work"
        } else {
            diskMount = nil
            upper = directory + "/upper"
            work = directory + "/work"
        }
        let config = upper + "/etc/thymis-test"
        for path in [upper, work, directory + "/merged", config, upper + "/root/.ssh"] {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        }
        clientKey = directory + "/client_key"
        knownHosts = directory + "/known_hosts"
        try SSHServer.run("/usr/bin/ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", clientKey])
        try SSHServer.run("/usr/bin/ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", config + "/host_key"])
        port = try SSHServer.freePort()
        hostPublicKey = try String(contentsOfFile: config + "/host_key.pub", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        try "[127.0.0.1]:\(port) \(hostPublicKey)\n".write(toFile: knownHosts, atomically: true, encoding: .utf8)
        // Files put in the upper directory before mounting are the device's own from the start.
        try FileManager.default.copyItem(atPath: clientKey + ".pub", toPath: upper + "/root/.ssh/authorized_keys")
        try """
            Port \(port)
            ListenAddress 127.0.0.1
            HostKey /etc/thymis-test/host_key
            AuthorizedKeysFile /root/.ssh/authorized_keys
            PermitRootLogin prohibit-password
            PasswordAuthentication no
            KbdInteractiveAuthentication no
            UsePAM no
            StrictModes no
            PidFile /run/sshd.pid
            MaxStartups 100:30:200
            MaxSessions 100
            """.write(toFile: config + "/sshd_config", atomically: true, encoding: .utf8)
        try boot()
    }

    /// Mounts the overlay and starts sshd inside it; the upper directory keeps what the device
    /// wrote before, so a device stopped and booted again has the same store and profiles.
    func boot() throws {
        let merged = directory + "/merged"
        let boot = """
            set -e
            mount -t overlay overlay -o lowerdir=\(Self.root),upperdir=\(upper),workdir=\(work) \(merged)
            mount -t proc proc \(merged)/proc
            mount --rbind /dev \(merged)/dev
            mount -t tmpfs tmpfs \(merged)/run
            mkdir -p \(merged)/run/sshd
            exec chroot \(merged) /usr/sbin/sshd -D -e -f /etc/thymis-test/sshd_config
            """
        // --kill-child: when unshare dies, its child, the device's pid 1, is killed, and with it every
        // process and mount of the namespaces. The shell around it kills unshare when asked (stop)
        // and when the test process is gone, even by a crash: no device outlives its test run.
        let guardian = [
            "/usr/bin/unshare --mount --propagation private --pid --fork --kill-child /bin/sh -c \"$1\" & device=$!",
            "trap 'kill -9 $device 2>/dev/null; wait $device; exit 0' TERM",
            "while kill -0 \(getpid()) 2>/dev/null && kill -0 $device 2>/dev/null; do sleep 0.2; done",
            "kill -9 $device 2>/dev/null; wait $device",
        ].joined(separator: "\n")
        pid = try SSHServer.spawn("/bin/sh", ["-c", guardian, "device", boot], log: directory + "/device.log")
        let deadline = ContinuousClock.now + .seconds(15)
        while ContinuousClock.now < deadline {
            if SSHServer.canConnect(port: port) { return }
            if waitpid(pid, nil, WNOHANG) == pid {
                pid = 0
                throw TestTimeout("the test device did not boot: \((try? String(contentsOfFile: directory + "/device.log", encoding: .utf8)) ?? "")")
            }
            usleep(20_000)
        }
        throw TestTimeout("the test device's sshd did not listen on port \(port): \((try? String(contentsOfFile: directory + "/device.log", encoding: .utf8)) ?? "")")
    }

    deinit {
        stop()
        if let diskMount { _ = try? SSHServer.run("/bin/umount", ["-l", diskMount]) }
        // Only once nothing is mounted in it any more (the namespace died with its pid 1).
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// Stops the device: its sshd and everything running there.
    func stop() {
        guard pid > 0 else { return }
        kill(pid, SIGTERM)
        waitpid(pid, nil, 0)
        pid = 0
    }

    /// The device's sshd as the host sees it (pid 1 of the device's namespace).
    private var devicePID: pid_t? {
        func children(of parent: pid_t) -> [pid_t] {
            let text = (try? String(contentsOfFile: "/proc/\(parent)/task/\(parent)/children", encoding: .utf8)) ?? ""
            return text.split(separator: " ").compactMap { pid_t($0) }
        }
        let comm = { (pid: pid_t) in (try? String(contentsOfFile: "/proc/\(pid)/comm", encoding: .utf8)) ?? "" }
        guard pid > 0, let unshare = children(of: pid).first(where: { comm($0).hasPrefix("unshare") }) else { return nil }
        return children(of: unshare).first
    }

    /// A path of the device's file system, seen from the host through its root (`/proc/PID/root`).
    func path(_ inDevice: String) throws -> String {
        guard let devicePID else { throw TestTimeout("the test device is not running") }
        return "/proc/\(devicePID)/root\(inDevice)"
    }

    /// Whether a store path is in the device's store.
    func hasStorePath(_ storePath: String) throws -> Bool {
        FileManager.default.fileExists(atPath: try path(storePath))
    }

    /// The generation a profile's link names (`system-3-link` → 3), nil when it has none.
    func generation(ofProfile profile: String = ProjectFile.defaultSystemProfile) throws -> Int? {
        guard let target = try? FileManager.default.destinationOfSymbolicLink(atPath: try path(profile)) else { return nil }
        return DeviceSystem.generation(ofLink: target)
    }

    /// Where a profile's current generation points, in the device's store.
    func profileTarget(_ profile: String = ProjectFile.defaultSystemProfile) throws -> String? {
        // Link by link inside the device: its absolute links (/nix/store/...) mean its own store.
        var current = profile
        for _ in 0..<8 {
            guard let target = try? FileManager.default.destinationOfSymbolicLink(atPath: try path(current)) else { return current }
            current = target.hasPrefix("/") ? target : URL(fileURLWithPath: current).deletingLastPathComponent().path + "/" + target
        }
        return nil
    }

    /// The lines a file of the device holds (e.g. a fixture's switch marker).
    func lines(of file: String) throws -> [String] {
        ((try? String(contentsOfFile: try path(file), encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
    }

    /// Runs `command` on the device over SSH (as root, with the controller's key) and returns its stdout.
    func output(of command: String) throws -> String {
        let result = try capture("/usr/bin/ssh", sshArguments + [command])
        guard result.status == 0 else { throw TestTimeout("\(command) on the device exited \(result.status): \(result.stderr)") }
        return result.stdout
    }

    /// Whether a new SSH connection with the controller's key gets in and runs a command.
    func acceptsLogin() -> Bool {
        (try? capture("/usr/bin/ssh", sshArguments + ["true"]))?.status == 0
    }

    /// ssh's options for logging in as the controller does, up to the command.
    private var sshArguments: [String] {
        ["-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=yes", "-o", "UserKnownHostsFile=\(knownHosts)", "-o", "ConnectTimeout=5",
         "-o", "IdentitiesOnly=yes", "-o", "LogLevel=ERROR", "-i", clientKey, "-p", "\(port)", "root@127.0.0.1"]
    }

    /// This device as an entry of a project file's `devices`, with `extra` fields (e.g. a health command).
    func projectFileEntry(_ identifier: String, configuration: String = "kiosk", extra: [String: Any] = [:]) -> [String: Any] {
        var entry: [String: Any] = ["identifier": identifier, "host": "127.0.0.1", "port": port, "user": "root",
                                    "configuration": configuration, "host_key": hostPublicKey]
        entry.merge(extra) { $1 }
        return entry
    }

    /// A device entry of a deploy submission for this device.
    func deviceEntry(_ identifier: String, configuration: String = "kiosk", profile: String? = nil) -> JSONValue {
        var entry: [String: JSONValue] = [
            "identifier": .string(identifier), "host": .string("127.0.0.1"), "port": .number(Double(port)),
            "username": .string("root"), "configuration": .string(configuration), "host_key": .string(hostPublicKey),
        ]
        if let profile { entry["system_profile"] = .string(profile) }
        return .object(entry)
    }
}
