import Foundation
import NixLog
import TaskEngine

/// What the detail pane knows about the selected task: the record, its processes and their
/// decoded Nix summaries. Read again when the task changes; documents are made from it per tab.
struct TaskDetail {
    let record: TaskRecord
    let processes: [ProcessRecord]
    /// The decoded Nix summary of each process (nil for processes that are not nix).
    let nixStates: [NixProcessState?]
    let children: [TaskRecord]
    /// For a running task with history: the median duration of earlier runs.
    var expectedDuration: TimeInterval? = nil
    /// For derivations being built: how long builds of the same name took before (median).
    var derivationEstimates: [String: TimeInterval] = [:]
    /// Why the task failed (nil unless it failed): shown first, so the builder's own error line is
    /// on screen as soon as the task is selected.
    var cause: FailureCause? = nil

    /// Reads the task from the store; `previous` lends its decoded Nix summaries where the JSON
    /// did not change (decoding is the expensive part).
    static func load(_ id: UUID, store: TaskStore, previous: TaskDetail?) throws -> TaskDetail? {
        guard let record = try store.task(id) else { return nil }
        let processes = try store.processes(of: id)
        var states: [NixProcessState?] = []
        for (index, process) in processes.enumerated() {
            if let previous, previous.record.id == id, index < previous.processes.count,
               previous.processes[index].nixStateJSON == process.nixStateJSON {
                states.append(previous.nixStates[index])
            } else {
                states.append(NixStateSnapshot.decode(process.nixStateJSON))
            }
        }
        let children = record.pool == nil ? try store.children(of: id) : []
        let expected = record.state == .running ? try? store.estimatedDuration(type: record.type, target: record.target) : nil
        var derivationEstimates: [String: TimeInterval] = [:]
        if record.state == .running {
            for state in states.compactMap({ $0 }) {
                for derivation in state.derivations where derivation.status == .building {
                    if let usual = try? store.estimatedBuildDuration(derivationName: derivation.name) {
                        derivationEstimates[derivation.name] = usual
                    }
                }
            }
        }
        return TaskDetail(record: record, processes: processes, nixStates: states, children: children,
                          expectedDuration: expected ?? nil, derivationEstimates: derivationEstimates,
                          cause: record.state == .failed ? try? store.failureCause(of: record) : nil)
    }

    func nixState(_ index: Int) -> NixProcessState? {
        nixStates.indices.contains(index) ? nixStates[index] : nil
    }

    /// "Nix (2 errors)", "stdout (1,234)": the tab titles with what is in them.
    func title(of tab: DetailTab, processIndex: Int) -> String {
        switch tab {
        case .submission:
            return tab.title
        case .process:
            return processes.count > 1 ? "Process (\(processes.count))" : tab.title
        case .nix:
            guard let state = nixState(processIndex) else { return tab.title }
            let errors = state.errors.totalCount + state.messages(at: .error).totalCount
            let warnings = state.messages(at: .warn).totalCount
            if errors > 0 { return "Nix (\(errors) error\(errors == 1 ? "" : "s"))" }
            if warnings > 0 { return "Nix (\(warnings) warning\(warnings == 1 ? "" : "s"))" }
            return tab.title
        case .stdout, .stderr:
            guard processes.indices.contains(processIndex) else { return tab.title }
            let process = processes[processIndex]
            let lines = tab == .stdout ? process.stdoutLines : process.stderrLines
            return lines > 0 ? "\(tab.title) (\(Self.grouped(lines)))" : tab.title
        case .plan:
            return planTitle
        }
    }

    static func grouped(_ value: Int64) -> String {
        let digits = String(value)
        var result = ""
        for (index, character) in digits.enumerated() {
            if index > 0 && (digits.count - index) % 3 == 0 { result.append(",") }
            result.append(character)
        }
        return result
    }

    // MARK: - Documents

