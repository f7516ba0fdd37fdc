import ArgumentParser
import Foundation
import Logging
import TaskEngine

/// `serve`: the engine without a terminal, for systemd, and what a client starts on demand.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve", abstract: "Run the engine headless until SIGTERM (what a systemd unit runs).",
        discussion: """
            Holds the state directory's engine lock; other thymis-tasks processes hand it their requests. \
            Never exits on idle unless given --idle-exit. Exits non-zero (4) when the state directory \
            disappears or becomes unusable. A submit or retry that finds no engine starts \
            `serve --on-demand --idle-exit $THYMIS_TASKS_IDLE_EXIT` (default 60) in the background. \
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

    @Option(help: ArgumentHelp("Keep at most this much task output on disk (compressed), oldest finished tasks' output going first: 20GB, 500MB, off (default: $THYMIS_TASKS_OUTPUT_MAX_SIZE, else 10GB).",
                               valueName: "size"))
    var outputMaxSize: String?
    @Option(help: ArgumentHelp("Drop the output of tasks that ended longer ago than this: 90d, 12h, 2w, off (default: $THYMIS_TASKS_OUTPUT_MAX_AGE, else off).",
                               valueName: "age"))
    var outputMaxAge: String?

    @Option(help: ArgumentHelp("Exit after this many seconds with nothing pending, running or requested.", valueName: "seconds"))
    var idleExit: Double?

    @Flag(help: ArgumentHelp("Started by a client: log only to the log file, and exit quietly (0) when another engine already runs.",
                             visibility: .hidden))
    var onDemand = false

    func run() async throws {
        if let idleExit, !(idleExit >= 0) { throw CLIError("--idle-exit \(idleExit): give a number of seconds, 0 or more", code: ExitCodes.usage) }
        let autoUpdate = try autoUpdateSchedule()
        let configuration = try global.engineConfiguration(
            retention: GlobalOptions.retentionPolicy(size: outputMaxSize, age: outputMaxAge))
        let store = try global.openStore()
        let host: EngineHost
        let engine = try EngineSession.makeEngine(options: global, store: store, alsoStderr: !onDemand, configuration: configuration)
        do {
            guard let acquired = try EngineHost.acquire(in: global.directory, makeEngine: { engine }) else {
                // Several clients may start an engine at the same moment: the lock decided, and the winner has their requests.
                if onDemand { return }
                let holder = EngineLock.holder(in: global.directory).map { " (pid \($0))" } ?? ""
                throw CLIError("another process\(holder) already runs the engine for \(global.directory.path)", code: ExitCodes.engine)
            }
            host = acquired
        } catch let error as CLIError { throw error } catch { throw CLIError(error) }
        host.stopOnSignals()
        do { try await host.start() } catch { throw CLIError(error) }
        if let (schedule, options) = autoUpdate {
            await AutoUpdateScheduler.start(engine: engine, directory: global.directory, schedule: schedule,
                                            projectPath: options.projectPath, projectFile: options.projectFilePath)
        }
        engine.log("serving", metadata: ["state_dir": "\(global.directory.path)", "pid": "\(getpid())",
                                              "idle_exit": "\(idleExit.map { "\($0) s" } ?? "never")", "on_demand": "\(onDemand)",
                                              "output_retention": "\(configuration.retention.summary)"])
        let exit = await host.run(idleExit: idleExit.map { .milliseconds(Int64($0 * 1000)) })
        if case .signal(let number) = exit { engine.log("signal received; shutting down", metadata: ["signal": "\(number)"]) }
        await host.shutdown()
        if case .stateDirectoryUnusable(let problem) = exit {
            throw CLIError("the state directory cannot be used any more (\(problem)); the engine stopped", code: ExitCodes.store)
        }
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
