import Foundation
import Synchronization
// The probe writer appends output the way the engine's writers do, to time how long a write waits.
@_spi(StoreWriting) import TaskEngine

/// Pruning BYTES (default 1 GiB) of output: TASKS real tasks (default 16) print it through the engine into
/// SQLite, then `prune` drops all of it (size limit 1 byte) and gives the pages back, while a probe appends a
/// 4 KiB batch every 5 ms as a busy task's writer would; prints the prune time, the files before/after, and
/// the probe's longest wait (what "never blocking output writes" means in numbers).
func runPruneBench(arguments: [String]) async {
    let bytes = arguments.first.flatMap(Int.init) ?? (1 << 30)
    let mode = arguments.dropFirst().first ?? "build"
    let tasks = max(1, arguments.dropFirst(2).first.flatMap(Int.init) ?? 16)
    let directory = StateDirectory(path: NSTemporaryDirectory() + "thymis-prune-bench-\(getpid())")
    let logFile = directory.path + ".log"
    defer {
        try? FileManager.default.removeItem(atPath: directory.path)
        try? FileManager.default.removeItem(atPath: logFile)
    }
    let perTask = bytes / tasks
    let source: String
    if mode == "random" {
        source = "base64 -w 76 /dev/urandom | head -c \(perTask)"
    } else {
        FileManager.default.createFile(atPath: logFile, contents: Data(BuildLogText.generate(bytes: perTask)))
        source = "cat \(logFile)"
    }
    do {
        let store = try TaskStore(directory: directory)
        var registry = TaskKindRegistry.standard
        registry.register(ShellBenchKind.self)
        // No background retention during the fill: the benchmark prunes by hand.
        let engine = TaskEngine(store: store, registry: registry,
                                configuration: EngineConfiguration(retention: OutputRetentionPolicy(maxSize: nil, maxAge: nil)))
        try await engine.start(watchRequests: false)
        let fillStart = ContinuousClock.now
        for _ in 0..<tasks {
            try await engine.submit(registry.validate(.object(["type": .string(ShellBenchKind.type), "script": .string(source)])))
        }
        await engine.waitUntilIdle()
        await engine.shutdown()
        let fill = ContinuousClock.now - fillStart
        let pruner = OutputPruner(store: store)
        let planStart = ContinuousClock.now
        let plan = try pruner.prune(OutputRetentionPolicy(maxSize: 1, maxAge: nil), dryRun: true)
        let planned = ContinuousClock.now - planStart

        // The probe: a busy writer's batches, timed one by one while the prune runs.
        let stop = Atomic<Bool>(false)
        let waits = Mutex<[Double]>([])
        let probe = Thread {
            let id = UUID()
            let batch = [UInt8](repeating: 65, count: 4095) + [10]
            var line: Int64 = 0
            while !stop.load(ordering: .relaxed) {
                let start = ContinuousClock.now
                try? store.appendOutput(task: id, processIndex: 0,
                                        chunks: [OutputChunk(stream: .stdout, firstLine: line, newlineCount: 1, bytes: batch, arrivedAt: Date())],
                                        counters: OutputCounters(), nixStateJSON: nil, progress: nil)
                let took = seconds(ContinuousClock.now - start)
                waits.withLock { $0.append(took) }
                line += 1
                Thread.sleep(forTimeInterval: 0.005)
            }
        }
        probe.start()
        let pruneStart = ContinuousClock.now
        let report = try pruner.prune(OutputRetentionPolicy(maxSize: 1, maxAge: nil))
        let pruned = ContinuousClock.now - pruneStart
        stop.store(true, ordering: .relaxed)
        try? await Task.sleep(for: .milliseconds(50))
        let sorted = waits.withLock { $0 }.sorted()
        func percentile(_ p: Double) -> Double { sorted.isEmpty ? 0 : sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))] }
        print("generator: \(source) (\(tasks) tasks, \(perTask) bytes each)")
        print(String(format: "fill: %.1f s; stored %.1f MB on disk for %.1f MB printed", seconds(fill),
                     Double(plan.storedBytes) / 1e6, Double(plan.printedBytes) / 1e6))
        print(String(format: "dry run (selection): %.3f s, %d tasks", seconds(planned), plan.tasks))
        print(String(format: "prune: %.2f s for %d tasks, %.1f MB on disk (%.1f MB printed); %.1f MB given back",
                     seconds(pruned), report.tasks, Double(report.storedBytes) / 1e6, Double(report.printedBytes) / 1e6,
                     Double(report.returnedBytes) / 1e6))
        print(String(format: "files: %.1f MB -> %.1f MB", Double(report.fileBytesBefore) / 1e6, Double(report.fileBytesAfter) / 1e6))
        print(String(format: "probe writes during the prune: %d, wait p50 %.1f ms, p99 %.1f ms, max %.1f ms",
                     sorted.count, percentile(0.5) * 1000, percentile(0.99) * 1000, (sorted.last ?? 0) * 1000))
    } catch {
        print("prune benchmark failed: \(error)")
    }
}

private func seconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
}
