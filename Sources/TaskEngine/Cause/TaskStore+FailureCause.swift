import Foundation
import NixLog

extension TaskStore {
    /// Why `record` failed, from what the store holds; nil unless it failed. A parent's cause groups
    /// its failed children's causes.
    public func failureCause(of record: TaskRecord) throws -> FailureCause? {
        guard record.state == .failed else { return nil }
        let reason = record.failureReason ?? "failed"
        if record.cancelled { return FailureCause(kind: .cancelled, headline: reason) }
        let step = Self.stepName(in: reason)

        let children = try self.children(of: record.id)
        let failedChildren = children.filter { $0.state == .failed }
        if !failedChildren.isEmpty {
            var groups: [FailureCause.ChildGroup] = []
            for child in failedChildren {
                let cause = try failureCause(of: child) ?? FailureCause(kind: .task, headline: child.failureReason ?? "failed")
                let key = (cause.step ?? "task", cause.groupDetail)
                let id = child.id.uuidString.lowercased()
                if let index = groups.firstIndex(where: { $0.step == key.0 && $0.detail == key.1 }) {
                    groups[index].count += 1
                    groups[index].tasks.append(id)
                } else {
                    groups.append(FailureCause.ChildGroup(step: key.0, detail: key.1, count: 1, tasks: [id]))
                }
            }
            groups.sort { $0.count > $1.count }
            let summary = FailureCause.Children(total: children.count, failed: failedChildren.count, groups: groups)
            var cause = FailureCause(kind: .children, headline: FailureCause.childrenHeadline(summary))
            cause.children = summary
            return cause
        }

        // A switch that ended badly on the device: its typed outcome is the cause, not the ssh
        // attempts that failed while the device was cut off or rolling back.
        if let deploy = record.result(as: DeployDeviceResult.self), let outcome = deploy.switchOutcome, !outcome.succeeded {
            return FailureCause(kind: .task, step: "switch", headline: reason)
        }

        let processes = try self.processes(of: record.id)
        guard let process = processes.last(where: { $0.spawnError != nil || $0.signal != nil || ($0.exitCode ?? 0) != 0 }) else {
            return FailureCause(kind: .task, step: step, headline: Self.withoutStep(reason, step))
        }
        let program = process.program.split(separator: "/").last.map(String.init) ?? process.program
        var cause = FailureCause(kind: .process, step: step, headline: "")
        cause.processIndex = process.index
        cause.command = process.shellLine
        cause.exitCode = process.exitCode.map(Int.init)
        cause.signal = process.signal.map(Int.init)
        let state = NixStateSnapshot.decode(process.nixStateJSON)

        if let state, let failed = state.derivations.first(where: { $0.status == .failed }) {
            cause.kind = .builder
            cause.derivation = failed.path
            cause.exitCode = failed.exitCode
            cause.signal = nil
            let failure = failed.failure.map { NixStateSnapshot.hostsShortened($0, host: failed.host) }
            cause.message = failure.map(Self.lines) ?? []
            cause.headline = "\(failed.name): " + (Self.builderReason(failure) ?? "builder failed")
                + (failed.host.map { " on \(NixMachineCounts.displayName($0))" } ?? "")
            cause.lastLines = try lastBuildLines(record.id, process: process.index, failed)
        } else if let state, let error = state.errors.kept.first(where: { $0.level == .error }) {
            cause.kind = .nixError
            // A copy's store URL gets the port its NIX_SSHOPTS gave ssh (devices on one host differ only there).
            let raw = SSHStoreName.withPort(error.rawMessage.isEmpty ? error.message : error.rawMessage,
                                            port: SSHStoreName.port(inSSHOptions: process.environment["NIX_SSHOPTS"]))
            cause.message = Self.lines(raw)
            cause.headline = cause.message.first ?? raw
            if let file = error.file {
                cause.location = file + (error.line.map { ":\($0)" } ?? "") + (error.column.map { ":\($0)" } ?? "")
            }
            cause.trace = error.trace.map { frame in
                var text = frame.message.split(whereSeparator: \.isNewline).first.map(String.init) ?? frame.message
                if let file = frame.file { text += " (at \(file)\(frame.line.map { ":\($0)" } ?? "")\(frame.column.map { ":\($0)" } ?? ""))" }
                return text
            }
            cause.lastLines = try lastStderrLines(record.id, process)
        } else {
            cause.lastLines = try lastStderrLines(record.id, process)
            cause.headline = "\(program) \(Self.endDescription(process))"
                + (cause.lastLines.last.map { ": \($0)" } ?? "")
        }
        if let state {
            cause.consequences = state.derivations.compactMap { d in
                guard d.status == .interrupted || d.status == .dependencyFailed else { return nil }
                return FailureCause.Consequence(derivation: d.path, name: d.name, outcome: d.status.label)
            }
        }
        return cause
    }