    func document(for tab: DetailTab, processIndex: Int, nixSource: NixSource, store: TaskStore) -> any LogDocument {
        switch tab {
        case .submission: return submissionDocument()
        case .plan: return planDocument()
        case .process: return processDocument(selected: processIndex)
        case .nix:
            if case .buildLog(let derivation) = nixSource,
               let state = nixState(processIndex), state.derivations.indices.contains(derivation) {
                let drv = state.derivations[derivation]
                if let pruned = prunedReason { return TextDocument(emptyReason: pruned) }
                return StoredStreamDocument(store: store, task: record.id, processIndex: processIndex,
                                            stream: .buildLog(drv.path), knownLines: drv.logLines,
                                            emptyReason: "\(drv.name) printed no build log lines")
            }
            return nixSummaryDocument(processIndex: processIndex).document
        case .stdout, .stderr:
            guard processes.indices.contains(processIndex) else {
                return TextDocument(emptyReason: noProcessReason)
            }
            if let pruned = prunedReason { return TextDocument(emptyReason: pruned) }
            let process = processes[processIndex]
            let isStdout = tab == .stdout
            var reason = "\(process.programName) printed nothing on \(tab.title)"
            if process.startedAt == nil { reason = "\(process.programName) has not started" }
            else if process.endedAt == nil { reason += " yet" }
            if !isStdout && process.nixStateJSON != nil { reason += " (its @nix log lines are in the Nix tab)" }
            return StoredStreamDocument(store: store, task: record.id, processIndex: processIndex,
                                        stream: isStdout ? .stdout : .stderr,
                                        knownLines: Int(isStdout ? process.stdoutLines : process.stderrLines),
                                        emptyReason: reason)
        }
    }

    /// What an output tab says once retention dropped the task's output: never an empty log.
    private var prunedReason: String? {
        record.outputPruned.map { "\($0.notice): the task, its processes, reason and Nix summary are kept" }
    }

    private var noProcessReason: String {
        switch record.state {
        case .pending: return "the task is pending: it has started no process yet"
        case .running: return "the task has started no process yet"
        case .completed, .failed:
            return record.pool == nil ? "a parent task runs no process itself; its children are in the list"
                : "the task ended without starting a process"
        }
    }

    private static let heading = TextStyle(bold: true)
    private static let label = TextStyle(dim: true)
    private static let errorStyle = TextStyle(foreground: .red, bold: true)

    private static func text(_ string: String) -> LogLine { .bytes(Array(string.utf8)) }

    private static func multiline(_ string: String, indent: String = "  ") -> [LogLine] {
        string.split(separator: "\n", omittingEmptySubsequences: false).map { text(indent + $0) }
    }

    /// The Cause section: the cause block, then a blank line.
    /// Short (last 5 lines, no command line) so it stays on screen above the summary: the pane
    /// follows the end of a document; the whole log is one `d` away.
    var causeLines: [LogLine] {
        guard var cause else { return [] }
        cause.lastLines = Array(cause.lastLines.suffix(5))
        cause.command = nil
        var lines = [LogLine.styled([StyledRun("Cause", Self.errorStyle)])]
        lines += cause.textLines.map { Self.text($0) }
        lines.append(.styled([]))
        return lines
    }

    /// What the task recorded as its result (a device's systems and how its switch ended, a
    /// rollout's waves), the same words as `show`.
    var resultLines: [LogLine] {
        var lines: [LogLine] = []
        for section in record.resultSections {
            lines.append(.styled([StyledRun(section.title == "system" ? "device system" : section.title, Self.heading)]))
            lines += section.lines.map { Self.text("  " + $0) }
        }
        if !lines.isEmpty { lines.append(.styled([])) }
        return lines
    }

    func submissionDocument() -> TextDocument {
        let pretty = (try? JSONValue.parse(Data(record.redactedSubmission.utf8)).canonicalText(pretty: true))
            ?? record.redactedSubmission
        var lines = causeLines
        if let reason = record.failureReason, !record.cancelled {
            // The whole reason, every line: the overview has room for the start of its first (w wraps).
            lines.append(.styled([StyledRun("failure reason", Self.heading)]))
            lines += Self.multiline(reason)
            lines.append(.styled([]))
        }
        lines += resultLines
        lines += [LogLine.styled([StyledRun("\(record.displayName) · \(record.type)", Self.heading)]),
                  LogLine.styled([StyledRun("secret fields are shown as <redacted>", Self.label)])]
        lines += Self.multiline(pretty, indent: "")
        if !children.isEmpty {
            lines.append(.styled([StyledRun("children (\(children.count))", Self.heading)]))
            for child in children {
                lines.append(Self.text("  \(TaskFormat.shortID(child.id))  \(child.displayState.rawValue)  \(child.displayName)"))
            }
        }
        return TextDocument(lines)
    }

