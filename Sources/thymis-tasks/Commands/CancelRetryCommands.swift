import ArgumentParser
import Foundation
import TaskEngine

/// `cancel ID`: stop a task (and its children); it ends as failed with reason "cancelled".
struct CancelCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cancel", abstract: "Cancel a pending or running task and its children.",
        discussion: "Running processes get SIGTERM, a grace period, then SIGKILL. Cancelling a finished task changes nothing (exit 1).")

    @OptionGroup var global: GlobalOptions
    @Argument(help: "The task id or a unique prefix of it.") var id: String

    func run() async throws {
        let store = try global.openStore()
        let record = try store.resolveForCommand(id)
        if record.state.isFinal {
            throw CLIError("task \(record.id.uuidString.lowercased()) is already \(record.displayState.rawValue); nothing to cancel",
                           code: ExitCodes.taskFailed)
        }
        let session = EngineSession(options: global, store: store)
        // No engine runs: record the cancel directly (after recovering what a dead engine left); starting
        // an engine only to cancel would also start the other pending tasks.
        var message = try await session.withoutEngine { engine in try await engine.cancel(record.id).message }
        if message == nil { message = try await session.perform(.cancel, payload: record.id.uuidString) }
        let answer = message ?? ""
        print("\(record.id.uuidString.lowercased()): \(answer)")
        if answer != CancelResult.cancelled.message { throw ExitCode(ExitCodes.taskFailed) }
    }
}

/// `retry ID`: a new task with the same submission, linked by retry_of.
struct RetryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "retry", abstract: "Submit a finished task again; the new task records which one it retries.",
        discussion: "When no engine runs, one is started in the background (as for submit) and runs the retry.")

    @OptionGroup var global: GlobalOptions
    @Argument(help: "The task id or a unique prefix of it.") var id: String
    @Flag(help: "Print the new task record as JSON instead of its id.") var json = false

    func run() async throws {
        let store = try global.openStore()
        let record = try store.resolveForCommand(id)
        let newID = try await EngineSession(options: global, store: store).perform(.retry, payload: record.id.uuidString)
        guard let uuid = UUID(uuidString: newID), let created = try store.task(uuid) else {
            throw CLIError("the engine answered \"\(newID)\" instead of a task id", code: ExitCodes.engine)
        }
        print(json ? try TaskJSON.render(created, store: store, detailed: false) : created.id.uuidString.lowercased())
    }
}
