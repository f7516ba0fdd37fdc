import Foundation
import TaskEngine

/// Runs the built `thymis-tasks` executable as a user would, with its own state directory.
struct CLIRunner {
    var stateDirectory: String
    let scratch: String
    /// Seconds a background engine started by a submit waits idle before it exits (`THYMIS_TASKS_IDLE_EXIT`).
    var idleExit = "2"
    /// More variables for the CLI (e.g. `THYMIS_TASKS_POOLS`), set last.
    var extraEnvironment: [String: String] = [:]

    init() throws {
        scratch = FileManager.default.temporaryDirectory.appendingPathComponent("thymis-cli-\(UUID().uuidString.prefix(8))").path
        stateDirectory = scratch + "/state"
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
    }

    /// `THYMIS_TASKS_EXE`, else the package's debug build (the README's test command builds it first).
    static var executable: String {
        if let explicit = ProcessInfo.processInfo.environment["THYMIS_TASKS_EXE"] { return explicit }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return root.appendingPathComponent(".build/debug/thymis-tasks").path
    }

    struct Result {
        let status: Int32
        let stdout: String
        let stderr: String
    }

    /// Environment for the CLI: offline Nix settings (MACHINE.md), the test's state directory.
    var environment: [String: String] {
        var environment = ProcessInfo.processInfo.environment
        environment["THYMIS_TASKS_STATE_DIR"] = stateDirectory
        environment["THYMIS_TASKS_NIX_CONFIG"] = "substituters =\nsandbox = false"
        environment["NO_COLOR"] = "1"
        // Background engines a test's submits start go away soon after the test's work is done.
        environment["THYMIS_TASKS_IDLE_EXIT"] = idleExit
        environment.merge(extraEnvironment) { _, new in new }
        return environment
    }

    /// Runs another program with the CLI's environment (e.g. `script` around the CLI).
    func runProgram(_ program: String, _ arguments: [String], timeout: Duration = .seconds(60)) async throws -> Result {
        try await wait(start(arguments, program: program), timeout: timeout)
    }

    /// Starts the command; returns its pid and where its output goes.
    func start(_ arguments: [String], stdin: String? = nil, program: String = CLIRunner.executable) throws -> (pid: pid_t, stdout: String, stderr: String) {
        let id = UUID().uuidString.prefix(8)
        let out = "\(scratch)/\(id).out", err = "\(scratch)/\(id).err"
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        if let stdin {
            let input = "\(scratch)/\(id).in"
            try stdin.write(toFile: input, atomically: true, encoding: .utf8)
            posix_spawn_file_actions_addopen(&actions, 0, input, O_RDONLY, 0)
        } else {
            posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        }
        posix_spawn_file_actions_addopen(&actions, 1, out, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_addopen(&actions, 2, err, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        // Unblocked, default signals: the test runner's mask must not leak into the CLI.
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var empty = sigset_t()
        sigemptyset(&empty)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGINT, SIGTERM, SIGHUP, SIGPIPE] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigmask(&attributes, &empty)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        let words = [program] + arguments
        let argv: [UnsafeMutablePointer<CChar>?] = words.map { word in strdup(word) } + [nil]
        let envp: [UnsafeMutablePointer<CChar>?] = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { for pointer in argv + envp { free(pointer) } }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, program, &actions, &attributes, argv, envp)
        guard result == 0 else { throw CLITestError("cannot run \(program): \(String(cString: strerror(result)))") }
        return (pid, out, err)
    }

    /// Waits for a started command (at most `timeout`, then kills it and fails).
    func wait(_ started: (pid: pid_t, stdout: String, stderr: String), timeout: Duration = .seconds(60)) async throws -> Result {
        let deadline = ContinuousClock.now + timeout
        var status: Int32 = 0
        while waitpid(started.pid, &status, WNOHANG) == 0 {
            if ContinuousClock.now > deadline {
                kill(started.pid, SIGKILL)
                waitpid(started.pid, &status, 0)
                throw CLITestError("thymis-tasks did not finish within \(timeout)")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        let code: Int32 = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        return Result(status: code,
                      stdout: (try? String(contentsOfFile: started.stdout, encoding: .utf8)) ?? "",
                      stderr: (try? String(contentsOfFile: started.stderr, encoding: .utf8)) ?? "")
    }

    func run(_ arguments: [String], stdin: String? = nil, timeout: Duration = .seconds(60)) async throws -> Result {
        try await wait(start(arguments, stdin: stdin), timeout: timeout)
    }

    /// `list --json` parsed.
    func tasks() async throws -> [[String: Any]] {
        let result = try await run(["list", "--json", "--limit", "1000"])
        return (try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [[String: Any]]) ?? []
    }

    func task(_ id: String) async throws -> [String: Any] {
        let result = try await run(["show", id, "--json"])
        return (try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]) ?? [:]
    }

    /// Waits until `show ID --json` reports `state`.
    func waitForState(_ id: String, _ states: Set<String>, timeout: Duration = .seconds(60)) async throws -> [String: Any] {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            let record = try await task(id)
            if let state = record["state"] as? String, states.contains(state) { return record }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw CLITestError("task \(id) never reached \(states)")
    }

    /// A project flake whose configurations run the given builder scripts.
    func makeProject(_ name: String, configurations: [String: String]) throws -> String {
        let directory = scratch + "/" + name
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let nonce = UUID().uuidString.prefix(8)
        let entries = configurations.map { config, script in
            "\"\(config)\" = { config.system.build.toplevel = derivation { name = \"\(config)-\(nonce)\"; system = \"x86_64-linux\"; builder = \"/bin/sh\"; PATH = \"/usr/bin:/bin\"; args = [ \"-c\" ''\(script)'' ]; }; };"
        }.joined(separator: "\n")
        try "{ outputs = { self }: { nixosConfigurations = {\n\(entries)\n}; }; }\n"
            .write(toFile: directory + "/flake.nix", atomically: true, encoding: .utf8)
        return directory
    }

    /// The pid of the process holding the engine lock, waiting up to `timeout` for one to take it.
    func enginePID(timeout: Duration = .seconds(10)) async throws -> pid_t {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let pid = EngineLock.holder(in: StateDirectory(path: stateDirectory)), pid > 0 { return pid }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw CLITestError("no engine took the lock of \(stateDirectory)")
    }

    /// Waits until no process holds the engine lock (a background engine exited).
    func waitForNoEngine(timeout: Duration = .seconds(20)) async -> Bool {
        await waitUntil(timeout: timeout) { EngineLock.holder(in: StateDirectory(path: stateDirectory)) == nil }
    }

    func cleanUp() { try? FileManager.default.removeItem(atPath: scratch) }
}

struct CLITestError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
