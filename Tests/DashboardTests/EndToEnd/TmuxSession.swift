import Foundation
import Glibc
import TaskEngine

/// The built `thymis-tasks` and a tmux session running it: what the end-to-end tests drive.
enum Executable {
    /// `$THYMIS_TASKS_EXE`, else the debug build under `.build` (what the README's test command builds) or `.build-dash`.
    static var path: String? {
        if let explicit = ProcessInfo.processInfo.environment["THYMIS_TASKS_EXE"], !explicit.isEmpty { return explicit }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().path
        for scratch in [".build", ".build-dash"] {
            let candidate = "\(root)/\(scratch)/debug/thymis-tasks"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }
}

/// Runs a program to completion and returns its exit status and standard output (stderr is
/// dropped). With `capture` false, output goes to /dev/null: needed for a command that leaves a
/// daemon behind (the tmux server), which would hold a pipe open forever.
///
/// posix_spawn and waitpid, not Foundation's Process: its child reaping hangs now and then when
/// tests in parallel spawn processes, and its pipes leak into daemons.
@discardableResult
func run(_ program: String, _ arguments: [String], environment: [String: String] = [:],
         capture: Bool = true) async throws -> (status: Int32, output: String) {
    // On a thread of its own: the tests share Swift's small cooperative pool with engine tests
    // whose timing must not starve while a child runs.
    try await withCheckedThrowingContinuation { continuation in
        Thread {
            continuation.resume(with: Result { try runBlocking(program, arguments, environment: environment, capture: capture) })
        }.start()
    }
}

@discardableResult
func runBlocking(_ program: String, _ arguments: [String], environment: [String: String] = [:],
                 capture: Bool = true) throws -> (status: Int32, output: String) {
    var fds: [Int32] = [-1, -1]
    guard pipe(&fds) == 0 else { throw SpawnError(program: program) }
    // Close-on-exec, so no other child (a daemon) keeps the write end open.
    _ = fcntl(fds[0], F_SETFD, FD_CLOEXEC)
    _ = fcntl(fds[1], F_SETFD, FD_CLOEXEC)
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    if capture {
        posix_spawn_file_actions_adddup2(&actions, fds[1], 1)
    } else {
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
    }
    posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
    var env = ProcessInfo.processInfo.environment
    for (key, value) in environment { env[key] = value }
    let argv = ([program] + arguments).map { strdup($0) } + [nil]
    let envp = env.map { strdup("\($0.key)=\($0.value)") } + [nil]
    defer {
        for pointer in argv { free(pointer) }
        for pointer in envp { free(pointer) }
    }
    var pid: pid_t = 0
    let spawned = posix_spawn(&pid, program, &actions, nil, argv, envp)
    close(fds[1])
    defer { close(fds[0]) }
    guard spawned == 0 else { throw SpawnError(program: program) }
    var output: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 65536)
    while true {
        let n = read(fds[0], &buffer, buffer.count)
        if n < 0 && errno == EINTR { continue }
        if n <= 0 { break }
        output += buffer[0..<n]
    }
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    let exitStatus = (status & 0x7F) == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
    return (exitStatus, String(decoding: output, as: UTF8.self))
}

struct SpawnError: Error, CustomStringConvertible {
    let program: String
    var description: String { "cannot run \(program)" }
}

/// A detached tmux session with a unique name; `close()` kills it.
final class TmuxSession {
    let name: String
    static let tmux = "/usr/bin/tmux"

    init(command: String, columns: Int = 120, rows: Int = 40) async throws {
        name = "thymis-dash-\(UUID().uuidString.prefix(8))"
        try await run(Self.tmux, ["new-session", "-d", "-s", name, "-x", "\(columns)", "-y", "\(rows)", command], capture: false)
    }

    func send(_ keys: String...) async throws {
        try await run(Self.tmux, ["send-keys", "-t", name] + keys, capture: false)
    }

    /// `n`, then `type` in the new-task menu counted from the top (the menu opens on the type
    /// submitted last, or Build Project), then Enter.
    func openNewTaskForm(_ type: String) async throws {
        try await send("n")
        try await waitFor { $0.contains(text: "Which task?") }
        let types = TaskKindRegistry.standard.types
        try await run(Self.tmux, ["send-keys", "-t", name] + Array(repeating: "k", count: types.count)
                      + Array(repeating: "j", count: types.firstIndex(of: type)!) + ["Enter"], capture: false)
    }

    func capture() async throws -> [String] {
        try await run(Self.tmux, ["capture-pane", "-p", "-t", name]).output.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    }

    /// Where the terminal's cursor is and whether it is shown (tmux's `cursor_flag`).
    func cursor() async throws -> (row: Int, column: Int, visible: Bool) {
        let text = try await run(Self.tmux, ["display-message", "-p", "-t", name, "#{cursor_y} #{cursor_x} #{cursor_flag}"]).output
        let parts = text.split(whereSeparator: \.isWhitespace).compactMap { Int($0) }
        guard parts.count == 3 else { return (-1, -1, false) }
        return (parts[0], parts[1], parts[2] == 1)
    }

    func resize(columns: Int, rows: Int) async throws {
        try await run(Self.tmux, ["resize-window", "-t", name, "-x", "\(columns)", "-y", "\(rows)"], capture: false)
    }

    /// Captures until `predicate` holds for the screen (or `timeout` passes); returns the last screen.
    @discardableResult
    func waitFor(timeout: Double = 10, _ predicate: ([String]) -> Bool) async throws -> [String] {
        let deadline = Date().addingTimeInterval(timeout)
        var screen = try await capture()
        while !predicate(screen) && Date() < deadline {
            try await Task.sleep(for: .milliseconds(100))
            screen = try await capture()
        }
        return screen
    }

    func close() {
        _ = try? runBlocking(Self.tmux, ["kill-session", "-t", name], capture: false)
    }
}

extension Array where Element == String {
    func contains(text: String) -> Bool { contains { $0.contains(text) } }
}

/// `submit ... --wait` with the background engine it starts exiting as soon as it is idle, and waits
/// until that engine has let the lock go, so the dashboard a test opens next runs the engine itself.
func submitAndWaitForEngineExit(_ arguments: [String], state: String, environment: [String: String]) async throws -> (status: Int32, output: String) {
    var environment = environment
    environment["THYMIS_TASKS_IDLE_EXIT"] = "0"
    let result = try await run(Executable.path!, arguments, environment: environment)
    let deadline = ContinuousClock.now + .seconds(15)
    while EngineLock.holder(in: StateDirectory(path: state)) != nil && ContinuousClock.now < deadline {
        try await Task.sleep(for: .milliseconds(50))
    }
    return result
}

/// `show --json` of the newest task of `type` in `state` (what a form submitted), nil when there is none.
func submissionOfNewest(_ type: String, state: String) async throws -> String? {
    let listed = try await run(Executable.path!, ["list", "--state-dir", state, "--json"])
    guard let data = listed.output.data(using: .utf8),
          let rows = try? JSONSerialization.jsonObject(with: data) as? [[String: Any]],
          let id = rows.first(where: { ($0["type"] as? String) == type })?["id"] as? String else { return nil }
    return try await run(Executable.path!, ["show", id, "--state-dir", state, "--json"]).output
}
