import ArgumentParser
import Dashboard
import Foundation
import NixLog
import TaskEngine

/// `logs ID`: a task's output as stored, optionally following it live.
struct LogsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "logs", abstract: "Print a task's output: stdout to stdout, stderr to stderr, process by process.",
        discussion: """
            --stream build prints Nix's build log lines (per derivation). --failed prints only what \
            failed: the build logs of the derivations whose own builder failed, or the failed \
            process' output. On a terminal, control characters and escape sequences from the output \
            are shown visibly; --raw prints the bytes as stored. --timestamps puts the time each line \
            arrived (local HH:MM:SS.mmm) before it; --since-start the time since its process started. \
            A task whose output retention pruned says so on stderr ("output pruned on DATE (N MB)").
            """)

    enum StreamChoice: String, ExpressibleByArgument, CaseIterable { case stdout, stderr, build }

    @OptionGroup var global: GlobalOptions
    @Argument(help: "The task id or a unique prefix of it.") var id: String
    @Option(help: "Only process N (numbered from 1, as in `show` and the dashboard).") var process: Int?
    @Option(help: "Only this stream: stdout, stderr or build.") var stream: StreamChoice?
    @Flag(help: "Keep printing new output until the task ends.") var follow = false
    @Flag(help: "Print the bytes exactly as stored, even on a terminal.") var raw = false
    @Flag(help: "Only the failed derivations' build logs, or the failed process' output.") var failed = false
    @Flag(help: "Prefix each line with the time it arrived (HH:MM:SS.mmm, local time).") var timestamps = false
    @Flag(help: "With --timestamps: the time since the line's process started (+M:SS.mmm) instead.") var sinceStart = false

    func run() async throws {
        let store = try global.openStore(readOnly: true)
        let record = try store.resolveForCommand(id)
        if let process, process < 1 { throw CLIError("--process is numbered from 1 (as in `show`); give 1 or more", code: ExitCodes.usage) }
        if sinceStart && !timestamps { throw CLIError("--since-start goes with --timestamps (it says what the times count from)", code: ExitCodes.usage) }
        if let pruned = record.outputPruned {
            // Nothing pretends the log was empty: the record stays, the chunks are gone.
            FileHandle.standardError.write(Data("thymis-tasks: task \(record.id.uuidString.lowercased().prefix(8)): \(pruned.notice); `show` has its processes, reason and Nix summary\n".utf8))
            return
        }
        var printer = LogPrinter(sanitize: !raw, stamps: timestamps ? LineStamps(sinceStart: sinceStart, store: store, task: record.id) : nil)
        if failed {
            try FailedLogs.print(record, store: store, printer: &printer)
            printer.finish()
            return
        }
        var follower = OutputFollower(task: record.id, process: process.map { $0 - 1 }, stream: stream, raw: raw, printer: printer)
        while true {
            let ended = try store.task(record.id)?.state.isFinal ?? true
            try follower.copyNewOutput(from: store)
            if !follow || ended { break }
            try await Task.sleep(for: .milliseconds(150))
        }
        follower.finish()
    }
}

/// Writes stored output to stdout/stderr, sanitising whole lines when the destination is a terminal.
struct LogPrinter {
    let sanitize: Bool
    private var stamps: LineStamps?
    private var partial: [String: [UInt8]] = [:]
    private var partialTarget: [String: Bool] = [:]
    /// Streams whose last byte written ended a line: the next byte starts one (and gets a time).
    private var midLine: Set<String> = []

    init(sanitize: Bool, stamps: LineStamps? = nil) {
        self.sanitize = sanitize
        self.stamps = stamps
    }

    /// Writes a chunk; with `stamps`, every line that starts in it is prefixed with its time (the chunk's
    /// times say when each line arrived); a line continued from an earlier chunk keeps the prefix it got there.
    mutating func write(_ chunk: StoredChunk, toStderr: Bool, key: String, process: Int) {
        guard var stamps, !chunk.bytes.isEmpty else { return write(chunk.bytes, toStderr: toStderr, key: key) }
        var stamped: [UInt8] = []
        stamped.reserveCapacity(chunk.bytes.count + 16 * 8)
        var atLineStart = !midLine.contains(key)
        // Line 0 is the one the chunk's first byte is in; each newline starts the next. The prefix is
        // made once per time segment (busy output: once per chunk), not once per line.
        var line: Int64 = 0
        var later = chunk.laterLineTimes[...]
        var time = chunk.arrivedAt
        var prefix = Array(stamps.prefix(time, process: process).utf8)
        var start = 0
        let bytes = chunk.bytes
        while start < bytes.count {
            if atLineStart {
                if let next = later.first, next.line <= line {
                    while let next = later.first, next.line <= line { time = next.at; later = later.dropFirst() }
                    prefix = Array(stamps.prefix(time, process: process).utf8)
                }
                stamped += prefix
            }
            // A whole line (or the chunk's unfinished end) at a time.
            let end = bytes[start...].firstIndex(of: 10).map { $0 + 1 } ?? bytes.count
            stamped += bytes[start..<end]
            atLineStart = bytes[end - 1] == 10
            if atLineStart { line += 1 }
            start = end
        }
        self.stamps = stamps
        if atLineStart { midLine.remove(key) } else { midLine.insert(key) }
        write(stamped, toStderr: toStderr, key: key)
    }

