import Foundation
import Logging
@testable import TaskEngine

/// A fresh state directory and engine per test, removed afterwards.
final class TestEnvironment: @unchecked Sendable {
    let directory: StateDirectory
    let store: TaskStore

    init() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("thymis-tests-\(UUID().uuidString.prefix(8))").path
        directory = StateDirectory(path: path)
        store = try TaskStore(directory: directory)
    }

    func makeEngine(limits: [Pool: Int] = [.nix: 2, .remote: 8, .vm: 1], grace: Duration = .milliseconds(500)) -> TaskEngine {
        let configuration = EngineConfiguration(poolLimits: limits, gracePeriod: grace,
                                                baseEnvironment: TestEnvironment.childEnvironment,
                                                requestPollInterval: .milliseconds(30))
        return TaskEngine(store: store, registry: .forTests, configuration: configuration,
                          logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
    }

    /// What children get: offline Nix settings from MACHINE.md, so tests never wait for cache.nixos.org.
    static var childEnvironment: [String: String] {
        var environment = EngineConfiguration.childEnvironment()
        environment["NIX_CONFIG"] = "experimental-features = nix-command flakes\nsandbox = false\nsubstituters ="
        return environment
    }

    func path(_ name: String) -> String { directory.path + "/" + name }

    deinit { try? FileManager.default.removeItem(atPath: directory.path) }
}

extension TaskEngine {
    /// Submits a test submission value.
    func submitValue(_ value: JSONValue) throws -> TaskRecord {
        try submit(registry.validate(value))
    }
}

extension TaskStore {
    /// Waits (polling the store, as another process would) until the task is in `state` or ended.
    func waitFor(_ id: UUID, toBe states: Set<TaskState>, timeout: Duration = .seconds(30)) async throws -> TaskRecord {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let record = try task(id), states.contains(record.state) { return record }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw TestTimeout("task \(id) did not reach \(states) within \(timeout); now \(String(describing: try task(id)?.state))")
    }

    func allText(_ id: UUID, process: Int = 0, stream: OutputStreamName) throws -> String {
        var text = ""
        var after: Int64 = 0
        while true {
            let chunks = try outputChunks(task: id, processIndex: process, stream: stream, afterID: after)
            if chunks.isEmpty { return text }
            for chunk in chunks { text += String(decoding: chunk.bytes, as: UTF8.self) }
            after = chunks.last!.id
        }
    }
}

struct TestTimeout: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Whether a process with this pid exists (and is not a zombie).
func processIsAlive(_ pid: Int32) -> Bool {
    guard kill(pid, 0) == 0 else { return false }
    return ProcessTable.processState(of: pid) != "Z"
}

/// Reads a pid a test script wrote to a file, waiting for it to appear.
func readPID(_ path: String, timeout: Duration = .seconds(10)) async throws -> Int32 {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if let text = try? String(contentsOfFile: path, encoding: .utf8),
           let first = text.split(separator: "\n").first, let pid = Int32(first) { return pid }
        try await Task.sleep(for: .milliseconds(20))
    }
    throw TestTimeout("no pid in \(path)")
}

/// Waits until `condition` holds or the timeout passes; returns whether it held.
func eventually(timeout: Duration = .seconds(10), _ condition: () -> Bool) async -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if condition() { return true }
        try? await Task.sleep(for: .milliseconds(20))
    }
    return condition()
}
