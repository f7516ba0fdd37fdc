import ArgumentParser
import Foundation
import TaskEngine

/// `prune`: applies the output retention policy now, as the engine does in the background.
struct PruneCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "prune", abstract: "Drop the output of old finished tasks to fit the retention limits; print what it freed.",
        discussion: """
            The limits are serve's: --output-max-size (default $THYMIS_TASKS_OUTPUT_MAX_SIZE, else 10GB, \
            counted as stored, compressed) and --output-max-age (default $THYMIS_TASKS_OUTPUT_MAX_AGE, else \
            off). The oldest finished tasks' output goes first; running tasks are never touched. Only \
            output chunks are dropped: tasks, submissions, processes, failure reasons and Nix summaries \
            stay, and `logs` says "output pruned on DATE (N MB)". The freed space is given back to the \
            file system. Safe while an engine runs.
            """)

    @OptionGroup var global: GlobalOptions
    @Option(help: ArgumentHelp("Keep at most this much output (20GB, 500MB, off).", valueName: "size")) var maxOutputSize: String?
    @Option(help: ArgumentHelp("Drop the output of tasks that ended longer ago (90d, 12h, off).", valueName: "age")) var maxAge: String?
    @Flag(help: "Only say what would be pruned.") var dryRun = false
    @Flag(help: "Print JSON.") var json = false

    func run() throws {
        let policy = try GlobalOptions.retentionPolicy(size: maxOutputSize, age: maxAge, sizeFlag: "--max-output-size", ageFlag: "--max-age")
        guard FileManager.default.fileExists(atPath: global.directory.databasePath) else {
            throw CLIError("no task store in \(global.directory.path) (nothing to prune); check --state-dir or $THYMIS_TASKS_STATE_DIR",
                           code: ExitCodes.notFound)
        }
        let store = try global.openStore()
        let report: OutputPruner.Report
        do { report = try OutputPruner(store: store).prune(policy, dryRun: dryRun) } catch { throw CLIError(error) }
        print(json ? Self.json(report, policy: policy, dryRun: dryRun) : Self.text(report, policy: policy, dryRun: dryRun))
    }

    static func text(_ report: OutputPruner.Report, policy: OutputRetentionPolicy, dryRun: Bool) -> String {
        let size = ByteCountText.format
        let tasks = report.tasks == 1 ? "1 task" : "\(report.tasks) tasks"
        var lines: [String] = []
        if dryRun {
            lines.append(report.tasks == 0 ? "nothing to prune (dry run)"
                : "would prune the output of \(tasks): \(size(report.storedBytes, false)) on disk, \(size(report.printedBytes, false)) as printed (dry run: nothing changed)")
        } else {
            lines.append(report.tasks == 0 && report.storedBytes == 0 ? "nothing to prune"
                : "pruned the output of \(tasks): \(size(report.storedBytes, false)) on disk, \(size(report.printedBytes, false)) as printed")
            lines.append("files: \(size(report.fileBytesBefore, false)) -> \(size(report.fileBytesAfter, false))"
                         + (report.returnedBytes > 0 ? " (\(size(report.returnedBytes, false)) given back to the file system)" : ""))
        }
        lines.append("stored output \(dryRun ? "would be" : "is now") \(size(report.storedBytesLeft, false)); policy: \(policy.summary)")
        return lines.joined(separator: "\n")
    }

    static func json(_ report: OutputPruner.Report, policy: OutputRetentionPolicy, dryRun: Bool) -> String {
        let fields: [String: JSONValue] = [
            "dry_run": .bool(dryRun),
            "tasks": .number(Double(report.tasks)),
            "stored_bytes": .number(Double(report.storedBytes)),
            "printed_bytes": .number(Double(report.printedBytes)),
            "returned_bytes": .number(Double(report.returnedBytes)),
            "file_bytes_before": .number(Double(report.fileBytesBefore)),
            "file_bytes_after": .number(Double(report.fileBytesAfter)),
            "stored_bytes_left": .number(Double(report.storedBytesLeft)),
            "max_output_size": policy.maxSize.map { .number(Double($0)) } ?? .null,
            "max_age_seconds": policy.maxAge.map { .number($0) } ?? .null,
        ]
        return JSONValue.object(fields).canonicalText(pretty: true)
    }
}
