import Foundation
import Logging
import TaskEngine

/// Runs an action either in this process (when it can take the engine lock) or by handing it to the
/// process that holds the lock, through the store's request table.
struct EngineSession {
    let options: GlobalOptions
    let store: TaskStore

    /// Sends `kind`/`payload` to the engine. When no engine runs, `takeOver` is called with the lock
    /// held; it returns the answer produced in this process.
    func perform(_ kind: EngineRequest.Kind, payload: String,
                 takeOver: (EngineLock) async throws -> String) async throws -> String {
        let directory = options.directory
        if let lock = try EngineLock.acquire(in: directory) {
            return try await takeOver(lock)
        }
        let client = EngineClient(directory: directory, store: store)
        var (id, answer) = try await send(client, kind, payload)
        while true {
            switch answer {
            case .done(let text): return text
            case .failed(let text): throw CLIError(text, code: Self.code(forEngineError: text))
            case .noEngine:
                // The engine went away before carrying our request out: become the engine. Our request
                // is still in the table, so the new engine's request watcher carries it out.
                if let lock = try EngineLock.acquire(in: directory) {
                    let engine = try makeEngine()
                    try await engine.start()
                    answer = try await wait(client, id)
                    if kind == .submit { await runUntilIdle(engine) }
                    await engine.shutdown()
                    withExtendedLifetime(lock) {}
                } else {
                    answer = try await wait(client, id)
                }
            }
        }
    }

    private func send(_ client: EngineClient, _ kind: EngineRequest.Kind, _ payload: String) async throws -> (Int64, EngineClient.Answer) {
        do { return try await client.send(kind, payload: payload) } catch { throw Self.cliError(error) }
    }

    private func wait(_ client: EngineClient, _ id: Int64) async throws -> EngineClient.Answer {
        do { return try await client.wait(for: id) } catch { throw Self.cliError(error) }
    }

    /// A store that cannot be written (full disk, read-only file) is exit 4, not "the engine did not answer".
    private static func cliError(_ error: Error) -> CLIError {
        error is StoreError ? CLIError(error) : CLIError("\(error)", code: ExitCodes.engine)
    }

    static func code(forEngineError text: String) -> Int32 {
        if text.hasPrefix("no task matches") || text.contains("\" matches ") { return ExitCodes.notFound }
        if text.hasPrefix("cannot write to the task database") || text.hasPrefix("cannot open the task database") { return ExitCodes.store }
        return ExitCodes.badInput
    }

    /// An engine for this state directory, logging to its log file.
    func makeEngine() throws -> TaskEngine {
        let sink = LogSink(path: options.directory.logPath)
        var logger = Logger(label: "thymis-tasks.engine", factory: { label in FileLogHandler(label: label, sink: sink) })
        logger.logLevel = .info
        return TaskEngine(store: store, registry: .standard, configuration: try options.engineConfiguration(), logger: logger)
    }

    /// Keeps an in-process engine running until nothing is pending or running, shutting it down cleanly
    /// on SIGINT, SIGTERM or SIGHUP (final states recorded, processes stopped).
    func runUntilIdle(_ engine: TaskEngine) async {
        let trap = SignalTrap { _ in Task { await engine.shutdown() } }
        await engine.waitUntilIdle()
        withExtendedLifetime(trap) {}
    }
}
