import Foundation
import NixLog
import TaskEngine

/// Builds the report. Every text that came from a child is sanitized; every secret value of the
/// submission is cut out of the whole text, whatever field or log it turned up in.
public enum TaskReport {
    static let logLineLimit = 50

    /// The report of `record`; `nixVersion` is `nix --version`'s line, `version` thymis-tasks' own.
    public static func markdown(_ record: TaskRecord, store: TaskStore, nixVersion: String, version: String) throws -> String {
        var out: [String] = []
        let id = record.id.uuidString.lowercased()
        out.append("# \(TerminalText.plain(record.displayName)): \(record.displayState.rawValue)")
        out.append("")
        out.append("- task: `\(id)` (`\(record.type)`)")
        if let target = record.target { out.append("- target: \(TerminalText.plain(target))") }
        out.append("- state: \(record.displayState.rawValue)")
        out.append("- submitted: \(iso(record.submittedAt)), started: \(record.startedAt.map(iso) ?? "-"), "
                   + "ended: \(record.endedAt.map(iso) ?? "-"), duration: \(record.duration().map(TaskFormat.duration) ?? "-")")
        out.append("- thymis-tasks \(version); \(TerminalText.plain(nixVersion))")
        let cause = try store.failureCause(of: record)
        if let cause {
            out.append("")
            out.append("## Cause")
            out.append("")
            out += fenced(cause.textLines.map(TerminalText.plain))
        }
        for section in record.resultSections {
            out.append("")
            out.append("## \(section.title.prefix(1).uppercased() + section.title.dropFirst())")
            out.append("")
            out += fenced(section.lines.map(TerminalText.plain))
        }
        out.append("")
        out.append("## Submission")
        out.append("")
        let pretty = (try? JSONValue.parse(Data(record.redactedSubmission.utf8)))?.canonicalText(pretty: true) ?? record.redactedSubmission
        out += fenced(pretty.split(separator: "\n").map { TerminalText.plain(String($0)) }, info: "json")
        let processes = try store.processes(of: record.id)
        if !processes.isEmpty {
            out.append("")
            out.append("## Processes")
            out.append("")
            var commands: [String] = []
            for process in processes {
                commands.append("# \(process.index + 1): \(process.statusDescription)")
                let environment = process.environment.keys.sorted().filter { $0 != "PATH" && $0 != "HOME" }
                    .map { "\($0)=\(shellQuoted(process.environment[$0] ?? ""))" }
                commands.append(TerminalText.plain((environment + [process.shellLine]).joined(separator: " ")))
            }
            out += fenced(commands, info: "sh")
        }
        if let log = try failingLog(record, cause: cause, store: store) {
            out.append("")
            out.append("## \(log.title)")
            out.append("")
            // Retention took the lines: say so, not "Last 0 lines" over an empty block (issue 30).
            if let pruned = log.pruned { out.append(pruned.notice + "; the cause above was kept") } else { out += fenced(log.lines) }
        }
        var text = out.joined(separator: "\n") + "\n"
        for secret in secretValues(record) { text = text.replacingOccurrences(of: secret, with: "<redacted>") }
        return text
    }

    /// Saves `text` as `<state dir>/reports/<short id>-<UTC time>.md` (directory 0700, file 0600: the
    /// report holds commands and logs) and returns the path.
    public static func save(_ text: String, for record: TaskRecord, stateDirectory: String, now: Date = Date()) throws -> String {
        let directory = stateDirectory + "/reports"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
        let stamp = ISO8601DateFormatter.string(from: now, timeZone: .gmt, formatOptions: [.withFullDate, .withTime])
        let path = "\(directory)/\(TaskFormat.shortID(record.id))-\(stamp).md"
        do { try PrivateFile.replace(atPath: path, with: Data(text.utf8)) } catch {
            throw ReportSaveError(path: error.path, reason: error.reason)
        }
        return path
    }

    /// The failing log's heading and its last lines, or when its output was pruned.
    struct FailingLog {
        var title: String
        var lines: [String]
        var pruned: OutputPruned?
    }

