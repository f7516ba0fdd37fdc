import Foundation
import TaskEngine

/// The exit code of `submit ssh-command --wait`: what `ssh host cmd` would have exited with, so a
/// script can test the remote command as it would with ssh.
enum SSHCommandExit {
    /// 0 when it completed; else the ssh process' own status: the remote command's exit code, 255 when
    /// ssh could not connect or log in (ssh's own errors), 128+N when ssh was killed by signal N (a cancel:
    /// 143); 1 when no ssh process ended (it could not start, or the task was cancelled while pending).
    static func code(of record: TaskRecord, store: TaskStore) throws -> Int32 {
        if record.state == .completed { return ExitCodes.success }
        guard let ssh = try store.processes(of: record.id).last else { return ExitCodes.taskFailed }
        if let signal = ssh.signal { return 128 + signal }
        if let exitCode = ssh.exitCode, exitCode != 0 { return exitCode }
        return ExitCodes.taskFailed
    }
}
