import Foundation

/// One command a task ran (a task runs 0..n, in order) and how it ended.
public struct ProcessRecord: Sendable, Equatable {
    public var taskID: UUID
    /// 0-based position among the task's processes.
    public var index: Int
    /// Absolute path of the program.
    public var program: String
    public var arguments: [String]
    /// The explicit environment the process got, with secret values redacted.
    public var environment: [String: String]
    public var workingDirectory: String?
    public var pid: Int32?
    /// Start time of the pid in clock ticks since boot (from /proc/PID/stat), so a reused pid is never mistaken for ours.
    public var pidStartTicks: UInt64?
    public var startedAt: Date?
    public var endedAt: Date?
    public var exitCode: Int32?
    public var signal: Int32?
    public var stdoutBytes: Int64
    public var stderrBytes: Int64
    public var stdoutLines: Int64
    public var stderrLines: Int64
    /// JSON snapshot of NixLog's `NixProcessState` for `nix` processes.
    public var nixStateJSON: String?
    /// Why the process could not be started, when it could not.
    public var spawnError: String?

    public init(taskID: UUID, index: Int, program: String, arguments: [String], environment: [String: String],
                workingDirectory: String?) {
        self.taskID = taskID
        self.index = index
        self.program = program
        self.arguments = arguments
        self.environment = environment
        self.workingDirectory = workingDirectory
        self.stdoutBytes = 0
        self.stderrBytes = 0
        self.stdoutLines = 0
        self.stderrLines = 0
    }

    /// "exit 0", "exit 2", "signal 15 (SIGTERM)", "running", or the spawn error.
    public var statusDescription: String {
        if let spawnError { return "not started: \(spawnError)" }
        if let signal { return "signal \(signal) (\(signalName(signal)))" }
        if let exitCode { return "exit \(exitCode)" }
        return endedAt == nil ? (startedAt == nil ? "not started" : "running") : "ended"
    }

    /// The command as a line a person can paste into a shell.
    public var shellLine: String {
        ([program] + arguments).map(shellQuoted).joined(separator: " ")
    }
}

/// Quotes a word for a shell only when it needs quoting: `'...'`, or bash's `$'...'` when it holds a
/// newline or another control character. Inside `'...'` such a character would be shown as `^J` by the
/// sanitiser, and the line pasted back would not be the command that ran (issue 30); `$'\n'` is the
/// same word in printable characters.
public func shellQuoted(_ word: String) -> String {
    let safe = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./=:,+@%")
    if !word.isEmpty && word.allSatisfy({ safe.contains($0) }) { return word }
    guard word.unicodeScalars.contains(where: needsEscape) else {
        return "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
    var quoted = "$'"
    for scalar in word.unicodeScalars {
        switch scalar {
        case "\\": quoted += "\\\\"
        case "'": quoted += "\\'"
        case "\n": quoted += "\\n"
        case "\t": quoted += "\\t"
        case "\r": quoted += "\\r"
        case "\u{1B}": quoted += "\\E"
        default:
            guard needsEscape(scalar) else { quoted.unicodeScalars.append(scalar); continue }
            let hex = String(scalar.value, radix: 16)
            // \xHH for one byte; \uHHHH (bash 4.2+) for a code point, which bash writes as UTF-8.
            quoted += scalar.value < 0x80 ? "\\x" + String(repeating: "0", count: 2 - hex.count) + hex
                : "\\u" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
        }
    }
    return quoted + "'"
}

/// Characters a terminal must not get as they are (C0, DEL, C1, bidi controls and marks, line and
/// paragraph separators, BOM): `$'...'` spells them as escapes.
private func needsEscape(_ scalar: Unicode.Scalar) -> Bool {
    switch scalar.value {
    case 0x00..<0x20, 0x7F...0x9F, 0x061C, 0x200E, 0x200F, 0x202A...0x202E, 0x2066...0x2069, 0x2028, 0x2029, 0xFEFF: true
    default: false
    }
}

/// The conventional name of a signal number, e.g. "SIGTERM".
public func signalName(_ signal: Int32) -> String {
    let names: [Int32: String] = [1: "SIGHUP", 2: "SIGINT", 3: "SIGQUIT", 4: "SIGILL", 6: "SIGABRT", 9: "SIGKILL",
                                  11: "SIGSEGV", 13: "SIGPIPE", 14: "SIGALRM", 15: "SIGTERM"]
    return names[signal] ?? "SIG\(signal)"
}
