import Foundation

/// Starts `thymis-tasks serve` for a state directory as a detached background process: what a `submit`
/// or `retry` does when it finds no engine (as tmux starts its server on first use).
///
/// The child gets a session of its own (`POSIX_SPAWN_SETSID`: no controlling terminal, so closing the
/// terminal sends it no SIGHUP), stdin/stdout/stderr on /dev/null (it logs to the state directory's
/// log file), no file descriptor of ours, default signal dispositions and an empty mask. Several clients
/// starting one at the same moment is fine: the engine lock decides, the losers exit at once.
public enum BackgroundEngine {
    /// glibc's value; the Glibc module imports spawn.h without `__USE_GNU`, which hides it.
    private static let setSessionFlag: Int32 = 0x80

    /// The running executable (`/proc/self/exe`), which is what gets started.
    public static var currentExecutable: String {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let count = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        guard count > 0 else { return CommandLine.arguments[0] }
        return String(decoding: buffer[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Spawns `executable serve --state-dir DIR --idle-exit SECONDS --on-demand`; returns its pid.
    public static func start(directory: StateDirectory, idleExit: Duration, executable: String = currentExecutable,
                             environment: [String: String] = ProcessInfo.processInfo.environment) throws -> pid_t {
        let seconds = Double(idleExit.components.seconds) + Double(idleExit.components.attoseconds) / 1e18
        let arguments = [executable, "serve", "--state-dir", directory.path, "--idle-exit", String(seconds), "--on-demand"]
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        // Nothing of ours (a terminal, a pipe a test reads to its end) may stay open in a long-lived engine.
        _ = spawnCloseFrom(&actions, 3)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var empty = sigset_t()
        sigemptyset(&empty)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        // Ignored dispositions survive exec: a dashboard ignores these while it runs.
        for number in [SIGINT, SIGTERM, SIGHUP, SIGPIPE, SIGQUIT, SIGTSTP, SIGTTIN, SIGTTOU] { sigaddset(&defaults, number) }
        posix_spawnattr_setsigmask(&attributes, &empty)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | setSessionFlag))
        let argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        let envp: [UnsafeMutablePointer<CChar>?] = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { for pointer in argv + envp { free(pointer) } }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, executable, &actions, &attributes, argv, envp)
        guard result == 0 else {
            throw EngineError.failed("cannot start a background engine (\(executable) serve): \(String(cString: strerror(result)))")
        }
        return pid
    }
}

/// glibc 2.34's `posix_spawn_file_actions_addclosefrom_np`, hidden from Swift by `__USE_GNU` like the flag above.
@_silgen_name("posix_spawn_file_actions_addclosefrom_np")
private func spawnCloseFrom(_ actions: UnsafeMutablePointer<posix_spawn_file_actions_t>, _ from: Int32) -> Int32
