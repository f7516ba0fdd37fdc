import Dispatch
import Foundation
import Glibc
import Synchronization
import TaskEngine

/// The dashboard program: takes the engine (or attaches to the process that has it), opens the
/// terminal on a thread of its own, runs the render loop until quit or a signal, and always
/// gives the terminal back.
public enum DashboardApp {
    /// Why the dashboard could not run, in words for the user.
    public struct Failure: Error, CustomStringConvertible, Sendable {
        public let description: String
    }

    /// Runs the dashboard on `directory`. `makeEngine` builds the engine when this process can
    /// take the engine lock (not with `readOnly`). `beforeFirstFrame` runs once the engine is
    /// started (the demo submits its tasks there).
    public static func run(
        directory: StateDirectory, store: TaskStore, options: DashboardOptions,
        makeEngine: @escaping @Sendable () throws -> TaskEngine,
        beforeFirstFrame: (@Sendable (TaskEngine?) async throws -> Void)? = nil
    ) async throws {
        var host: EngineHost?
        let mode: EngineMode
        let connection: EngineConnection
        if !options.readOnly, let acquired = try EngineHost.acquire(in: directory, makeEngine: makeEngine) {
            try await acquired.start()
            host = acquired
            mode = .inProcess
            connection = .inProcess(acquired.engine)
        } else if let pid = EngineLock.holder(in: directory) {
            mode = .attached(pid: pid)
            connection = options.readOnly ? .none : .client(EngineClient(directory: directory, store: store))
        } else {
            mode = .detached
            connection = .none
        }
        let engine = host?.engine
        try await beforeFirstFrame?(engine)

        let mailbox = Mailbox()
        let events = engine.map { forwardEvents(of: $0, to: mailbox) }
        // Attached: when the engine's process exits, take the engine over so pending tasks keep running.
        let takeover = EngineTakeover()
        let watcher: Task<Void, Never>? = engine != nil || options.readOnly ? nil : Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(1))
                do {
                    guard let acquired = try EngineHost.acquire(in: directory, makeEngine: makeEngine) else { continue }
                    try await acquired.start()
                    takeover.set(host: acquired, events: forwardEvents(of: acquired.engine, to: mailbox))
                    mailbox.post(.tookOverEngine(acquired.engine))
                } catch {
                    mailbox.post(.status("could not take the engine over: \(error)", isError: true))
                }
                return
            }
        }
        // The render thread stops, restores the terminal and lets the engine record final states; if that has
        // not happened within 4.5 s (a stuck frame), the terminal is restored from here and the process exits.
        var signals: SignalWatch? = SignalWatch(escalation: (after: .milliseconds(4500), onStuck: { number in
            EmergencyTerminalRestore.run()
            _exit(128 + number)
        })) { number in mailbox.post(.signal(number)) }
        CrashRestore.install()

        let result: Result<LoopOutcome, Error> = await withCheckedContinuation { continuation in
            let thread = Thread {
                continuation.resume(returning: runLoop(store: store, options: options, mode: mode, mailbox: mailbox,
                                                       connection: connection, formMemory: FormMemory(stateDirectory: directory.path)))
            }
            thread.name = "thymis-tasks dashboard"
            thread.stackSize = 8 << 20
            thread.start()
        }
        events?.cancel()
        watcher?.cancel()
        if case .success(let outcome) = result, outcome.keepsTasksRunning, let host {
            // The dashboard's signal handling (restore the terminal, exit) no longer applies.
            signals = nil
            await keepRunningDetached(host, onDetach: options.onDetach)
            return
        }
        // Final states recorded before we return: running tasks end as cancelled.
        await host?.shutdown(deadline: .seconds(3))
        await takeover.shutdown()
        withExtendedLifetime((signals, host)) {}
        switch result {
        case .success(let outcome) where outcome.signal != nil:
            throw DashboardInterrupted(signal: outcome.signal!)
        case .success:
            return
        case .failure(let error):
            throw error
        }
    }

    /// How the render loop ended.
    struct LoopOutcome: Sendable {
        var signal: Int32?
        var keepsTasksRunning: Bool
    }

    /// "Keep them running": this process becomes the background engine. Its running tasks' processes are
    /// its children and their output pipes are its own, so no other process could take them over without
    /// losing their exit status or output; instead this process lets the terminal go (stdin/stdout/stderr to
    /// /dev/null, a session of its own where possible, SIGHUP ignored, so closing the terminal stops
    /// nothing), keeps serving requests, and exits like an engine started on demand once nothing has been
    /// pending or running for `THYMIS_TASKS_IDLE_EXIT` seconds. Nothing is interrupted or recorded twice.
    private static func keepRunningDetached(_ host: EngineHost, onDetach: (@Sendable () -> Void)?) async {
        let idleExit = (try? EngineHost.idleExit()) ?? .seconds(60)
        let message = "thymis-tasks: the tasks keep running in the background in this process (pid \(getpid())); it serves other thymis-tasks commands and exits after \(idleExit.components.seconds) s with nothing to do. Closing the terminal stops nothing.\n"
        FileHandle.standardOutput.write(Data(message.utf8))
        signal(SIGHUP, SIG_IGN)
        host.stopOnSignals([SIGINT, SIGTERM])
        // Fails for a process-group leader (a shell's job); SIGHUP is ignored either way.
        _ = setsid()
        let null = open("/dev/null", O_RDWR | O_CLOEXEC)
        if null >= 0 {
            for fd: Int32 in [0, 1, 2] { dup2(null, fd) }
            close(null)
        }
        onDetach?()
        host.engine.log("the dashboard quit; its engine keeps running detached", metadata: ["idle_exit": "\(idleExit)"])
        let exit = await host.run(idleExit: idleExit)
        host.engine.log("the detached dashboard engine stops", metadata: ["reason": "\(exit)"])
        await host.shutdown()
    }

    private static func forwardEvents(of engine: TaskEngine, to mailbox: Mailbox) -> Task<Void, Never> {
        Task {
            for await event in await engine.events() {
                switch event {
                case .taskChanged(let id): mailbox.post(.taskChanged(id))
                case .outputAppended(let id): mailbox.post(.outputAppended(id))
                case .stopped: break  // the loop ends on quit or a signal, not on this
                }
            }
        }
    }

    /// The body of the render thread: opens the terminal, loops, restores it on every path.
    private static func runLoop(store: TaskStore, options: DashboardOptions, mode: EngineMode, mailbox: Mailbox,
                                connection: EngineConnection, formMemory: FormMemory) -> Result<LoopOutcome, Error> {
        let terminal: NcursesTerminal
        do {
            terminal = try NcursesTerminal(options: .init(color: options.color, mouse: options.mouse, ascii: options.ascii))
        } catch {
            return .failure(Failure(description: error.description))
        }
        defer { terminal.restore() }
        var model = DashboardModel(size: terminal.size, readOnly: options.readOnly, mode: mode)
        model.formDefaults = formMemory.load()
        let loop = DashboardLoop(terminal: terminal, store: store, model: model, mailbox: mailbox, connection: connection)
        loop.rememberFormsIn(formMemory)
        loop.notify(options.notify)
        if let reason = terminal.fallbackReason { mailbox.post(.status(reason, isError: true)) }
        do {
            try loop.run()
        } catch {
            return .failure(Failure(description: "\(error)"))
        }
        return .success(LoopOutcome(signal: loop.stopSignal, keepsTasksRunning: loop.keepsTasksRunning))
    }
}

