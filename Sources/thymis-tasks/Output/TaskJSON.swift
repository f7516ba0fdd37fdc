import Foundation
import NixLog
import TaskEngine

/// The JSON form of tasks for scripts: snake_case as in Thymis, secrets redacted, times in ISO 8601.
enum TaskJSON {
    static func render(_ record: TaskRecord, store: TaskStore, detailed: Bool) throws -> String {
        try JSONValue.object(object(record, store: store, detailed: detailed)).canonicalText(pretty: true)
    }

    static func renderList(_ records: [TaskRecord], store: TaskStore) throws -> String {
        try JSONValue.array(records.map { .object(try object($0, store: store, detailed: false)) }).canonicalText(pretty: true)
    }

    static func object(_ record: TaskRecord, store: TaskStore, detailed: Bool) throws -> [String: JSONValue] {
        var fields: [String: JSONValue] = [
            "id": .string(record.id.uuidString.lowercased()),
            "type": .string(record.type),
            "display_name": .string(record.displayName),
            "target": record.target.map(JSONValue.string) ?? .null,
            // What `list` shows: a cancelled task is "cancelled", not "failed" (issue 30: scripts reading
            // `.state` counted cancels as failures). `display_state` and `cancelled` stay for older scripts.
            "state": .string(record.displayState.rawValue),
            "display_state": .string(record.displayState.rawValue),
            "cancelled": .bool(record.cancelled),
            "failure_reason": record.failureReason.map(JSONValue.string) ?? .null,
            "submitted_at": .string(iso(record.submittedAt)),
            "started_at": record.startedAt.map { .string(iso($0)) } ?? .null,
            "ended_at": record.endedAt.map { .string(iso($0)) } ?? .null,
            "duration_seconds": record.duration().map { .number(($0 * 1000).rounded() / 1000) } ?? .null,
            "parent_id": record.parentID.map { .string($0.uuidString.lowercased()) } ?? .null,
            "retry_of": record.retryOf.map { .string($0.uuidString.lowercased()) } ?? .null,
            "pool": record.pool.map(JSONValue.string) ?? .null,
            "progress": record.progress.map(JSONValue.string) ?? .null,
            // What the plan recorded, as its kind wrote it (Deploy to Device: previous, running_before, new).
            "result": record.result.flatMap { try? JSONValue.parse(Data($0.utf8)) } ?? .null,
            "submission": (try? JSONValue.parse(Data(record.redactedSubmission.utf8))) ?? .null,
            "output_pruned_at": record.outputPruned.map { .string(iso($0.at)) } ?? .null,
            "output_pruned_bytes": record.outputPruned.map { .number(Double($0.bytes)) } ?? .null,
            "run_now_by": record.runNowBy.map(JSONValue.string) ?? .null,
        ]
        fields["children"] = .array(try store.children(of: record.id).map { .string($0.id.uuidString.lowercased()) })
        let estimate = store.estimate(for: record)
        fields["estimated_seconds"] = estimate.map { .number(($0.expected * 10).rounded() / 10) } ?? .null
        fields["remaining_seconds"] = estimate.map { .number(($0.remaining * 10).rounded() / 10) } ?? .null
        if detailed {
            fields["cause"] = try causeJSON(store.failureCause(of: record))
            fields["processes"] = .array(try store.processes(of: record.id).map { .object(process($0)) })
        }
        return fields
    }

    static func process(_ process: ProcessRecord) -> [String: JSONValue] {
        var fields: [String: JSONValue] = [
            "index": .number(Double(process.index)),
            "program": .string(process.program),
            "args": .array(process.arguments.map(JSONValue.string)),
            "env": .object(process.environment.mapValues(JSONValue.string)),
            "cwd": process.workingDirectory.map(JSONValue.string) ?? .null,
            "pid": process.pid.map { .number(Double($0)) } ?? .null,
            "exit_code": process.exitCode.map { .number(Double($0)) } ?? .null,
            "signal": process.signal.map { .number(Double($0)) } ?? .null,
            "spawn_error": process.spawnError.map(JSONValue.string) ?? .null,
            "status": .string(process.statusDescription),
            "started_at": process.startedAt.map { .string(iso($0)) } ?? .null,
            "ended_at": process.endedAt.map { .string(iso($0)) } ?? .null,
            "stdout_bytes": .number(Double(process.stdoutBytes)),
            "stderr_bytes": .number(Double(process.stderrBytes)),
            "stdout_lines": .number(Double(process.stdoutLines)),
            "stderr_lines": .number(Double(process.stderrLines)),
        ]
        if let state = NixStateSnapshot.decode(process.nixStateJSON),
           let data = try? JSONEncoder().encode(NixLogReport(state: state)),
           let report = try? JSONValue.parse(data) {
            fields["nix"] = report
        } else {
            fields["nix"] = .null
        }
        return fields
    }

    /// The failure cause with snake_case keys, or null.
    static func causeJSON(_ cause: FailureCause?) -> JSONValue {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        guard let cause, let data = try? encoder.encode(cause), let value = try? JSONValue.parse(data) else { return .null }
        return value
    }

    static func iso(_ date: Date) -> String {
        ISO8601DateFormatter.string(from: date, timeZone: .gmt, formatOptions: [.withInternetDateTime, .withFractionalSeconds])
    }
}
