import Foundation
import TaskEngine

/// Output capture: a child writes BYTES (default 1 GiB) to stdout, captured by the engine into SQLite;
/// beside it, the same generator piped through `cat` into /dev/null. Prints the speed of both and the
/// state directory's SQLite files on disk per raw byte.
func runCaptureBench(arguments: [String]) async {
    let bytes = arguments.first.flatMap(Int.init) ?? (1 << 30)
    // "text": one repeated line (compresses very well); "random": base64 of random bytes (hardly
    // compresses); "build": a compiler-style build log (BuildLogText), written to a file first and `cat`.
    let mode = arguments.dropFirst().first ?? "text"
    let logFile = NSTemporaryDirectory() + "thymis-capture-bench-\(getpid()).log"
    defer { try? FileManager.default.removeItem(atPath: logFile) }
    let source: String
    switch mode {
    case "random": source = "base64 -w 76 /dev/urandom"
    case "build":
        FileManager.default.createFile(atPath: logFile, contents: Data(BuildLogText.generate(bytes: bytes)))
        source = "cat \(logFile)"
    default: source = "yes 'thymis-tasks capture benchmark line: 0123456789abcdefghijklmn'"
    }
    let generator = "\(source) | head -c \(bytes)"
    print("generator: \(generator)")

    let baselineStart = ContinuousClock.now
    runShell("\(generator) | cat > /dev/null")
    let baseline = ContinuousClock.now - baselineStart

    let directory = StateDirectory(path: NSTemporaryDirectory() + "thymis-capture-bench-\(getpid())")
    defer { try? FileManager.default.removeItem(atPath: directory.path) }
    do {
        let store = try TaskStore(directory: directory)
        var registry = TaskKindRegistry.standard
        registry.register(ShellBenchKind.self)
        let engine = TaskEngine(store: store, registry: registry)
        try await engine.start(watchRequests: false)
        let submission = try registry.validate(.object(["type": .string(ShellBenchKind.type), "script": .string(generator)]))
        let start = ContinuousClock.now
        let record = try await engine.submit(submission)
        await engine.waitUntilIdle()
        let captured = ContinuousClock.now - start
        let final = try store.task(record.id)
        let process = try store.processes(of: record.id).first
        await engine.shutdown()
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        let mib = Double(bytes) / 1_048_576
        let databaseSize = (try? FileManager.default.attributesOfItem(atPath: directory.databasePath)[.size] as? Int) ?? 0
        let diskBytes = ["", "-wal", "-shm"].reduce(0) { total, suffix in
            total + ((try? FileManager.default.attributesOfItem(atPath: directory.databasePath + suffix)[.size] as? Int) ?? 0)
        }
        print("bytes: \(bytes) (\(String(format: "%.0f", mib)) MiB), task \(final?.state.rawValue ?? "?"), stored stdout bytes \(process?.stdoutBytes ?? 0), lines \(process?.stdoutLines ?? 0)")
        print(String(format: "cat > /dev/null:   %.2f s  %.0f MiB/s", seconds(baseline), mib / seconds(baseline)))
        print(String(format: "engine -> SQLite:  %.2f s  %.0f MiB/s  (%.0f%% of cat)", seconds(captured), mib / seconds(captured),
                     100 * seconds(baseline) / seconds(captured)))
        print("peak RSS of the engine process: \(usage.ru_maxrss / 1024) MiB; database file \(databaseSize / 1_048_576) MiB")
        print(String(format: "SQLite files on disk (db + wal + shm): %d bytes = %.3fx the raw output", diskBytes, Double(diskBytes) / Double(bytes)))
    } catch {
        print("capture benchmark failed: \(error)")
    }
}

private func seconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
}

private func runShell(_ script: String) {
    var pid: pid_t = 0
    let words: [String] = ["/bin/sh", "-c", script]
    let argv: [UnsafeMutablePointer<CChar>?] = words.map { word in strdup(word) } + [nil]
    defer { for pointer in argv { free(pointer) } }
    guard posix_spawn(&pid, "/bin/sh", nil, nil, argv, environ) == 0 else { return }
    var status: Int32 = 0
    waitpid(pid, &status, 0)
}

/// A task that runs one shell script: only for this benchmark.
struct ShellBenchKind: TaskKind {
    static let type = "bench_shell_task"
    static let typeName = "Benchmark"
    let script: String
    init(fields: SubmissionFields) throws(SubmissionError) { script = try fields.string("script") }
    var target: String? { nil }
    var pool: Pool? { .nix }
    func run(_ run: TaskRun) async throws {
        try await run.runRequiringSuccess(ProcessSpec(program: "/bin/sh", arguments: ["-c", script], environment: run.baseEnvironment))
    }
}
