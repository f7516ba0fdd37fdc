import Foundation
import Logging
import TaskEngine

/// Hands an action to the engine of the state directory through the store's request table, starting a
/// background engine (`serve --on-demand`) first when none runs.
struct EngineSession {
    let options: GlobalOptions
    let store: TaskStore

    /// How many times a client starts an engine for one request before giving up (each start that
    /// loses the lock race, or an engine that exits on idle just as the request arrives, costs one).
    static let startAttempts = 5

    /// Sends `kind`/`payload` and returns the engine's answer. When no engine runs it starts one in the
    /// background, says so on stderr, and waits for that engine's answer (our request stays in the table
    /// whichever engine wins the lock).
    func perform(_ kind: EngineRequest.Kind, payload: String) async throws -> String {
        let directory = options.directory
        let client = EngineClient(directory: directory, store: store)
        let id: Int64
        do { id = try client.enqueue(kind, payload: payload) } catch { throw CLIError(error) }
        var starts = 0
        var started: pid_t?
        if EngineLock.holder(in: directory) == nil {
            started = try startEngine()
            starts += 1
        }
        while true {
            let answer: EngineClient.Answer
            do { answer = try await client.wait(for: id) } catch { throw CLIError(EngineError(error)) }
            switch answer {
            case .done(let text): return text
            case .failed(let error): throw CLIError(error)
            case .noEngine:
                // The engine we started is still starting (a loaded machine): give it the time it needs.
                if let pid = started, Self.isRunning(pid) {
                    try? await Task.sleep(for: .milliseconds(100))
                    continue
                }
                // Nobody took the lock, or the engine exited (idle, crashed) before our request: start one.
                guard starts < Self.startAttempts else {
                    client.withdraw(id)
                    throw CLIError("started an engine \(starts) times but none answered; see \(directory.logPath)", code: ExitCodes.engine)
                }
                started = try startEngine()
                starts += 1
            }
        }
    }

    /// Whether our child `pid` has not exited yet (reaping it if it has: a lost lock race exits at once).
    private static func isRunning(_ pid: pid_t) -> Bool {
        var status: Int32 = 0
        return waitpid(pid, &status, WNOHANG) == 0
    }

    /// Starts `thymis-tasks serve --on-demand` in the background and tells the user (stderr: stdout is the id).
    private func startEngine() throws -> pid_t {
        let idleExit: Duration
        do { idleExit = try EngineHost.idleExit() } catch { throw CLIError(error) }
        let pid: pid_t
        do { pid = try BackgroundEngine.start(directory: options.directory, idleExit: idleExit) } catch { throw CLIError(EngineError(error)) }
        FileHandle.standardError.write(Data("thymis-tasks: no engine was running for \(options.directory.path); started one in the background (pid \(pid)); it exits after \(idleExit.components.seconds) s with nothing to do (log: \(options.directory.logPath))\n".utf8))
        return pid
    }

    /// Carries out an action in this process when no engine runs, without running any task (a CLI `cancel`
    /// of a task a dead engine left): recovers first, then `body`. Nil when an engine runs (use `perform`).
    func withoutEngine(_ body: (TaskEngine) async throws -> String) async throws -> String? {
        guard let host = try EngineHost.acquire(in: options.directory, makeEngine: makeEngine) else { return nil }
        do {
            try await host.start(runsTasks: false, watchRequests: false)
            let answer = try await body(host.engine)
            await host.shutdown()
            return answer
        } catch {
            await host.shutdown()
            throw CLIError(error)
        }
    }

    /// An engine for this state directory, logging to its log file (and to stderr with `alsoStderr`).
    func makeEngine() throws -> TaskEngine {
        try Self.makeEngine(options: options, store: store)
    }

    static func makeEngine(options: GlobalOptions, store: TaskStore, alsoStderr: Bool = false,
                           configuration: EngineConfiguration? = nil) throws -> TaskEngine {
        let sink = LogSink(path: options.directory.logPath, alsoStderr: alsoStderr)
        var logger = Logger(label: "thymis-tasks.engine", factory: { label in FileLogHandler(label: label, sink: sink) })
        logger.logLevel = .info
        return TaskEngine(store: store, registry: .standard, configuration: try configuration ?? options.engineConfiguration(),
                          logger: logger)
    }
}
