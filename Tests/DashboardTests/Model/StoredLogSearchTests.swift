import Foundation
@_spi(StoreWriting) @testable import TaskEngine
import Testing
@testable import Dashboard

/// Search over the stored chunks of a real store: whole log, wrap-around, both directions,
/// matches across a long line's chunks, cancelling.
@Suite("Searching a stored log chunk by chunk (issue 15)")
struct StoredLogSearchTests {
    /// A store with one stdout of `lines` lines, `perChunk` lines a chunk, and line `longLine`
    /// replaced by a 3000-byte line stored in two pieces with "Needle" cut across them.
    static func makeStore(lines: Int, perChunk: Int, longLine: Int? = nil) throws -> (TaskStore, UUID, String) {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("dash-search-\(UUID().uuidString.prefix(8))").path
        let store = try TaskStore(directory: StateDirectory(path: directory))
        let record = TaskRecord(id: UUID(), type: "build_project_task", submission: "{}", redactedSubmission: "{}",
                                displayName: "Build Project", target: "p", state: .completed,
                                submittedAt: Date(), startedAt: Date(), endedAt: Date(), pool: "nix")
        try store.insert([record])
        try store.insertProcess(ProcessRecord(taskID: record.id, index: 0, program: "/bin/sh", arguments: [], environment: [:], workingDirectory: nil))
        var counters = OutputCounters()
        var line = 0
        func append(_ bytes: [UInt8], first: Int, newlines: Int) throws {
            counters.stdoutLines = Int64(first + newlines)
            counters.stdoutBytes += Int64(bytes.count)
            try store.appendOutput(task: record.id, processIndex: 0,
                                   chunks: [OutputChunk(stream: .stdout, firstLine: Int64(first), newlineCount: Int64(newlines), bytes: bytes)],
                                   counters: counters, nixStateJSON: nil, progress: nil)
        }
        var bytes: [UInt8] = []
        var chunkStart = 0
        func flush() throws {
            if !bytes.isEmpty { try append(bytes, first: chunkStart, newlines: line - chunkStart) }
            bytes = []
            chunkStart = line
        }
        while line < lines {
            if line == longLine {
                try flush()
                try append(Array((String(repeating: "x", count: 1500) + "Nee").utf8), first: line, newlines: 0)
                try append(Array(("dle" + String(repeating: "y", count: 1500) + "\n").utf8), first: line, newlines: 1)
                line += 1
                chunkStart = line
                continue
            }
            bytes += Array("line \(line) of the log\n".utf8)
            line += 1
            if line - chunkStart >= perChunk { try flush() }
        }
        try flush()
        return (store, record.id, directory)
    }

    static func search(_ store: TaskStore, _ task: UUID, lines: Int) -> StoredLogSearch {
        StoredLogSearch(store: store, task: task, processIndex: 0, stream: .stdout, lineCount: lines)
    }

    @Test("finds a line anywhere, wrapping around, in both directions")
    func directions() throws {
        let (store, task, directory) = try Self.makeStore(lines: 5_000, perChunk: 100)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let search = Self.search(store, task, lines: 5_000)
        #expect(search.run("LINE 4321 of", from: 0, direction: 1).line == 4321)
        #expect(search.run("line 4321 of", from: 4322, direction: 1).line == 4321, "wraps to the top")
        #expect(search.run("line 17 of", from: 3000, direction: -1).line == 17)
        #expect(search.run("line 4999 of", from: 10, direction: -1).line == 4999, "wraps to the end")
        #expect(search.run("of the log", from: 250, direction: 1).line == 250)
        #expect(search.run("of the log", from: 250, direction: -1).line == 250)
        #expect(search.run("of the log", from: 251, direction: -1).line == 251)
        #expect(search.run("not there", from: 0, direction: 1) == .init(line: nil))
    }

    @Test("a match cut across two chunks of one long line is found")
    func acrossChunks() throws {
        let (store, task, directory) = try Self.makeStore(lines: 1_000, perChunk: 100, longLine: 450)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let search = Self.search(store, task, lines: 1_000)
        #expect(search.run("needle", from: 0, direction: 1).line == 450)
        #expect(search.run("needle", from: 999, direction: -1).line == 450)
        #expect(search.run("line 451 of", from: 0, direction: 1).line == 451)
    }

    @Test("a cancelled search stops before its next chunk")
    func cancel() throws {
        let (store, task, directory) = try Self.makeStore(lines: 2_000, perChunk: 10)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let job = SearchJob()
        job.cancel()
        let result = Self.search(store, task, lines: 2_000).run("line 1999 of", from: 0, direction: 1, isCancelled: { job.isCancelled })
        #expect(result.cancelled && result.line == nil)
    }

    @Test("the dashboard searches in the background and reports the match as an action")
    func throughTheLoop() throws {
        let (store, task, directory) = try Self.makeStore(lines: 3_000, perChunk: 100)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let terminal = MemoryTerminal(rows: 30, columns: 100)
        let loop = DashboardLoop(terminal: terminal, store: store, model: DashboardModel(size: terminal.size), mailbox: Mailbox(), connection: .none)
        try loop.start()
        loop.handle(.character("4"))
        loop.render()
        loop.handle(.key(.tab))
        loop.handle(.character("/"))
        for c in "line 1234 of" { loop.handle(.character(c)) }
        loop.handle(.key(.enter))
        let deadline = Date().addingTimeInterval(30)
        while !terminal.lines.contains(where: { $0.contains("at line 1235") }) && Date() < deadline {
            loop.step(waitLimit: 20)
            loop.render()
        }
        #expect(terminal.lines.contains { $0.contains("\"line 1234 of\" at line 1235") })
        #expect(terminal.lines.contains { $0.contains("line 1234 of the log") })
        _ = task
    }
}

/// Search in a 1,000,000-line log, by hand (THYMIS_DASHBOARD_PERF=1, release build): figures in docs/performance.md.
@Suite("Search cost in a 1,000,000-line log", .enabled(if: ProcessInfo.processInfo.environment["THYMIS_DASHBOARD_PERF"] == "1"))
struct StoredLogSearchCostTests {
    @Test("any line of a 1,000,000-line log is found in under a second")
    func millionLines() throws {
        let (store, task, directory) = try StoredLogSearchTests.makeStore(lines: 1_000_000, perChunk: 1_000)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let search = StoredLogSearchTests.search(store, task, lines: 1_000_000)
        for (text, from, direction) in [("line 999999 of", 0, 1), ("line 500000 of", 0, 1), ("line 1 of", 999_999, -1), ("not there", 0, 1)] {
            let started = ContinuousClock.now
            let result = search.run(text, from: from, direction: direction)
            let took = ContinuousClock.now - started
            print("search perf: \"\(text)\" from \(from) direction \(direction): line \(result.line.map(String.init) ?? "none") in \(took)")
            #expect(took < .seconds(1))
        }
    }
}
