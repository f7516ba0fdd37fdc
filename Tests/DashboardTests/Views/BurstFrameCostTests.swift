import Foundation
import Synchronization
import TaskEngine
import Testing
@testable import Dashboard

/// The dashboard under a burst: 4 clients submit 2,000 tasks in total to a running engine while an
/// attached dashboard (the real loop on an in-memory terminal, polling the store as it does when
/// another process runs the engine) draws. By hand only (THYMIS_DASHBOARD_PERF=1, release build):
/// the figures are in docs/performance.md.
@Suite("Frame cost under a 2,000-task burst", .enabled(if: ProcessInfo.processInfo.environment["THYMIS_DASHBOARD_PERF"] == "1"))
struct BurstFrameCostTests {
    static let clients = 4
    static let tasksPerClient = 500

    @Test("an attached dashboard's frames and first open while 4 clients submit 2,000 tasks")
    func burst() async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("dash-burst-\(UUID().uuidString.prefix(8))").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        let directory = StateDirectory(path: root + "/state")
        // Cheap real tasks: ssh to a closed loopback port fails in a few ms (exit 255).
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        try "not a key\n".write(toFile: root + "/key", atomically: true, encoding: .utf8)
        try "".write(toFile: root + "/known_hosts", atomically: true, encoding: .utf8)
        let engineStore = try TaskStore(directory: directory)
        let engine = TaskEngine(store: engineStore, configuration: EngineConfiguration(poolLimits: [.nix: 2, .remote: 8, .vm: 1]))
        try await engine.start(watchRequests: false)

        let terminal = MemoryTerminal(rows: 40, columns: 120)
        let loop = DashboardLoop(terminal: terminal, store: try TaskStore(directory: directory),
                                 model: DashboardModel(size: terminal.size, readOnly: true, mode: .attached(pid: getpid())),
                                 mailbox: Mailbox(), connection: .none)
        try loop.start()

        let submitted = SubmittedCount()
        let burstStarted = ContinuousClock.now
        let clients = Task {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for client in 0..<Self.clients {
                    group.addTask {
                        for index in 0..<Self.tasksPerClient {
                            let submission = try engine.registry.validate(.object([
                                "type": .string("ssh_command_task"), "target_host": .string("127.0.0.1"),
                                "target_port": .number(1), "command": .string("echo \(client)-\(index)"),
                                "ssh_key_path": .string(root + "/key"), "ssh_known_hosts_path": .string(root + "/known_hosts"),
                                "connect_timeout": .number(1)]))
                            _ = try await engine.submit(submission)
                            submitted.count.withLock { $0 += 1 }
                            await Task.yield()
                        }
                    }
                }
                try await group.waitForAll()
            }
        }

        var cpu: [Double] = []
        var wall: [Double] = []
        var firstOpen: (wall: Duration, cpu: Double, rows: Int)?
        var quietSince: ContinuousClock.Instant?
        while true {
            // A second dashboard opened in the middle of the burst: how long until its first frame.
            if firstOpen == nil, submitted.count.withLock({ $0 }) >= Self.clients * Self.tasksPerClient / 2 {
                let started = ContinuousClock.now
                let cpuStarted = FrameStats.threadCPU()
                let second = MemoryTerminal(rows: 40, columns: 120)
                let opened = DashboardLoop(terminal: second, store: try TaskStore(directory: directory),
                                           model: DashboardModel(size: second.size, readOnly: true, mode: .attached(pid: getpid())),
                                           mailbox: Mailbox(), connection: .none)
                try opened.start()
                firstOpen = (ContinuousClock.now - started, FrameStats.threadCPU() - cpuStarted, opened.model.rows.count)
            }
            let frames = loop.framesDrawn
            let started = ContinuousClock.now
            let cpuStarted = FrameStats.threadCPU()
            loop.step(waitLimit: 0)
            if loop.framesDrawn > frames {
                cpu.append(FrameStats.threadCPU() - cpuStarted)
                wall.append(Self.milliseconds(ContinuousClock.now - started))
            }
            try await Task.sleep(for: .milliseconds(5))
            let allSubmitted = submitted.count.withLock { $0 } == Self.clients * Self.tasksPerClient
            if allSubmitted, await engine.isIdle {
                // Two more polls, so the dashboard has seen every task end.
                if quietSince == nil { quietSince = .now }
                if ContinuousClock.now - quietSince! > .milliseconds(600) { break }
            }
        }
        try await clients.value
        let elapsed = ContinuousClock.now - burstStarted
        await engine.shutdown()

        #expect(loop.model.rows.count == 400, "the list window holds the newest 400 tasks")
        #expect(loop.model.counts[.failed] == Self.clients * Self.tasksPerClient)
        let open = try #require(firstOpen)
        print("dashboard burst: \(Self.clients * Self.tasksPerClient) tasks in \(elapsed); frames \(cpu.count): "
              + "cpu \(Self.summary(cpu)); wall \(Self.summary(wall)); first open mid-burst \(open.wall) (cpu "
              + String(format: "%.1f ms", open.cpu) + ", \(open.rows) rows)")
    }

    static func milliseconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) * 1000 + Double(duration.components.attoseconds) / 1e15
    }

    static func summary(_ values: [Double]) -> String {
        let sorted = values.sorted()
        func percentile(_ p: Double) -> Double { sorted.isEmpty ? 0 : sorted[min(sorted.count - 1, Int((Double(sorted.count - 1) * p).rounded()))] }
        return String(format: "p50 %.2f ms p99 %.2f ms max %.2f ms", percentile(0.5), percentile(0.99), sorted.last ?? 0)
    }
}

/// How many tasks the clients have submitted, read by the render loop between steps.
private final class SubmittedCount: Sendable {
    let count = Mutex(0)
}
