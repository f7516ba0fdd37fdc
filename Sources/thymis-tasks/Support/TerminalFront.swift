import Foundation
import Glibc
import TaskEngine

/// The process a shell waits for when the dashboard is going to host the engine (issue 30: 1).
///
/// A dashboard that hosts the engine runs its tasks' processes as its own children, so "keep
/// running" cannot end it; yet a shell gives its prompt back only when the job it started ends. So
/// the dashboard that would host splits in two at start: this front stays the shell's job and
/// does nothing but wait, and the dashboard proper (the back: engine, terminal, tasks) runs as its
/// child in a session of its own, drawing on the same terminal. On "keep running" the back tells
/// the front, which exits at once: the prompt is back, and the back, in another session with its
/// stdio on /dev/null, is untouched by the terminal closing. Any other end of the back ends the
/// front with the back's exit status.
///
/// The back is in another session, so the terminal's signals reach only the front: it forwards
/// SIGWINCH (resize), and SIGHUP, SIGTERM and SIGINT (the terminal closing, a kill) to the back.
enum TerminalFront {
    /// Set in the back's environment: the descriptor it writes to when it detaches.
    static let noticeVariable = "THYMIS_TASKS_DASHBOARD_FRONT_FD"
    /// The byte the back writes when it keeps running detached.
    static let detachedByte: UInt8 = 0x44  // "D"

    /// Split when this dashboard would host the engine (nobody holds the lock), may act, and sits on
    /// a terminal; never in the back itself.
    static func shouldSplit(directory: StateDirectory, readOnly: Bool) -> Bool {
        guard !readOnly, ProcessInfo.processInfo.environment[noticeVariable] == nil, isatty(0) == 1, isatty(1) == 1 else { return false }
        guard ProcessInfo.processInfo.environment["THYMIS_TASKS_NO_FRONT"] == nil else { return false }
        return EngineLock.holder(in: directory) == nil
    }

    /// Starts the back (this program, same arguments, in a new session) and waits for it; returns
    /// the exit status to leave with. Nil when the back could not be started (run in one process then).
    static func run() -> Int32? {
        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else { return nil }
        let (readEnd, writeEnd) = (fds[0], fds[1])
        _ = fcntl(readEnd, F_SETFD, FD_CLOEXEC)
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        // The back finds its end of the pipe as fd 3, whatever number it has here.
        posix_spawn_file_actions_adddup2(&actions, writeEnd, 3)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        posix_spawnattr_setflags(&attributes, Int16(0x80))  // POSIX_SPAWN_SETSID (glibc), not imported into Swift
        var environment = ProcessInfo.processInfo.environment
        environment[noticeVariable] = "3"
        let arguments = CommandLine.arguments
        let argv = arguments.map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { for pointer in argv + envp { free(pointer) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, "/proc/self/exe", &actions, &attributes, argv, envp)
        close(writeEnd)
        guard spawned == 0 else {
            close(readEnd)
            return nil
        }
        forwardSignals(to: pid)
        var byte: UInt8 = 0
        var count: Int
        repeat { count = read(readEnd, &byte, 1) } while count < 0 && errno == EINTR
        if count == 1 && byte == detachedByte { return 0 }
        // The back ended (its pipe end closed with it): leave as it left.
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let signal = status & 0x7F
        return signal == 0 ? (status >> 8) & 0xFF : 128 + signal
    }

    /// In the back: tell the front that the tasks keep running detached, so it exits now.
    static func backDetached() {
        guard let text = ProcessInfo.processInfo.environment[noticeVariable], let fd = Int32(text) else { return }
        var byte = detachedByte
        _ = write(fd, &byte, 1)
        close(fd)
    }

    /// In the back, at start: the notice descriptor stays out of every process the engine runs.
    static func prepareBack() {
        guard let text = ProcessInfo.processInfo.environment[noticeVariable], let fd = Int32(text) else { return }
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
    }

    private static func forwardSignals(to pid: pid_t) {
        backPID = pid
        for number in [SIGWINCH, SIGHUP, SIGTERM, SIGINT, SIGQUIT] {
            var action = sigaction()
            action.__sigaction_handler.sa_handler = { number in
                if backPID > 0 { kill(backPID, number) }
            }
            sigemptyset(&action.sa_mask)
            action.sa_flags = SA_RESTART
            sigaction(number, &action, nil)
        }
    }
}

/// The back's pid, for the signal handler (which may touch nothing but this and `kill`).
nonisolated(unsafe) private var backPID: pid_t = 0
