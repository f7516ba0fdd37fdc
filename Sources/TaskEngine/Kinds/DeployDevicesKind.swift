import Foundation

/// Deploy Devices: a parent that takes no slot; it fixes the revision once (refusing a dirty
/// repository) and runs one Deploy to Device child per device in the `remote` pool. One failing
/// device fails only its child; the parent then fails naming it.
public struct DeployDevicesKind: TaskKind {
    public static let type = "deploy_devices_task"
    public static let typeName = "Deploy Devices"
    public static var secretFields: Set<String> { ProjectContext.secretFields }

    let devices: [DeviceAddress]
    let fields: SubmissionFields
    let commit: String?
    let context: ProjectContext

    public init(fields: SubmissionFields) throws(SubmissionError) {
        try fields.requireOnly(["devices", "ssh_key_path", "known_hosts_path", "project_path", "commit", "connect_timeout"]
                               + ProjectContext.fields + SwitchPolicy.Overrides.fields)
        devices = try fields.objectArray("devices", maxItems: 1000) { (device: SubmissionFields) throws(SubmissionError) in
            try DeviceAddress(device)
        }
        guard !devices.isEmpty else { throw .invalidValue(type: fields.context, field: "devices", reason: "is empty; give at least one device") }
        var seen: Set<String> = []
        for (index, device) in devices.enumerated() where !seen.insert(device.identifier).inserted {
            throw .invalidValue(type: fields.context, field: "devices[\(index)].identifier",
                                reason: "is \"\(device.identifier)\", which an earlier device already uses")
        }
        commit = try GitRevision.optional(fields)
        context = try ProjectContext(fields, projectPath: ProjectPath.validate(fields))
        self.fields = fields
        // Check every child now, so a bad device refuses the whole deploy before anything runs.
        for index in devices.indices { _ = try childSubmission(index, commit: commit ?? String(repeating: "0", count: 40)) }
    }

    public var target: String? { devices.count == 1 ? devices[0].identifier : "\(devices.count) devices" }
    public var pool: Pool? { nil }

    public func run(_ run: TaskRun) async throws {
        let revision: String
        if let commit { revision = commit } else { revision = try await GitRevision.committedHead(of: context.projectPath, in: run) }
        run.setProgress("deploying \(revision.prefix(12)) to \(devices.count) device\(devices.count == 1 ? "" : "s")")
        let children = try devices.indices.map { index in
            do { return try childSubmission(index, commit: revision) } catch { throw TaskFailure("\(error)") }
        }
        try await run.runChildrenRequiringSuccess(children)
        run.setProgress("deployed \(revision.prefix(12)) to \(devices.count) device\(devices.count == 1 ? "" : "s")")
    }

    /// The deploy_device_task of one device: the shared fields of this submission plus its device.
    private func childSubmission(_ index: Int, commit: String) throws(SubmissionError) -> ValidatedSubmission {
        var child = fields.object
        child["type"] = .string(DeployDeviceKind.type)
        child["devices"] = nil
        child["device"] = devices[index].json
        child["commit"] = .string(commit)
        child["project_path"] = .string(context.projectPath)
        return try TaskKindRegistry([DeployDeviceKind.self]).validate(.object(child))
    }
}
