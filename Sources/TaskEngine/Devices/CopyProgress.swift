import Foundation

/// How far a copy to a device got (issue 24): Nix 2.8's `nix copy --to ssh-ng://` reports no
/// progress at all, so the deploy measures the bytes the `ssh` under `nix copy` has written
/// (`/proc/PID/io`) against the plan (`CopyPlan`). That works with every Nix version on either side.
/// One copy's measure: each tick reads the bytes sent so far and sets the task's progress line.
final class CopyMeter: @unchecked Sendable {
    private let plan: CopyPlan
    private let login: String
    private let run: TaskRun
    /// When the first byte was seen; ticks run one after another, never at once.
    private var started: ContinuousClock.Instant?

    init(plan: CopyPlan, login: String, run: TaskRun) {
        self.plan = plan
        self.login = login
        self.run = run
    }

    func tick() {
        guard let copy = try? run.store.processes(of: run.taskID).last(where: { $0.arguments.first == "copy" && $0.endedAt == nil }),
              let pid = copy.pid else { return }
        let sent = CopyProgress.bytesSent(under: pid)
        guard sent > 0 else { return }
        let now = ContinuousClock.now
        if started == nil { started = now }
        let seconds = started.map { (now - $0) / .seconds(1) } ?? 0
        let rate = seconds > 0.2 ? Double(min(sent, plan.bytes)) / seconds : nil
        run.setProgress(CopyProgress.line(sent: sent, plan: plan, login: login, bytesPerSecond: rate))
    }
}

enum CopyProgress {
    /// Bytes written so far by the `ssh` processes below `pid` (the `nix copy` process).
    static func bytesSent(under pid: Int32) -> UInt64 {
        let tree = ProcessTree.snapshot()
        var total: UInt64 = 0
        for entry in tree.descendants(of: pid) {
            let comm = (try? String(contentsOfFile: "/proc/\(entry.pid)/comm", encoding: .utf8)) ?? ""
            guard comm.hasPrefix("ssh"), let io = try? String(contentsOfFile: "/proc/\(entry.pid)/io", encoding: .utf8) else { continue }
            for line in io.split(separator: "\n") where line.hasPrefix("wchar:") {
                total += UInt64(line.dropFirst(6).trimmingCharacters(in: .whitespaces)) ?? 0
            }
        }
        return total
    }

    /// "copying 120 MB of 200 MB (3 paths) to root@host · 45 MB/s · 2 s left"
    static func line(sent: UInt64, plan: CopyPlan, login: String, bytesPerSecond: Double?) -> String {
        let done = min(sent, plan.bytes)
        var text = "copying \(megabytes(done)) of \(megabytes(plan.bytes)) (\(plan.paths) path\(plan.paths == 1 ? "" : "s")) to \(login)"
        if let rate = bytesPerSecond, rate > 0 {
            text += " · \(megabytes(UInt64(rate)))/s"
            let left = Double(plan.bytes - done) / rate
            if left >= 1 { text += " · \(Int(left.rounded())) s left" }
        }
        return text
    }

    static func megabytes(_ bytes: UInt64) -> String { CopyPlan.megabytes(bytes) }
}
