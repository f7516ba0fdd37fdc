import Foundation
@_spi(StoreWriting) @testable import TaskEngine
import Testing
@testable import Dashboard

/// Frame cost with a big store: 100,000 tasks and a 1,000,000-line stdout. Slow to set up, so
/// it runs only with THYMIS_DASHBOARD_PERF=1 (figures in docs/performance.md come from a release build).
@Suite("Frame cost with a big store", .enabled(if: ProcessInfo.processInfo.environment["THYMIS_DASHBOARD_PERF"] == "1"))
struct FrameCostTests {
    @Test("start and frames stay cheap with 100,000 tasks and a 1,000,000-line log")
    func bigStore() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("dash-perf-\(UUID().uuidString.prefix(8))").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = try TaskStore(directory: StateDirectory(path: directory))
        let base = Date()
        var records: [TaskRecord] = []
        for index in 0..<100_000 {
            records.append(TaskRecord(id: UUID(), type: "build_project_task", submission: "{}", redactedSubmission: "{}",
                                      displayName: "Build Project", target: "p\(index)", state: .completed,
                                      submittedAt: base.addingTimeInterval(Double(index)), startedAt: base, endedAt: base, pool: "nix"))
        }
        try store.insert(records)
        let big = records[99_999].id
        try store.insertProcess(ProcessRecord(taskID: big, index: 0, program: "/bin/sh", arguments: [], environment: [:], workingDirectory: nil))
        var counters = OutputCounters()
        var line: Int64 = 0
        for _ in 0..<1_000 {
            var bytes: [UInt8] = []
            for _ in 0..<1_000 { bytes += Array("line \(line) of the big log with some text to make it longer\n".utf8); line += 1 }
            counters.stdoutLines = line
            counters.stdoutBytes += Int64(bytes.count)
            try store.appendOutput(task: big, processIndex: 0, chunks: [OutputChunk(stream: .stdout, firstLine: line - 1_000, newlineCount: 1_000, bytes: bytes)],
                                   counters: counters, nixStateJSON: nil, progress: nil)
        }
        let terminal = MemoryTerminal(rows: 40, columns: 120)
        let started = ContinuousClock.now
        let loop = DashboardLoop(terminal: terminal, store: store, model: DashboardModel(size: terminal.size), mailbox: Mailbox(),
                                 connection: .none)
        try loop.start()
        let firstFrame = ContinuousClock.now - started
        loop.handle(.character("4"))
        loop.render()
        #expect(terminal.lines.contains { $0.contains("line 999999 of the big log") })
        var durations: [Duration] = []
        for index in 0..<50 {
            loop.handle(.character(index % 2 == 0 ? "k" : "j"))
            loop.handle(.key(.tab))
            loop.handle(.key(.tab))
            let frameStart = ContinuousClock.now
            loop.render()
            durations.append(ContinuousClock.now - frameStart)
        }
        loop.handle(.key(.tab))
        loop.handle(.character("g"))
        let topStart = ContinuousClock.now
        loop.render()
        let topFrame = ContinuousClock.now - topStart
        durations.sort()
        print("dashboard perf: first frame \(firstFrame), frame p50 \(durations[25]) max \(durations.last!), frame at line 0 \(topFrame)")
    }
}
