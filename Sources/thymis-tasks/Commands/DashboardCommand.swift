import ArgumentParser
import Dashboard
import Foundation
import TaskEngine

/// Flags of the terminal the dashboard opens (shared by `dashboard` and `demo`).
struct DashboardFlags: ParsableArguments {
    @Flag(help: "Hide every action (cancel, retry, new task, save) and never run the engine.")
    var readOnly = false

    @Flag(help: "ASCII glyphs only (the default without a UTF-8 locale).")
    var ascii = false

    @Flag(help: "No colours (also with NO_COLOR set); states stay visible by glyph and attribute.")
    var noColor = false

    @Flag(help: "Report mouse clicks and the wheel (select a task, scroll).")
    var mouse = false

    @Option(help: ArgumentHelp("When a task that ran over 10 s ends: bell (failures only), osc (a desktop notification via OSC 9/777 for every completed or failed task) or off.",
                               valueName: "bell|osc|off"))
    var notify: NotifyMode = .bell

    var options: DashboardOptions {
        DashboardOptions(readOnly: readOnly, ascii: ascii, color: !noColor, mouse: mouse, notify: notify)
    }
}

/// `dashboard` (the default command): the ncurses dashboard on a state directory.
struct DashboardCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dashboard",
        abstract: "Watch and steer tasks in the terminal (the default command).",
        discussion: """
            Runs the engine in this process when no other process does; otherwise attaches to the one \
            that does (its pid is in the header) and hands it cancel, retry and submit. Press ? for \
            every key. The terminal is restored on q, SIGINT, SIGTERM, SIGHUP and on a crash. \
            See docs/dashboard.md.
            """)

    @OptionGroup var global: GlobalOptions
    @OptionGroup var flags: DashboardFlags

    func run() async throws {
        // A dashboard that will host the engine stays the shell's job only as a front, so "keep
        // running" can give the prompt back (TerminalFront).
        if TerminalFront.shouldSplit(directory: global.directory, readOnly: flags.readOnly), let status = TerminalFront.run() {
            throw ExitCode(status)
        }
        TerminalFront.prepareBack()
        // Read-only: never wait for SQLite's write lock.
        let store = try global.openStore(readOnly: flags.options.readOnly)
        let engine = try EngineSession(options: global, store: store).makeEngine()
        var options = flags.options
        options.onDetach = { TerminalFront.backDetached() }
        try await Self.open(directory: global.directory, store: store, options: options, engine: engine)
    }

    /// Runs the dashboard and turns its failures into the CLI's errors and exit codes.
    static func open(directory: StateDirectory, store: TaskStore, options: DashboardOptions, engine: TaskEngine,
                     beforeFirstFrame: (@Sendable (TaskEngine?) async throws -> Void)? = nil) async throws {
        do {
            try await DashboardApp.run(directory: directory, store: store, options: options, makeEngine: { engine },
                                       beforeFirstFrame: beforeFirstFrame)
        } catch let interrupted as DashboardInterrupted {
            throw ExitCode(128 + interrupted.signal)
        } catch let failure as DashboardApp.Failure {
            throw CLIError(failure.description, code: ExitCodes.usage)
        } catch {
            throw CLIError(error)
        }
    }
}

extension NotifyMode: ExpressibleByArgument {}
