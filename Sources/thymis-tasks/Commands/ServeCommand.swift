import ArgumentParser
import Foundation
import Logging
import TaskEngine

/// `serve`: the engine without a terminal, for systemd.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve", abstract: "Run the engine headless until SIGTERM (what a systemd unit runs).",
        discussion: "Holds the state directory's engine lock; other thymis-tasks processes hand it their requests.")

    @OptionGroup var global: GlobalOptions

    func run() async throws {
        let store = try global.openStore()
        guard let lock = try EngineLock.acquire(in: global.directory) else {
            let holder = EngineLock.holder(in: global.directory).map { " (pid \($0))" } ?? ""
            throw CLIError("another process\(holder) already runs the engine for \(global.directory.path)", code: ExitCodes.engine)
        }
        let sink = LogSink(path: global.directory.logPath, alsoStderr: true)
        let logger = Logger(label: "thymis-tasks.engine", factory: { FileLogHandler(label: $0, sink: sink) })
        let engine = TaskEngine(store: store, configuration: try global.engineConfiguration(), logger: logger)
        do { try await engine.start() } catch { throw CLIError(error) }
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
}
