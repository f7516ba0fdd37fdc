import Foundation
// The benchmark measures the store's appends alone, so it opts in to the store write kept for benchmarks and tests.
@_spi(StoreWriting) import TaskEngine

/// Where capture time goes: SQLite appends of 1 MiB chunks alone, without a child process.
func runStoreBench(arguments: [String]) {
    let chunkCount = arguments.first.flatMap(Int.init) ?? 1024
    let directory = StateDirectory(path: NSTemporaryDirectory() + "thymis-store-bench-\(getpid())")
    defer { try? FileManager.default.removeItem(atPath: directory.path) }
    do {
        let store = try TaskStore(directory: directory)
        let line = Array("thymis-tasks capture benchmark line: 0123456789abcdefghijklmn\n".utf8)
        var chunk: [UInt8] = []
        while chunk.count + line.count <= 1 << 20 { chunk += line }
        let id = UUID()
        let start = ContinuousClock.now
        var counters = OutputCounters()
        for index in 0..<chunkCount {
            counters.stdoutBytes += Int64(chunk.count)
            try store.appendOutput(task: id, processIndex: 0,
                                   chunks: [OutputChunk(stream: .stdout, firstLine: Int64(index), newlineCount: 1, bytes: chunk)],
                                   counters: counters, nixStateJSON: nil, progress: nil)
        }
        let elapsed = ContinuousClock.now - start
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        let mib = Double(chunkCount * chunk.count) / 1_048_576
        print(String(format: "SQLite appends: %.0f MiB in %.2f s = %.0f MiB/s", mib, seconds, mib / seconds))
    } catch {
        print("store benchmark failed: \(error)")
    }
}
