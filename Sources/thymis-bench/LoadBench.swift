import Foundation
import TaskEngine

/// Load: N tasks (default 1,000) submitted in one burst: half tiny real nix builds (each its own
/// flake, so each really builds), half ssh commands to a loopback sshd started here. Reports how
/// they ended, the time, and the engine process' peak RSS.
func runLoadBench(arguments: [String]) async {
    let count = arguments.first.flatMap(Int.init) ?? 1000
    // `--state-dir DIR`: keep the tasks there (and hold its engine lock), so a dashboard can watch.
    let stateIndex = arguments.firstIndex(of: "--state-dir")
    let root = NSTemporaryDirectory() + "thymis-load-bench-\(getpid())"
    let stateDirectory = StateDirectory(path: stateIndex.flatMap { arguments.indices.contains($0 + 1) ? arguments[$0 + 1] : nil }
                                        ?? root + "/state")
    defer { try? FileManager.default.removeItem(atPath: root) }
    do {
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        let ssh = try LoopbackSSH(directory: root + "/sshd")
        defer { ssh.stop() }
        var environment = EngineConfiguration.childEnvironment()
        environment["NIX_CONFIG"] = (environment["NIX_CONFIG"] ?? "") + "\nsubstituters =\nsandbox = false"
        let store = try TaskStore(directory: stateDirectory)
        guard let lock = try EngineLock.acquire(in: stateDirectory) else {
            print("another process runs the engine for \(stateDirectory.path)")
            return
        }
        defer { withExtendedLifetime(lock) {} }
        let engine = TaskEngine(store: store, configuration: EngineConfiguration(
            poolLimits: [.nix: 2, .remote: 8, .vm: 1], baseEnvironment: environment))
        try await engine.start(watchRequests: false)
        var submissions: [ValidatedSubmission] = []
        for index in 0..<count {
            if index % 2 == 0 {
                let project = root + "/p\(index)"
                try FileManager.default.createDirectory(atPath: project, withIntermediateDirectories: true)
                let flake = """
                    { outputs = { self }: { nixosConfigurations.c\(index).config.system.build.toplevel = derivation {
                      name = "load-\(getpid())-\(index)"; system = "x86_64-linux"; builder = "/bin/sh"; PATH = "/usr/bin:/bin";
                      args = [ "-c" "echo building \(index); mkdir -p $out" ]; }; }; }
                    """
                try flake.write(toFile: project + "/flake.nix", atomically: true, encoding: .utf8)
                submissions.append(try engine.registry.validate(.object([
                    "type": .string("build_project_task"), "project_path": .string(project)])))
            } else {
                submissions.append(try engine.registry.validate(.object([
                    "type": .string("ssh_command_task"), "target_host": .string("127.0.0.1"),
                    "target_port": .number(Double(ssh.port)), "target_user": .string("root"),
                    "command": .string("echo load \(index)"), "ssh_key_path": .string(ssh.clientKey),
                    "ssh_known_hosts_path": .string(ssh.knownHosts)])))
            }
        }
        let start = ContinuousClock.now
        for submission in submissions { _ = try await engine.submit(submission) }
        let submitted = ContinuousClock.now - start
        await engine.waitUntilIdle()
        let elapsed = ContinuousClock.now - start
        let counts = try store.stateCounts()
        await engine.shutdown()
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        print("tasks: \(count) (\(count - count / 2) nix builds, \(count / 2) ssh commands); submitted in \(submitted)")
        print("all ended after \(elapsed): \(counts.sorted { $0.key.rawValue < $1.key.rawValue }.map { "\($0.key.rawValue) \($0.value)" }.joined(separator: ", "))")
        print("peak RSS of the engine process: \(usage.ru_maxrss / 1024) MiB")
    } catch {
        print("load benchmark failed: \(error)")
    }
}

/// A throwaway sshd on 127.0.0.1 for the load benchmark (tests have their own fixture).
struct LoopbackSSH {
    let port: Int
    let clientKey: String
    let knownHosts: String
    let pid: Int32

    init(directory: String) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try? FileManager.default.createDirectory(atPath: "/run/sshd", withIntermediateDirectories: true)
        for key in ["host_key", "client_key"] {
            _ = spawnAndWait("/usr/bin/ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", directory + "/" + key], environment: [:])
        }
        port = 20000 + Int(getpid() % 20000)
        clientKey = directory + "/client_key"
        knownHosts = directory + "/known_hosts"
        try "[127.0.0.1]:\(port) \(String(contentsOfFile: directory + "/host_key.pub", encoding: .utf8))"
            .write(toFile: knownHosts, atomically: true, encoding: .utf8)
        try FileManager.default.copyItem(atPath: directory + "/client_key.pub", toPath: directory + "/authorized_keys")
        try """
            Port \(port)
            ListenAddress 127.0.0.1
            HostKey \(directory)/host_key
            AuthorizedKeysFile \(directory)/authorized_keys
            PermitRootLogin prohibit-password
            PasswordAuthentication no
            UsePAM no
            StrictModes no
            MaxStartups 200:30:400
            PidFile \(directory)/sshd.pid
            """.write(toFile: directory + "/sshd_config", atomically: true, encoding: .utf8)
        var spawned: pid_t = 0
        let words = ["/usr/sbin/sshd", "-f", directory + "/sshd_config", "-D"]
        let argv: [UnsafeMutablePointer<CChar>?] = words.map { word in strdup(word) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        guard posix_spawn(&spawned, words[0], nil, nil, argv, environ) == 0 else { throw ConfigurationError("cannot start sshd") }
        pid = spawned
        usleep(300_000)
    }

    func stop() {
        kill(pid, SIGTERM)
        waitpid(pid, nil, 0)
    }
}
