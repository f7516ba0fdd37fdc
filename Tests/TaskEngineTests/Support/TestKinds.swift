import Foundation
@testable import TaskEngine

/// A task that runs one /bin/sh script: lets engine tests use real processes that print, fail,
/// ignore SIGTERM or fork grandchildren.
struct ScriptKind: TaskKind {
    static let type = "test_script_task"
    static let typeName = "Script"
    static let secretFields: Set<String> = ["token"]
    let script: String
    let name: String?
    let poolName: String

    init(fields: SubmissionFields) throws(SubmissionError) {
        try fields.requireOnly(["script", "name", "pool", "token"])
        script = try fields.string("script")
        name = try fields.optionalString("name")
        poolName = try fields.optionalString("pool") ?? "nix"
        _ = try fields.optionalString("token")
    }

    var displayName: String { name.map { "Script \($0)" } ?? "Script" }
    var target: String? { name }
    var pool: Pool? { Pool(poolName) }

    func run(_ run: TaskRun) async throws {
        try await run.runRequiringSuccess(ProcessSpec(program: "/bin/sh", arguments: ["-c", script],
                                                      environment: run.baseEnvironment, stepName: "script"))
    }

    static func submission(_ script: String, name: String? = nil, pool: String = "nix") -> JSONValue {
        var fields: [String: JSONValue] = ["type": .string(type), "script": .string(script), "pool": .string(pool)]
        if let name { fields["name"] = .string(name) }
        return .object(fields)
    }
}

/// A task whose one process ends at once, after which the plan still takes a second of its own
/// (no process): a cancel in that second comes after the work was done.
struct LateEndKind: TaskKind {
    static let type = "test_late_end_task"
    static let typeName = "Late end"
    static let secretFields: Set<String> = []
    init(fields: SubmissionFields) throws(SubmissionError) { try fields.requireOnly([]) }
    var displayName: String { Self.typeName }
    var target: String? { nil }
    var pool: Pool? { Pool("nix") }

    func run(_ run: TaskRun) async throws {
        try await run.runRequiringSuccess(ProcessSpec(program: "/bin/sh", arguments: ["-c", "echo done"],
                                                      environment: run.baseEnvironment, stepName: "script"))
        try await Task.sleep(for: .seconds(1))
    }
}

/// A parent that runs one ScriptKind child per script and fails naming the children that failed.
struct ParentKind: TaskKind {
    static let type = "test_parent_task"
    static let typeName = "Parent"
    let scripts: [String]

    init(fields: SubmissionFields) throws(SubmissionError) {
        scripts = try fields.stringArray("scripts")
    }

    var target: String? { nil }
    var pool: Pool? { nil }

    func run(_ run: TaskRun) async throws {
        var registry = TaskKindRegistry()
        registry.register(ScriptKind.self)
        let children = try scripts.enumerated().map { index, script in
            try registry.validate(ScriptKind.submission(script, name: "child-\(index)", pool: "remote"))
        }
        try await run.runChildrenRequiringSuccess(children)
    }
}

extension TaskKindRegistry {
    /// The standard kinds plus the test kinds.
    static var forTests: TaskKindRegistry {
        var registry = TaskKindRegistry.standard
        registry.register(ScriptKind.self)
        registry.register(ParentKind.self)
        registry.register(LateEndKind.self)
        return registry
    }
}
