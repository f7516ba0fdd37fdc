import Foundation
@testable import TaskEngine

/// A real sshd on 127.0.0.1 with keys made for this test run (MACHINE.md "Real SSH on loopback").
final class SSHServer: @unchecked Sendable {
    let directory: String
    let port: Int
    let clientKey: String
    let knownHosts: String
    /// A known-hosts file with a different key for the same host: a host key mismatch.
    let wrongKnownHosts: String
    private(set) var pid: pid_t = 0

    static var isAvailable: Bool {
        FileManager.default.isExecutableFile(atPath: "/usr/sbin/sshd") && FileManager.default.isExecutableFile(atPath: "/usr/bin/ssh-keygen")
    }

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("thymis-sshd-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try? FileManager.default.createDirectory(atPath: "/run/sshd", withIntermediateDirectories: true)
        clientKey = directory + "/client_key"
        knownHosts = directory + "/known_hosts"
        wrongKnownHosts = directory + "/wrong_known_hosts"
        for key in ["host_key", "client_key", "other_key"] {
            try Self.run("/usr/bin/ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", directory + "/" + key])
        }
        port = try Self.freePort()
        let hostPublic = try String(contentsOfFile: directory + "/host_key.pub", encoding: .utf8)
        let otherPublic = try String(contentsOfFile: directory + "/other_key.pub", encoding: .utf8)
        try "[127.0.0.1]:\(port) \(hostPublic)".write(toFile: knownHosts, atomically: true, encoding: .utf8)
        try "[127.0.0.1]:\(port) \(otherPublic)".write(toFile: wrongKnownHosts, atomically: true, encoding: .utf8)
        try FileManager.default.copyItem(atPath: directory + "/client_key.pub", toPath: directory + "/authorized_keys")
        let config = """
            Port \(port)
            ListenAddress 127.0.0.1
            HostKey \(directory)/host_key
            AuthorizedKeysFile \(directory)/authorized_keys
            PermitRootLogin prohibit-password
            PasswordAuthentication no
            KbdInteractiveAuthentication no
            UsePAM no
            StrictModes no
            PidFile \(directory)/sshd.pid
            MaxStartups 100:30:200
            MaxSessions 100
            """
        try config.write(toFile: directory + "/sshd_config", atomically: true, encoding: .utf8)
        pid = try Self.spawn("/usr/sbin/sshd", ["-f", directory + "/sshd_config", "-D", "-e"], log: directory + "/sshd.log")
        let deadline = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < deadline {
            if Self.canConnect(port: port) { return }
            usleep(20_000)
        }
        throw TestTimeout("sshd did not start on port \(port): \((try? String(contentsOfFile: directory + "/sshd.log", encoding: .utf8)) ?? "")")
    }

    deinit {
        if pid > 0 {
            kill(pid, SIGTERM)
            waitpid(pid, nil, 0)
        }
        try? FileManager.default.removeItem(atPath: directory)
    }

    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    static func canConnect(port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        } == 0
    }

    static func spawn(_ program: String, _ arguments: [String], log: String? = nil) throws -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        if let log {
            posix_spawn_file_actions_addopen(&actions, 1, log, O_WRONLY | O_CREAT | O_APPEND, 0o600)
            posix_spawn_file_actions_addopen(&actions, 2, log, O_WRONLY | O_CREAT | O_APPEND, 0o600)
        }
        let words = [program] + arguments
        let argv: [UnsafeMutablePointer<CChar>?] = words.map { word in strdup(word) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, program, &actions, nil, argv, environ)
        guard result == 0 else { throw TestTimeout("cannot start \(program): \(result)") }
        return pid
    }

    static func run(_ program: String, _ arguments: [String]) throws {
        let pid = try spawn(program, arguments, log: "/dev/null")
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        guard status == 0 else { throw TestTimeout("\(program) \(arguments) failed with status \(status)") }
    }

    /// A Thymis-shaped ssh_command_task submission for this server.
    func submission(_ command: String, knownHosts: String? = nil, port: Int? = nil) -> JSONValue {
        .object([
            "type": .string(SSHCommandKind.type), "target_host": .string("127.0.0.1"),
            "target_port": .number(Double(port ?? self.port)), "target_user": .string("root"),
            "command": .string(command), "ssh_key_path": .string(clientKey),
            "ssh_known_hosts_path": .string(knownHosts ?? self.knownHosts), "connect_timeout": .number(5),
        ])
    }
}