    /// The derivation's last log lines: as NixLog kept them, else the tail of its stored build log.
    private func lastBuildLines(_ task: UUID, process: Int, _ derivation: NixDerivationState) throws -> [String] {
        if let recent = derivation.recentLines, !recent.isEmpty {
            return Array(recent.suffix(FailureCause.builderLineLimit))
        }
        let count = Int64(derivation.logLines)
        let lines = try self.lines(task: task, processIndex: process, stream: .buildLog(derivation.path),
                                   range: max(0, count - Int64(FailureCause.builderLineLimit))..<count)
        return lines.map { String(decoding: $0, as: UTF8.self) }
    }

    private func lastStderrLines(_ task: UUID, _ process: ProcessRecord) throws -> [String] {
        let count = process.stderrLines
        let lines = try self.lines(task: task, processIndex: process.index, stream: .stderr,
                                   range: max(0, count - Int64(FailureCause.stderrLineLimit) - 5)..<count)
        let texts = lines.map { String(decoding: $0, as: UTF8.self) }
            .filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty }
        return Array(texts.suffix(FailureCause.stderrLineLimit))
    }

    /// "build" of "build failed: nix exited with 1: ...": the words before " failed" when they are
    /// a step name (short, no colon).
    static func stepName(in reason: String) -> String? {
        guard let range = reason.range(of: " failed") else { return nil }
        let head = reason[..<range.lowerBound]
        guard !head.isEmpty, head.count <= 24, !head.contains(":"), head.split(separator: " ").count <= 3 else { return nil }
        return String(head)
    }

    static func withoutStep(_ reason: String, _ step: String?) -> String {
        guard let step, reason.hasPrefix(step + " failed: ") else { return reason }
        return String(reason.dropFirst(step.count + 9))
    }

    /// "builder failed with exit code 3" out of any Nix wording of a builder failure.
    static func builderReason(_ failure: String?) -> String? {
        guard let failure else { return nil }
        // A remote builder's account: "build of '<drv>' on '<machine>' failed: <its own message>".
        if failure.hasPrefix("build of '"), let range = failure.range(of: "' failed: ") {
            return builderReason(String(failure[range.upperBound...]))
        }
        for line in failure.split(whereSeparator: \.isNewline) {
            let text = line.trimmingCharacters(in: .whitespaces)
            if text.hasPrefix("Reason: ") { return String(text.dropFirst(8)).trimmingCharacters(in: CharacterSet(charactersIn: ".")) }
        }
        let first = failure.split(whereSeparator: \.isNewline).first.map(String.init) ?? failure
        if let range = first.range(of: "' failed") {
            return "builder" + first[first.index(after: range.lowerBound)...].trimmingCharacters(in: CharacterSet(charactersIn: ";"))
        }
        if let range = first.range(of: "timed out") { return String(first[range.lowerBound...]) }
        return first.count > 120 ? String(first.prefix(120)) + "…" : first
    }

    static func lines(_ text: String) -> [String] {
        text.split(separator: "\n", omittingEmptySubsequences: false).map { String($0).trimmingTrailingSpaces }
            .reversed().drop { $0.isEmpty }.reversed()
    }

    static func endDescription(_ process: ProcessRecord) -> String {
        if let spawnError = process.spawnError { return "could not start: \(spawnError)" }
        if let signal = process.signal { return "was killed by signal \(signal) (\(signalName(signal)))" }
        return "exited with \(process.exitCode ?? -1)"
    }
}

extension String {
    fileprivate var trimmingTrailingSpaces: String {
        var s = Substring(self)
        while s.last == " " { s = s.dropLast() }
        return String(s)
    }
}