    mutating func write(_ bytes: [UInt8], toStderr: Bool, key: String) {
        let fd: Int32 = toStderr ? 2 : 1
        guard sanitize && isatty(fd) == 1 else {
            Self.writeAll(fd, bytes)
            return
        }
        var pending = partial[key, default: []]
        pending.append(contentsOf: bytes)
        var out: [UInt8] = []
        var start = 0
        while let newline = pending[start...].firstIndex(of: 10) {
            out.append(contentsOf: TerminalText.sanitizedPlainText(pending[start..<newline]).utf8)
            out.append(10)
            start = newline + 1
        }
        partial[key] = Array(pending[start...])
        partialTarget[key] = toStderr
        Self.writeAll(fd, out)
    }

    /// Prints unfinished last lines.
    mutating func finish() {
        for (key, bytes) in partial where !bytes.isEmpty {
            let fd: Int32 = partialTarget[key] == true ? 2 : 1
            Self.writeAll(fd, Array(TerminalText.sanitizedPlainText(bytes).utf8) + [10])
        }
        partial.removeAll()
    }

    static func writeAll(_ fd: Int32, _ bytes: [UInt8]) {
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { Foundation.write(fd, $0.baseAddress, $0.count) }
            if written <= 0 {
                if errno == EINTR { continue }
                return
            }
            offset += written
        }
    }
}

/// `logs --failed`: the output that shows why a task failed, nothing else.
enum FailedLogs {
    static func print(_ record: TaskRecord, store: TaskStore, printer: inout LogPrinter) throws {
        if let pruned = record.outputPruned {
            printer.write(Array("[\(pruned.notice)]\n".utf8), toStderr: true, key: "pruned")
            return
        }
        guard let cause = try store.failureCause(of: record) else {
            throw CLIError("task \(record.id.uuidString.lowercased().prefix(8)) did not fail (it is \(record.displayState.rawValue)); "
                           + "run `logs` without --failed for its output", code: ExitCodes.usage)
        }
        if let groups = cause.children?.groups {
            // A parent: each failed child's failed output, under a heading naming it.
            for id in groups.flatMap(\.tasks) {
                guard let child = try store.task(UUID(uuidString: id) ?? UUID()) else { continue }
                printer.write(Array("== \(TerminalText.plain(child.displayName)) (\(id.prefix(8))) ==\n".utf8), toStderr: false, key: "heading")
                try print(child, store: store, printer: &printer)
            }
            return
        }
        guard let index = cause.processIndex else {
            printer.write(Array("\(TerminalText.plain(cause.headline))\n".utf8), toStderr: false, key: "headline")
            return
        }
        let process = try store.processes(of: record.id).first { $0.index == index }
        let derivations = NixStateSnapshot.decode(process?.nixStateJSON)?.derivations.filter { $0.status == .failed } ?? []
        let streams: [OutputStreamName] = derivations.isEmpty ? [.stdout, .stderr] : derivations.map { .buildLog($0.path) }
        for stream in streams {
            var after: Int64 = 0
            while true {
                let chunks = try store.outputChunks(task: record.id, processIndex: index, stream: stream, afterID: after)
                guard let last = chunks.last else { break }
                for chunk in chunks { printer.write(chunk, toStderr: false, key: stream.rawValue, process: index) }
                after = last.id
            }
        }
    }
}

/// The time prefix of `logs --timestamps`: the local wall-clock time a line arrived, or with `sinceStart`
/// the time since its process started. Lines stored before times were kept get a placeholder as wide.
struct LineStamps {
    let sinceStart: Bool
    let store: TaskStore
    let task: UUID
    private var starts: [Int: Date] = [:]

    init(sinceStart: Bool, store: TaskStore, task: UUID) {
        self.sinceStart = sinceStart
        self.store = store
        self.task = task
    }

    mutating func prefix(_ time: Date?, process: Int) -> String {
        guard let time else { return sinceStart ? "+-:--.--- " : TaskFormat.lineTime(nil) + " " }
        guard sinceStart else { return TaskFormat.lineTime(time) + " " }
        if starts[process] == nil {
            // Read once per process; --follow meets processes that started after the first read.
            for record in (try? store.processes(of: task)) ?? [] { starts[record.index] = record.startedAt }
        }
        guard let start = starts[process] else { return "+-:--.--- " }
        return "+" + Self.offset(time.timeIntervalSince(start)) + " "
    }

    /// "0:05.120", "12:00.000", "1:02:03.004": minutes and seconds, hours when there are any.
    static func offset(_ seconds: TimeInterval) -> String {
        let millis = Int((max(0, seconds) * 1000).rounded())
        let (hours, minutes, secs, ms) = (millis / 3_600_000, millis / 60_000 % 60, millis / 1000 % 60, millis % 1000)
        let tail = String(format: "%02d.%03d", secs, ms)
        return hours > 0 ? String(format: "%d:%02d:", hours, minutes) + tail : "\(minutes):" + tail
    }
}