    func processDocument(selected: Int) -> TextDocument {
        var lines: [LogLine] = []
        // Roll Back Device: the generations it chose from, above the commands that listed and switched them.
        if let generations = record.result(as: DeployDeviceResult.self)?.generations, !generations.isEmpty {
            lines.append(.styled([StyledRun("generations of the system profile (number, made, store path)", Self.heading)]))
            lines += generations.map { Self.text("  " + $0.line) }
            lines.append(.styled([]))
        }
        for process in processes {
            let marker = processes.count > 1 ? (process.index == selected ? "▸ " : "  ") : ""
            lines.append(.styled([StyledRun("\(marker)process \(process.index + 1) of \(processes.count): \(process.programName)", Self.heading),
                                  StyledRun(processes.count > 1 ? "   (p: next process)" : "", Self.label, isKeyHint: true)]))
            lines.append(Self.text("  command: \(process.shellLine)"))
            lines.append(Self.text("  cwd:     \(process.workingDirectory ?? "(inherited)")"))
            lines.append(Self.text("  pid:     \(process.pid.map(String.init) ?? "-")"))
            lines.append(Self.text("  status:  \(process.statusDescription)"))
            lines.append(Self.text("  started: \(TaskFormat.timestamp(process.startedAt))   ended: \(TaskFormat.timestamp(process.endedAt))"
                                   + (process.startedAt.map { "   took: \(TaskFormat.duration((process.endedAt ?? Date()).timeIntervalSince($0)))" } ?? "")))
            lines.append(Self.text("  output:  stdout \(Self.grouped(process.stdoutLines)) lines (\(Self.grouped(process.stdoutBytes)) bytes), stderr \(Self.grouped(process.stderrLines)) lines (\(Self.grouped(process.stderrBytes)) bytes)"))
            lines.append(Self.text("  env:"))
            for key in process.environment.keys.sorted() {
                lines.append(Self.text("    \(key)=\(process.environment[key]!)"))
            }
            lines.append(.styled([]))
        }
        return TextDocument(lines, emptyReason: noProcessReason)
    }

