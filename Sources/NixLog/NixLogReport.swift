// The document `thymis-tasks nix-log --json` prints, and its human-readable counterpart.

/// A view of a `NixProcessState` in the shape of `nix-log --json`: the keys the issue fixes
/// (`errors`, `messagesByLevel`, `buildLogLines`, `builds`, `otherLines`) plus extras.
public struct NixLogReport: Sendable, Encodable {
    public let state: NixProcessState

    public init(state: NixProcessState) { self.state = state }

    private enum Key: String, CodingKey {
        case errors, errorsOmitted, messagesByLevel, messagesOmittedByLevel, buildLogLines, builds, otherLines
        case copies, downloads, copiedPaths, substitutions, expectedByActivityType, derivations, derivationsOmitted
        case truncatedLines, events, otherEvents, runningActivities, filesLinked, bytesLinked
        case untrustedPaths, corruptedPaths, fetchStatus, firstEventAt, lastEventAt, machines
        case outcomes, plannedBuilds, unlistedNotBuilt
    }

    private struct ErrorEntry: Encodable {
        let error: NixErrorSummary
        enum Key: String, CodingKey { case level, message, rawMessage, file, line, column, trace, traceFrames }
        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: Key.self)
            try c.encode(error.level.name, forKey: .level)
            try c.encode(error.message, forKey: .message)
            try c.encode(error.rawMessage, forKey: .rawMessage)
            // Absent positions are explicit nulls, as the document promises.
            try c.encode(error.file, forKey: .file)
            try c.encode(error.line, forKey: .line)
            try c.encode(error.column, forKey: .column)
            try c.encode(error.trace.map(\.message), forKey: .trace)
            try c.encode(error.trace.map(Frame.init), forKey: .traceFrames)
        }
    }

    private struct Frame: Encodable {
        let frame: NixTraceFrame
        init(_ frame: NixTraceFrame) { self.frame = frame }
        enum Key: String, CodingKey { case message, file, line, column }
        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: Key.self)
            try c.encode(frame.message, forKey: .message)
            try c.encode(frame.file, forKey: .file)
            try c.encode(frame.line, forKey: .line)
            try c.encode(frame.column, forKey: .column)
        }
    }

    private struct Derivation: Encodable {
        let d: NixDerivationState
        enum Key: String, CodingKey {
            case path, name, status, phase, host, round, rounds, logLines, lastLine, failure, exitCode, recentLines, startedAt, endedAt
        }
        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: Key.self)
            try c.encode(d.path, forKey: .path)
            try c.encode(d.name, forKey: .name)
            try c.encode(d.status, forKey: .status)
            try c.encode(d.phase, forKey: .phase)
            try c.encode(d.host, forKey: .host)
            try c.encodeIfPresent(d.round, forKey: .round)
            try c.encodeIfPresent(d.rounds, forKey: .rounds)
            try c.encode(d.logLines, forKey: .logLines)
            try c.encode(d.lastLine?.strippingANSIEscapes, forKey: .lastLine)
            try c.encode(d.failure, forKey: .failure)
            try c.encodeIfPresent(d.exitCode, forKey: .exitCode)
            try c.encodeIfPresent(d.recentLines?.map(\.strippingANSIEscapes), forKey: .recentLines)
            try c.encodeIfPresent(d.startedAt, forKey: .startedAt)
            try c.encodeIfPresent(d.endedAt, forKey: .endedAt)
        }
    }

    private struct Transfers: Encodable {
        let t: NixTransferTotals
        enum Key: String, CodingKey { case started, finished, running, doneBytes, expectedBytes }
        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: Key.self)
            try c.encode(t.started, forKey: .started)
            try c.encode(t.finished, forKey: .finished)
            try c.encode(t.running, forKey: .running)
            try c.encode(t.doneBytes, forKey: .doneBytes)
            try c.encode(t.expectedBytes, forKey: .expectedBytes)
        }
    }

    private struct Machine: Encodable {
        let m: NixMachineCounts
        enum Key: String, CodingKey { case building, built, failed, interrupted }
        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: Key.self)
            try c.encode(m.building, forKey: .building)
            try c.encode(m.built, forKey: .built)
            try c.encode(m.failed, forKey: .failed)
            try c.encode(m.interrupted, forKey: .interrupted)
        }
    }

    private struct Activity: Encodable {
        let a: NixRunningActivity
        enum Key: String, CodingKey { case id, type, text, derivation }
        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: Key.self)
            try c.encode(a.id, forKey: .id)
            try c.encode(a.type.rawValue, forKey: .type)
            try c.encode(a.text, forKey: .text)
            try c.encodeIfPresent(a.derivationPath, forKey: .derivation)
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: Key.self)
        try c.encode(state.errors.kept.map(ErrorEntry.init), forKey: .errors)
        try c.encode(state.errors.omitted, forKey: .errorsOmitted)
        var byLevel: [String: [String]] = [:]
        var omitted: [String: Int] = [:]
        for level in NixLevel.allCases {
            let log = state.messages(at: level)
            byLevel[level.name] = log.kept
            omitted[level.name] = log.omitted
        }
        try c.encode(byLevel, forKey: .messagesByLevel)
        try c.encode(omitted, forKey: .messagesOmittedByLevel)
        try c.encode(state.buildLogLines, forKey: .buildLogLines)
        try c.encode(state.builds, forKey: .builds)
        try c.encode(state.otherLines, forKey: .otherLines)
        try c.encode(state.copies, forKey: .copies)
        try c.encode(Transfers(t: state.downloads), forKey: .downloads)
        try c.encode(Transfers(t: state.copiedPaths), forKey: .copiedPaths)
        try c.encode(state.substitutions, forKey: .substitutions)
        try c.encode(Dictionary(uniqueKeysWithValues: state.expectedByActivityType.map { (String($0.key), $0.value) }), forKey: .expectedByActivityType)
        try c.encode(state.derivations.map(Derivation.init), forKey: .derivations)
        try c.encode(state.derivationsOmitted, forKey: .derivationsOmitted)
        // One count per outcome, every outcome present; "notBuilt" includes the unlisted ones.
        var outcomes = Dictionary(uniqueKeysWithValues: NixDerivationState.Status.allCases.map { ($0.rawValue, state.count($0)) })
        outcomes[NixDerivationState.Status.notBuilt.rawValue, default: 0] += state.streamEnded == true ? state.unlistedNotBuilt : 0
        try c.encode(outcomes, forKey: .outcomes)
        try c.encodeIfPresent(state.plannedBuilds, forKey: .plannedBuilds)
        try c.encode(state.unlistedNotBuilt, forKey: .unlistedNotBuilt)
        // Keyed by the machine as Nix names it (the builder's store URI), "local" for this machine.
        try c.encode(Dictionary(state.machines.map { ($0.machine ?? "local", Machine(m: $0)) }) { first, _ in first },
                     forKey: .machines)
        try c.encode(state.truncatedLines, forKey: .truncatedLines)
        try c.encode(state.events, forKey: .events)
        try c.encode(state.otherEvents, forKey: .otherEvents)
        try c.encode(state.runningActivities.values.sorted { $0.id < $1.id }.map(Activity.init), forKey: .runningActivities)
        try c.encode(state.filesLinked, forKey: .filesLinked)
        try c.encode(state.bytesLinked, forKey: .bytesLinked)
        try c.encode(state.untrustedPaths.kept, forKey: .untrustedPaths)
        try c.encode(state.corruptedPaths.kept, forKey: .corruptedPaths)
        try c.encodeIfPresent(state.fetchStatus, forKey: .fetchStatus)
        try c.encodeIfPresent(state.firstEventAt, forKey: .firstEventAt)
        try c.encodeIfPresent(state.lastEventAt, forKey: .lastEventAt)
    }

    /// A human-readable summary: errors first, then warnings/notices/info, builds and derivations.
    public var text: String {
        var out = ""
        func line(_ s: String = "") { out += s + "\n" }
        let b = state.builds
        line("builds: \(b.done) done of \(b.expected) expected, \(b.running) running, \(b.failed) failed")
        let cp = state.copies
        if cp.expected > 0 || cp.done > 0 { line("copies: \(cp.done) of \(cp.expected) paths, \(cp.running) running, \(cp.failed) failed") }
        let dl = state.downloads
        if dl.started > 0 { line("downloads: \(dl.finished) of \(dl.started), \(dl.doneBytes) of \(dl.expectedBytes) bytes") }
        line("build log lines: \(state.buildLogLines), other lines: \(state.otherLines), events: \(state.events)"
            + (state.truncatedLines > 0 ? ", truncated lines: \(state.truncatedLines)" : ""))
        if !state.derivations.isEmpty {
            line()
            line("derivations:")
            for d in state.derivations {
                var s = "  \(d.status.label.padding(to: 17)) \(d.name)"
                if let phase = d.phase { s += " [\(phase)]" }
                if let host = d.host { s += " on \(NixMachineCounts.displayName(host))" }
                if let code = d.exitCode { s += " exit code \(code)" }
                s += " (\(d.logLines) lines)"
                line(s)
                if let last = d.lastLine { line("    last: \(last.strippingANSIEscapes)") }
            }
            if state.derivationsOmitted > 0 { line("  ... and \(state.derivationsOmitted) more") }
            if state.unlistedNotBuilt > 0 {
                line("  \(state.unlistedNotBuilt) more \(state.streamEnded == true ? "not built" : "waiting") (Nix did not name them)")
            }
            line("outcomes: " + NixLogReport.outcomeLine(state))
            let machines = state.machines
            if machines.contains(where: { $0.machine != nil }) {
                line()
                line("machines:")
                for m in machines {
                    line("  \(m.displayName): \(m.building) building, \(m.built) built, \(m.failed) failed"
                        + (m.interrupted > 0 ? ", \(m.interrupted) interrupted" : ""))
                }
            }
        }
        let errors = state.errors.kept
        if !errors.isEmpty {
            line()
            line("errors (\(state.errors.totalCount)):")
            for e in errors {
                var at = ""
                if let file = e.file { at = " at \(file)" + (e.line.map { ":\($0)" } ?? "") + (e.column.map { ":\($0)" } ?? "") }
                line("- \(e.rawMessage)\(at)")
                for frame in e.trace { line("    … \(frame.message)") }
            }
        }
        for level in NixLevel.allCases {
            let log = state.messages(at: level)
            guard log.totalCount > 0 else { continue }
            line()
            line("\(level.name) (\(log.totalCount)):")
            for (i, m) in log.kept.enumerated() {
                if i == log.head.count && log.omitted > 0 { line("  ... \(log.omitted) more ...") }
                line("  \(m)")
            }
        }
        return out
    }
}

extension NixLogReport {
    /// "1 failed, 1 interrupted, 1 dependency failed, 2 built": the non-zero outcomes, worst first.
    public static func outcomeLine(_ state: NixProcessState) -> String {
        let order: [NixDerivationState.Status] = [.failed, .interrupted, .dependencyFailed, .notBuilt, .building, .planned, .built]
        var parts: [String] = []
        for status in order {
            var n = state.count(status)
            if status == .notBuilt && state.streamEnded == true { n += state.unlistedNotBuilt }
            if status == .planned && state.streamEnded != true { n += state.unlistedNotBuilt }
            if n > 0 { parts.append("\(n) \(status == .planned ? "waiting" : status.label)") }
        }
        return parts.isEmpty ? "none" : parts.joined(separator: ", ")
    }
}

extension String {
    fileprivate func padding(to width: Int) -> String {
        count >= width ? self : self + String(repeating: " ", count: width - count)
    }
}
