import ArgumentParser
import Dashboard
import Foundation
import TaskEngine

/// The `thymis-tasks` command: the task system of a Thymis controller, for the terminal.
@main
struct ThymisTasks: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "thymis-tasks",
        abstract: "Run, watch and steer the long-running tasks of a NixOS fleet controller.",
        discussion: """
            Tasks (Build Project, Update Nix Flake, Run SSH Command, ...) run in one engine per state \
            directory and keep every byte of their output in SQLite. Readers (list, show, logs) never \
            wait for the engine; submit, cancel and retry are handed to it.

            Exit codes: \(ExitCodes.summary)
            """,
        version: ThymisTasksVersion.current,
        subcommands: [SubmitCommand.self, ListCommand.self, ShowCommand.self, LogsCommand.self, ReportCommand.self, CancelCommand.self,
                      RetryCommand.self, RunNowCommand.self, PruneCommand.self, ServeCommand.self, NixLogCommand.self, DashboardCommand.self, DemoCommand.self],
        defaultSubcommand: DashboardCommand.self
    )

    /// Parses and runs a command, printing one clear line (not the whole usage) for a bad argument.
    static func main() async {
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch let error as CLIError {
            fail(error)
        } catch let error where error is StoreError || error is SubmissionError || error is ConfigurationError {
            fail(CLIError(error))
        } catch {
            let code = exitCode(for: error)
            if code == .success {
                print(fullMessage(for: error))
                Foundation.exit(0)
            }
            if error is ExitCode || error is CleanExit { exit(withError: error) }
            // Not the parser's (those exit 64): an error from Foundation or the system, as a sentence.
            if code == .failure { fail(CLIError(error)) }
            // A mistyped command or submit form: name it and the likely one, not a later word (issue 30).
            if let unknown = UnknownCommand.find(in: Array(CommandLine.arguments.dropFirst()), root: Self.self) {
                fail(CLIError(unknown.message, code: ExitCodes.usage))
            }
            // The parser's message spans lines (error, usage, help) and may echo an argument that
            // itself holds a newline: show those arguments visibly first, then keep the first line.
            var text = message(for: error)
            for argument in CommandLine.arguments.dropFirst() where TerminalText.errorLine(argument) != argument {
                text = text.replacingOccurrences(of: argument, with: TerminalText.errorLine(argument))
            }
            let line = text.split(separator: "\n").first.map(String.init) ?? "\(error)"
            FileHandle.standardError.write(Data("thymis-tasks: \(TerminalText.errorLine(line)) (see --help)\n".utf8))
            Foundation.exit(code.rawValue)
        }
    }

    private static func fail(_ error: CLIError) -> Never {
        FileHandle.standardError.write(Data("thymis-tasks: \(TerminalText.errorLine(error.message))\n".utf8))
        Foundation.exit(error.code)
    }
}