    /// The last `logLineLimit` lines of the failed derivation's build log, or of the failed process' stderr.
    static func failingLog(_ record: TaskRecord, cause: FailureCause?, store: TaskStore) throws -> FailingLog? {
        guard let cause else { return nil }
        if let child = cause.children?.groups.first?.tasks.first, let uuid = UUID(uuidString: child),
           let childRecord = try store.task(uuid) {
            guard var log = try failingLog(childRecord, cause: store.failureCause(of: childRecord), store: store) else { return nil }
            log.title = "\(TerminalText.plain(childRecord.displayName)): \(log.title)"
            return log
        }
        guard let index = cause.processIndex, let process = try store.processes(of: record.id).first(where: { $0.index == index }) else {
            return nil
        }
        let stream: OutputStreamName
        let count: Int64
        if let derivation = cause.derivation,
           let state = NixStateSnapshot.decode(process.nixStateJSON), let d = state.derivation(path: derivation) {
            stream = .buildLog(derivation)
            count = Int64(d.logLines)
        } else {
            stream = .stderr
            count = process.stderrLines
        }
        let source = stream == .stderr ? "process \(index + 1)'s stderr"
            : "\(TerminalText.plain(FailureCause.derivationName(stream.derivation ?? "")))'s build log"
        if let pruned = record.outputPruned { return FailingLog(title: "Last lines of \(source)", lines: [], pruned: pruned) }
        let lines = try store.lines(task: record.id, processIndex: index, stream: stream,
                                    range: max(0, count - Int64(logLineLimit))..<count)
        return FailingLog(title: "Last \(lines.count) lines of \(source)", lines: lines.map { TerminalText.sanitizedPlainText($0) })
    }

    static func iso(_ date: Date) -> String {
        ISO8601DateFormatter.string(from: date, timeZone: .gmt, formatOptions: [.withInternetDateTime, .withFractionalSeconds])
    }

    /// A fenced block whose fence is longer than any run of backticks inside it.
    static func fenced(_ lines: [String], info: String = "") -> [String] {
        var longest = 0
        for line in lines {
            var run = 0
            for character in line {
                run = character == "`" ? run + 1 : 0
                longest = max(longest, run)
            }
        }
        let fence = String(repeating: "`", count: max(3, longest + 1))
        return [fence + info] + lines + [fence]
    }

    /// The string values under the kind's secret fields in the submission as given.
    static func secretValues(_ record: TaskRecord) -> [String] {
        guard let value = try? JSONValue.parse(Data(record.submission.utf8)),
              let redacted = try? JSONValue.parse(Data(record.redactedSubmission.utf8)) else { return [] }
        var secrets: [String] = []
        func collect(_ original: JSONValue, _ shown: JSONValue) {
            switch (original, shown) {
            case (.object(let a), .object(let b)):
                for (key, inner) in a { if let other = b[key] { collect(inner, other) } }
            case (.array(let a), .array(let b)) where a.count == b.count:
                for (x, y) in zip(a, b) { collect(x, y) }
            case (_, .string("<redacted>")):
                strings(in: original, into: &secrets)
            default:
                break
            }
        }
        collect(value, redacted)
        return secrets.filter { $0.count >= 4 }.sorted { $0.count > $1.count }
    }

    private static func strings(in value: JSONValue, into result: inout [String]) {
        switch value {
        case .string(let s): result.append(s)
        case .object(let fields): for inner in fields.values { strings(in: inner, into: &result) }
        case .array(let items): for inner in items { strings(in: inner, into: &result) }
        default: break
        }
    }

    /// `nix --version`'s first line, or why it is unknown.
    public static func nixVersion() -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["nix", "--version"]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        do { try process.run() } catch { return "nix --version: not run (\(error.localizedDescription))" }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let line = String(decoding: data, as: UTF8.self).split(whereSeparator: \.isNewline).first.map(String.init)
        return process.terminationStatus == 0 ? (line ?? "nix: no version printed") : "nix --version: exit \(process.terminationStatus)"
    }
}

/// A report that could not be written, in a sentence.
struct ReportSaveError: Error, CustomStringConvertible {
    var path: String
    var reason: String
    var description: String { "cannot write \(path): \(reason); check the state directory's space and permissions" }
}
