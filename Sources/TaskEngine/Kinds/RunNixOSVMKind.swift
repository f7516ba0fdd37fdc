import Foundation

/// Run NixOS VM for Device: builds the configuration's `vm` attribute and runs its `bin/run-*-vm`
/// in the `vm` pool. The task runs as long as the VM does; cancel (or engine shutdown) stops it.
public struct RunNixOSVMKind: TaskKind {
    public static let type = "run_nixos_vm_task"
    public static let typeName = "Run NixOS VM for Device"
    public static var secretFields: Set<String> { ProjectContext.secretFields }

    let configuration: String
    let commit: String?
    let context: ProjectContext

    public init(fields: SubmissionFields) throws(SubmissionError) {
        try fields.requireOnly(["project_path", "configuration_id", "commit"] + ProjectContext.fields)
        context = try ProjectContext(fields, projectPath: ProjectPath.validate(fields))
        configuration = try fields.string("configuration_id", maxBytes: 255)
        commit = try GitRevision.optional(fields)
    }

    public var displayName: String { "Run VM for \(configuration)" }
    public var target: String? { configuration }
    public var pool: Pool? { .vm }

    public func run(_ run: TaskRun) async throws {
        run.setProgress("building the VM")
        let output = try await context.buildOne(
            context.installable(configuration: configuration, attribute: "config.system.build.vm", commit: commit), in: run)
        let bin = output + "/bin"
        guard let script = (try? FileManager.default.contentsOfDirectory(atPath: bin))?
            .filter({ $0.hasPrefix("run-") && $0.hasSuffix("-vm") }).sorted().first else {
            throw TaskFailure("build produced \(output), which has no bin/run-*-vm")
        }
        // The VM keeps its disk image in its working directory: a scratch one, removed afterwards.
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("thymis-vm-\(UUID().uuidString.prefix(8))").path
        try? FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        run.setProgress("running \(script)")
        let outcome = try await run.run(ProcessSpec(program: bin + "/" + script, arguments: [], environment: run.baseEnvironment,
                                                    workingDirectory: scratch, stepName: "run vm"))
        guard outcome.succeeded else { throw TaskFailure("run vm failed: \(script) \(outcome.endDescription)") }
        run.setProgress("the VM stopped")
    }
}