/// The dashboard stopped because of a signal; the command exits with 128 + the signal number.
public struct DashboardInterrupted: Error, Sendable {
    public let signal: Int32
}

/// Restores the terminal when the program crashes (a trap, a bad access), then hands the
/// signal to whatever handled it before (Swift's backtracer), so the crash report still appears.
enum CrashRestore {
    /// `nonisolated(unsafe)`: allocated and filled once by `install()` before the handlers are
    /// set, then only read, from the signal handler.
    private nonisolated(unsafe) static var previous: UnsafeMutablePointer<sigaction>?

    static func install() {
        guard previous == nil else { return }
        let table = UnsafeMutablePointer<sigaction>.allocate(capacity: 65)
        table.initialize(repeating: sigaction(), count: 65)
        previous = table
        for number in [SIGSEGV, SIGBUS, SIGILL, SIGTRAP, SIGABRT, SIGFPE] {
            var action = sigaction()
            action.__sigaction_handler.sa_handler = { number in
                EmergencyTerminalRestore.run()
                if let previous = CrashRestore.previous { sigaction(number, previous + Int(number), nil) }
                raise(number)
            }
            action.sa_flags = Int32(bitPattern: UInt32(SA_RESETHAND)) | Int32(SA_NODEFER)
            sigemptyset(&action.sa_mask)
            sigaction(number, &action, table + Int(number))
        }
    }
}

/// The engine an attached dashboard took over, kept (with its lock) until the dashboard exits.
final class EngineTakeover: Sendable {
    private let state = Mutex<(host: EngineHost?, events: Task<Void, Never>?)>((nil, nil))

    func set(host: EngineHost, events: Task<Void, Never>) {
        state.withLock { $0 = (host, events) }
    }

    /// Records final states of what it runs, then lets the lock go.
    func shutdown() async {
        let (host, events) = state.withLock { $0 }
        events?.cancel()
        await host?.shutdown(deadline: .seconds(3))
        state.withLock { $0 = (nil, nil) }
    }
}
