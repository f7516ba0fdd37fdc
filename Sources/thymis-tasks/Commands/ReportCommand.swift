import ArgumentParser
import Dashboard
import Foundation
import NixLog
import TaskEngine

/// `report ID`: a Markdown account of one task a person can paste into an issue or a chat.
struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report", abstract: "Write a Markdown report of a task: what ran, why it failed, the failing log's end.",
        discussion: """
            The report holds the task type, state and times, the submission and every process' \
            command line with secrets redacted, `nix --version` and the thymis-tasks version, the \
            failure cause, and the last 50 lines of the failing log in a fenced block. It is written \
            to stdout, or to --output.
            """)

    @OptionGroup var global: GlobalOptions
    @Argument(help: "The task id or a unique prefix of it.") var id: String
    @Option(help: "Write the report to this file instead of stdout.") var output: String?

    func run() throws {
        let store = try global.openStore(readOnly: true)
        let record = try store.resolveForCommand(id)
        let text = try TaskReport.markdown(record, store: store, nixVersion: TaskReport.nixVersion(), version: ThymisTasksVersion.current)
        if let output {
            // 0600 whatever the umask: a report holds commands and logs (issue 23), as the dashboard's do.
            do { try PrivateFile.replace(atPath: output, with: Data(text.utf8)) } catch {
                throw CLIError("cannot write the report to \(output): \(error.reason); choose a writable path", code: ExitCodes.usage)
            }
        } else {
            print(text, terminator: "")
        }
    }
}