    /// The Nix summary of one process, and the line where each section starts.
    func nixSummaryDocument(processIndex: Int) -> (document: TextDocument, sections: [NixSection: Int]) {
        guard processes.indices.contains(processIndex) else { return (TextDocument(causeLines, emptyReason: noProcessReason), [:]) }
        guard let state = nixState(processIndex) else {
            let process = processes[processIndex]
            // nix's first snapshot is written with its first batch of output: until then it is nix all the same.
            let reason = process.programName != "nix" ? "\(process.programName) is not nix: no Nix log (see stdout and stderr)"
                : process.endedAt == nil ? "nix has reported nothing yet" : "nix reported nothing (see stdout and stderr)"
            return (TextDocument(causeLines, emptyReason: reason), [:])
        }
        var lines: [LogLine] = causeLines
        var sections: [NixSection: Int] = [:]
        if let progress = NixStateSnapshot.progressLine(state) {
            lines.append(.styled([StyledRun("progress: ", Self.label), StyledRun(progress)]))
        }

        sections[.errors] = lines.count
        let errorCount = state.errors.totalCount + state.messages(at: .error).totalCount
        lines.append(.styled([StyledRun("Errors (\(errorCount))", errorCount > 0 ? Self.errorStyle : Self.heading)]))
        for error in state.errors.kept {
            lines += Self.multiline(error.rawMessage.isEmpty ? error.message : error.rawMessage)
            if let file = error.file {
                lines.append(Self.text("    at \(file)\(error.line.map { ":\($0)" } ?? "")\(error.column.map { ":\($0)" } ?? "")"))
            }
            for frame in error.trace {
                let location = frame.file.map { " (\($0)\(frame.line.map { ":\($0)" } ?? ""))" } ?? ""
                lines.append(Self.text("    … \(frame.message)\(location)"))
            }
        }
        if state.errors.omitted > 0 { lines.append(.styled([StyledRun("  … \(state.errors.omitted) more not kept", Self.label)])) }
        lines += messageLines(state.messages(at: .error))

        for (section, level) in [(NixSection.warnings, NixLevel.warn), (.notices, .notice), (.info, .info)] {
            let log = state.messages(at: level)
            sections[section] = lines.count
            lines.append(.styled([StyledRun("\(section.rawValue) (\(log.totalCount))", Self.heading)]))
            lines += messageLines(log)
        }

        sections[.buildLog] = lines.count
        lines.append(.styled([StyledRun("Build log (\(state.derivations.count) derivation\(state.derivations.count == 1 ? "" : "s"), \(state.buildLogLines) lines)", Self.heading),
                              StyledRun(state.derivations.isEmpty ? "" : "   d: open each derivation's log", Self.label, isKeyHint: true)]))
        for derivation in state.derivations {
            var head = [StyledRun("  \(Self.statusGlyph(derivation.status)) ", Self.statusStyle(derivation.status)),
                        StyledRun(derivation.name, Self.heading),
                        StyledRun("  \(derivation.status.label)", Self.statusStyle(derivation.status)),
                        StyledRun("  \(derivation.logLines) lines", Self.label)]
            if let phase = derivation.phase { head.append(StyledRun("  phase \(phase)", Self.label)) }
            if let host = derivation.host, !host.isEmpty {
                head.append(StyledRun("  on \(NixMachineCounts.displayName(host))", Self.label))
            }
            if derivation.status == .building, let usual = derivationEstimates[derivation.name] {
                head.append(StyledRun("  usually \(TaskFormat.duration(usual))", Self.label))
            }
            lines.append(.styled(head))
            if let last = derivation.lastLine { lines.append(Self.text("      \(last)")) }
        }
        if state.machines.contains(where: { $0.machine != nil }) {
            let counts = state.machines.map { machine in
                "\(machine.machine.map(NixMachineCounts.displayName) ?? "local"): \(machine.built) built, \(machine.building) building, \(machine.failed) failed"
                    + (machine.interrupted > 0 ? ", \(machine.interrupted) interrupted" : "")
            }
            lines.append(.styled([StyledRun("  machines: " + counts.joined(separator: "; "), Self.label)]))
        }
        if state.derivationsOmitted > 0 {
            lines.append(.styled([StyledRun("  … \(state.derivationsOmitted) more derivations not listed", Self.label)]))
        }
        if !state.derivations.isEmpty || state.unlistedNotBuilt > 0 {
            lines.append(.styled([StyledRun("  outcomes: " + NixLogReport.outcomeLine(state), Self.label)]))
        }
        return (TextDocument(lines), sections)
    }

    /// The messages, a run of identical ones shown once with `×N` (a warning Nix repeats per
    /// derivation or per retry says nothing new the second time).
    private func messageLines(_ log: BoundedLog<String>) -> [LogLine] {
        var lines: [LogLine] = []
        let kept = log.kept
        var index = 0
        while index < kept.count {
            if index == log.head.count && log.omitted > 0 {
                lines.append(.styled([StyledRun("  … \(log.omitted) more not kept", Self.label)]))
            }
            var end = index + 1
            // A run stops at the omitted marker, so the marker stays where the gap is.
            while end < kept.count, kept[end] == kept[index], !(end == log.head.count && log.omitted > 0) { end += 1 }
            lines += Self.multiline(kept[index] + (end - index > 1 ? "  ×\(end - index)" : ""))
            index = end
        }
        return lines
    }

    static func statusGlyph(_ status: NixDerivationState.Status) -> String {
        switch status {
        case .building: "▶"
        case .built: "✔"
        case .failed: "✘"
        case .dependencyFailed: "⊘"
        case .interrupted: "■"
        case .planned, .notBuilt: "·"
        }
    }

    static func statusStyle(_ status: NixDerivationState.Status) -> TextStyle {
        switch status {
        case .building: TextStyle(foreground: .cyan)
        case .built: TextStyle(foreground: .green)
        case .failed: TextStyle(foreground: .red, bold: true)
        case .dependencyFailed: TextStyle(foreground: .red)
        case .interrupted, .planned, .notBuilt: TextStyle(dim: true)
        }
    }
}

extension ProcessRecord {
    /// The program's file name, e.g. "nix".
    var programName: String { program.split(separator: "/").last.map(String.init) ?? program }
}
