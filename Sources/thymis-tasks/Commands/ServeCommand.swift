import ArgumentParser
import Foundation
import Logging
import TaskEngine

/// `serve`: the engine without a terminal, for systemd.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve", abstract: "Run the engine headless until SIGTERM (what a systemd unit runs).",
        discussion: """
            Holds the state directory's engine lock; other thymis-tasks processes hand it their requests. \
            With --project DIR it also submits an Auto-update of that project on a schedule: --auto-update, \
            else the project file's auto_update.schedule (local time; a run still going is not doubled).
            """)

    @OptionGroup var global: GlobalOptions
    @Option(help: ArgumentHelp("Submit an Auto-update of --project at these times: \"daily 03:00\", \"weekly Mon 03:00\", \"every 6h\".",
                               valueName: "schedule"))
    var autoUpdate: String?
    @Option(help: ArgumentHelp("The project Auto-update runs on (its project file may hold auto_update.schedule).", valueName: "dir"))
    var project: String?
    @Option(help: ArgumentHelp("The project file (default: DIR/thymis-project.json).", valueName: "path"))
    var projectFile: String?

    func run() async throws {
        let autoUpdate = try autoUpdateSchedule()
        let store = try global.openStore()
        guard let lock = try EngineLock.acquire(in: global.directory) else {
            let holder = EngineLock.holder(in: global.directory).map { " (pid \($0))" } ?? ""
            throw CLIError("another process\(holder) already runs the engine for \(global.directory.path)", code: ExitCodes.engine)
        }
        let sink = LogSink(path: global.directory.logPath, alsoStderr: true)
        let logger = Logger(label: "thymis-tasks.engine", factory: { FileLogHandler(label: $0, sink: sink) })
        let engine = TaskEngine(store: store, configuration: try global.engineConfiguration(), logger: logger)
        do { try await engine.start() } catch { throw CLIError(error) }
        if let (schedule, options) = autoUpdate {
            await AutoUpdateScheduler.start(engine: engine, directory: global.directory, schedule: schedule,
                                            projectPath: options.projectPath, projectFile: options.projectFilePath)
        }
        logger.info("serving", metadata: ["state_dir": "\(global.directory.path)", "pid": "\(getpid())"])
        let stopped = AsyncStream<Int32>.makeStream()
        let trap = SignalTrap { signal in stopped.continuation.yield(signal) }
        for await signal in stopped.stream {
            logger.info("signal received; shutting down", metadata: ["signal": "\(signal)"])
            break
        }
        await engine.shutdown()
        withExtendedLifetime((trap, lock)) {}
    }

    /// The schedule and project of `--auto-update`/`--project`; nil when none is asked for.
    private func autoUpdateSchedule() throws -> (AutoUpdateSchedule, ProjectOptions)? {
        guard let project else {
            if autoUpdate != nil { throw CLIError("--auto-update needs --project DIR: the project it updates", code: ExitCodes.usage) }
            return nil
        }
        let options = try ProjectOptions.parse(["--project", project] + (projectFile.map { ["--project-file", $0] } ?? []))
        let file = try options.load()
        if let autoUpdate {
            do { return (try AutoUpdateSchedule.parse(autoUpdate), options) } catch { throw CLIError("--auto-update: \(error)", code: ExitCodes.usage) }
        }
        guard let schedule = file?.autoUpdate.schedule else {
            throw CLIError("serve --project \(options.projectPath): no schedule; give --auto-update SCHEDULE or set auto_update.schedule in the project file",
                           code: ExitCodes.usage)
        }
        return (schedule, options)
    }
}
