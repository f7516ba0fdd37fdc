import ArgumentParser
import Foundation
import TaskEngine

/// `run-now ID`: start a pending task at once, past its pool's limit (Thymis' "run immediately").
struct RunNowCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run-now", abstract: "Start a pending task at once, past its pool's limit.",
        discussion: """
            The task takes a slot over its pool's limit (the tasks behind it in the pool wait until the pool \
            is under its limit again); `show` records who started it (`run now: ... by USER via thymis-tasks \
            run-now`, `run_now_by` in --json). A task that is not pending changes nothing (exit 1). When no \
            engine runs, one is started in the background (as for submit); it runs the other pending tasks too.
            """)

    @OptionGroup var global: GlobalOptions
    @Argument(help: "The task id or a unique prefix of it.") var id: String

    func run() async throws {
        let store = try global.openStore()
        let record = try store.resolveForCommand(id)
        // Refused here already, so a finished task never starts an engine just to be refused.
        guard record.state == .pending else {
            throw CLIError("task \(record.id.uuidString.lowercased()) is \(record.displayState.rawValue), not pending; only a pending task can be run now",
                           code: ExitCodes.taskFailed)
        }
        let request = RunNowRequest(id: record.id.uuidString, by: RunNowRequest.requester(via: "thymis-tasks run-now"))
        let answer = try await EngineSession(options: global, store: store).perform(.runNow, payload: request.payload)
        print("\(record.id.uuidString.lowercased()): \(answer)")
        if answer != RunNowResult.startedMessage { throw ExitCode(ExitCodes.taskFailed) }
    }
}
