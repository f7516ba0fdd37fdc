import Foundation
import GRDB

/// Process rows: what a task ran, with pid and start ticks so a later engine can find what a dead one left running.
extension TaskStore {
    func insertProcess(_ process: ProcessRecord) throws {
        let arguments = JSONValue.array(process.arguments.map(JSONValue.string)).canonicalText()
        let environment = JSONValue.object(process.environment.mapValues(JSONValue.string)).canonicalText()
        try write { db in
            try db.execute(sql: """
                INSERT INTO process (task_id, idx, program, arguments, environment, working_directory)
                VALUES (?, ?, ?, ?, ?, ?)
                """, arguments: [process.taskID.uuidString, process.index, process.program, arguments, environment,
                                 process.workingDirectory])
        }
    }

    func markProcessStarted(task: UUID, index: Int, pid: Int32, startTicks: UInt64?, at date: Date) throws {
        try write { db in
            try db.execute(sql: "UPDATE process SET pid = ?, pid_start_ticks = ?, started_at = ? WHERE task_id = ? AND idx = ?",
                           arguments: [pid, startTicks.map { Int64(bitPattern: $0) }, date.timeIntervalSince1970,
                                       task.uuidString, index])
        }
    }

    func markProcessEnded(task: UUID, index: Int, exitCode: Int32?, signal: Int32?, spawnError: String?, at date: Date) throws {
        try write { db in
            try db.execute(sql: """
                UPDATE process SET exit_code = ?, signal = ?, spawn_error = ?, ended_at = ? WHERE task_id = ? AND idx = ?
                """, arguments: [exitCode, signal, spawnError, date.timeIntervalSince1970, task.uuidString, index])
        }
    }

    public func processes(of task: UUID) throws -> [ProcessRecord] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM process WHERE task_id = ? ORDER BY idx", arguments: [task.uuidString])
                .map(Self.processRecord)
        }
    }

    /// Processes whose end was never recorded: left by an engine that died.
    public func unfinishedProcesses() throws -> [ProcessRecord] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM process WHERE ended_at IS NULL").map(Self.processRecord)
        }
    }

    static func processRecord(_ row: Row) -> ProcessRecord {
        func date(_ column: String) -> Date? { (row[column] as Double?).map(Date.init(timeIntervalSince1970:)) }
        let argumentsText: String = row["arguments"]
        let environmentText: String = row["environment"]
        var arguments: [String] = []
        if case .array(let items)? = try? JSONValue.parse(Data(argumentsText.utf8)) {
            arguments = items.compactMap { if case .string(let s) = $0 { return s } else { return nil } }
        }
        var environment: [String: String] = [:]
        if case .object(let fields)? = try? JSONValue.parse(Data(environmentText.utf8)) {
            for (key, value) in fields { if case .string(let s) = value { environment[key] = s } }
        }
        var record = ProcessRecord(taskID: UUID(uuidString: row["task_id"]) ?? UUID(), index: row["idx"],
                                   program: row["program"], arguments: arguments, environment: environment,
                                   workingDirectory: row["working_directory"])
        record.pid = row["pid"]
        record.pidStartTicks = (row["pid_start_ticks"] as Int64?).map { UInt64(bitPattern: $0) }
        record.startedAt = date("started_at")
        record.endedAt = date("ended_at")
        record.exitCode = row["exit_code"]
        record.signal = row["signal"]
        record.spawnError = row["spawn_error"]
        record.stdoutBytes = row["stdout_bytes"]
        record.stderrBytes = row["stderr_bytes"]
        record.stdoutLines = row["stdout_lines"]
        record.stderrLines = row["stderr_lines"]
        record.nixStateJSON = row["nix_state"]
        return record
    }
}

/// Descendants of a process that live outside its process group (e.g. nix builders in sessions of their own).
extension TaskStore {
    func recordDescendants(task: UUID, processIndex: Int, _ processes: [(pid: Int32, startTicks: UInt64)]) throws {
        guard !processes.isEmpty else { return }
        try write { db in
            for process in processes {
                try db.execute(sql: "INSERT OR IGNORE INTO descendant (task_id, process_idx, pid, start_ticks) VALUES (?, ?, ?, ?)",
                               arguments: [task.uuidString, processIndex, process.pid, Int64(bitPattern: process.startTicks)])
            }
        }
    }

    public func descendants(task: UUID, processIndex: Int) throws -> [(pid: Int32, startTicks: UInt64)] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT pid, start_ticks FROM descendant WHERE task_id = ? AND process_idx = ?",
                             arguments: [task.uuidString, processIndex])
                .map { (pid: $0["pid"], startTicks: UInt64(bitPattern: $0["start_ticks"])) }
        }
    }
}
