import Foundation
import TaskEngine

/// Write amplification: TASKS tasks each print LINES_PER_SECOND 30-byte lines a second for SECONDS;
/// measures what the engine (this process) wrote to disk meanwhile (`/proc/self/io` write_bytes)
/// against the output it stored, and the budget of issue 15 (4x the output + 4 KB/s per running task).
func runWriteBench(arguments: [String]) async {
    let seconds = arguments.first.flatMap(Int.init) ?? 30
    let linesPerSecond = arguments.dropFirst().first.flatMap(Double.init) ?? 1
    let taskCount = arguments.dropFirst(2).first.flatMap(Int.init) ?? 1
    let lines = Int(Double(seconds) * linesPerSecond)
    let pause = String(format: "%.3f", 1 / linesPerSecond)
    // 30 bytes a line: "slow task line 000001 padding\n".
    let script = "i=0; while [ $i -lt \(lines) ]; do printf 'slow task line %06d padding\\n' $i; i=$((i+1)); sleep \(pause); done"
    let directory = StateDirectory(path: NSTemporaryDirectory() + "thymis-write-bench-\(getpid())")
    // THYMIS_BENCH_KEEP_STATE=1 keeps the state directory (its WAL says which pages each batch wrote).
    let keep = ProcessInfo.processInfo.environment["THYMIS_BENCH_KEEP_STATE"] != nil
    defer { if keep { print("state kept in \(directory.path)") } else { try? FileManager.default.removeItem(atPath: directory.path) } }
    do {
        let store = try TaskStore(directory: directory)
        var registry = TaskKindRegistry.standard
        registry.register(ShellBenchKind.self)
        let engine = TaskEngine(store: store, registry: registry)
        try await engine.start(watchRequests: false)
        try await Task.sleep(for: .seconds(1))
        let before = writeBytes()
        let start = ContinuousClock.now
        var ids: [UUID] = []
        for _ in 0..<taskCount {
            let submission = try registry.validate(.object(["type": .string(ShellBenchKind.type), "script": .string(script)]))
            ids.append(try await engine.submit(submission).id)
        }
        await engine.waitUntilIdle()
        let elapsed = ContinuousClock.now - start
        let written = writeBytes() - before
        var output: Int64 = 0
        for id in ids { output += try store.processes(of: id).reduce(0) { $0 + $1.stdoutBytes + $1.stderrBytes } }
        await engine.shutdown()
        let wall = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        let budget = 4 * Double(output) + 4096 * wall * Double(taskCount)
        print("\(taskCount) task(s), \(lines) lines each at \(linesPerSecond)/s, \(String(format: "%.1f", wall)) s")
        print("output stored: \(output) bytes (\(String(format: "%.0f", Double(output) / wall)) B/s)")
        print(String(format: "written to disk by the engine: %lld bytes = %.0f B/s = %.1fx the output", written,
                     Double(written) / wall, Double(written) / Double(max(output, 1))))
        print(String(format: "budget (4x output + 4 KB/s per task): %.0f bytes = %.0f B/s -> %@", budget, budget / wall,
                     Double(written) <= budget ? "within" : "OVER"))
    } catch {
        print("write benchmark failed: \(error)")
    }
}

/// Bytes this process caused to be written to the storage layer (Linux task I/O accounting).
private func writeBytes() -> Int64 {
    guard let text = try? String(contentsOfFile: "/proc/self/io", encoding: .utf8) else { return 0 }
    for line in text.split(separator: "\n") where line.hasPrefix("write_bytes:") {
        return Int64(line.split(separator: " ").last ?? "0") ?? 0
    }
    return 0
}
