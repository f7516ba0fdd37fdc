import Foundation
import NixLog
import TaskEngine

/// Copies a task's stored output to stdout/stderr as it grows, remembering how far each stream was
/// printed: `logs` (once, or with --follow) and `submit ssh-command --wait` (live) print through it.
struct OutputFollower {
    let task: UUID
    /// Only this process (0-based), or every one.
    var process: Int?
    var stream: LogsCommand.StreamChoice?
    /// Bytes as stored: no heading before a build log (the printer decides sanitising).
    var raw = false
    var printer: LogPrinter
    private var positions: [String: Int64] = [:]

    init(task: UUID, process: Int? = nil, stream: LogsCommand.StreamChoice? = nil, raw: Bool = false, printer: LogPrinter) {
        self.task = task
        self.process = process
        self.stream = stream
        self.raw = raw
        self.printer = printer
    }

    /// Prints everything stored since the last call.
    mutating func copyNewOutput(from store: TaskStore) throws {
        for (index, name) in try store.outputStreams(task: task) {
            if let process, process != index { continue }
            switch stream {
            case .stdout?: if name != .stdout { continue }
            case .stderr?: if name != .stderr { continue }
            case .build?: if !name.isBuildLog { continue }
            case nil: break
            }
            let key = "\(index)/\(name.rawValue)"
            while true {
                let chunks = try store.outputChunks(task: task, processIndex: index, stream: name, afterID: positions[key] ?? 0)
                if chunks.isEmpty { break }
                if positions[key] == nil, let derivation = name.derivation, !raw {
                    // Which derivation the lines below come from: several build at once, and the eval's stdout precedes them.
                    let heading = "== build log of \(NixDerivationState(path: derivation, status: .built).name) (\(derivation)) ==\n"
                    printer.write(Array(heading.utf8), toStderr: false, key: "heading")
                }
                for chunk in chunks { printer.write(chunk, toStderr: name == .stderr && stream == nil, key: key, process: index) }
                positions[key] = chunks.last!.id
            }
        }
    }

    /// Prints unfinished last lines (held back on a terminal until their newline).
    mutating func finish() { printer.finish() }
}
