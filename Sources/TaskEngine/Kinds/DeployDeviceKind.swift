import Foundation

/// Deploy to Device: builds the configuration's toplevel at the committed revision, copies its
/// closure into the device's own store (`ClosureCopy`), then sets the system profile and switches
/// to it in a way that survives a configuration that cuts the device off (`SafeSwitch`): the
/// device rolls itself back unless a new connection confirms it. The device's previous and new
/// system and how the switch ended are the task's result.
public struct DeployDeviceKind: TaskKind {
    public static let type = "deploy_device_task"
    public static let typeName = "Deploy to Device"
    public static var secretFields: Set<String> { ProjectContext.secretFields }

    let device: DeviceAddress
    let keyPath: String
    let knownHostsPath: String?
    let commit: String?
    let connectTimeout: Int
    let context: ProjectContext
    let switchPolicy: SwitchPolicy

    public init(fields: SubmissionFields) throws(SubmissionError) {
        try fields.requireOnly(["device", "ssh_key_path", "known_hosts_path", "project_path", "commit", "connect_timeout"]
                               + ProjectContext.fields + SwitchPolicy.Overrides.fields)
        guard case .object(let object)? = fields.object["device"] else {
            if let raw = fields.object["device"], raw != .null {
                throw .wrongType(type: fields.context, field: "device", expected: "an object", got: raw.kindDescription)
            }
            throw .missingField(type: fields.context, field: "device")
        }
        device = try DeviceAddress(SubmissionFields(context: "\(fields.context): device", object: object))
        keyPath = try SSHOptions.readableFile(fields, "ssh_key_path")
        knownHostsPath = fields.object["known_hosts_path"] == nil || fields.object["known_hosts_path"] == .null
            ? nil : try SSHOptions.readableFile(fields, "known_hosts_path")
        if knownHostsPath == nil && device.hostKey == nil {
            throw .missingField(type: fields.context, field: "known_hosts_path (or device.host_key)")
        }
        commit = try GitRevision.optional(fields)
        connectTimeout = try fields.optionalInt("connect_timeout", range: 1...600) ?? 10
        context = try ProjectContext(fields, projectPath: ProjectPath.validate(fields))
        let file = context.projectFile
        switchPolicy = SwitchPolicy.resolve([try SwitchPolicy.Overrides.read(fields), file?.device(device.identifier)?.switchOverrides,
                                             file?.deploy])
    }

    public var displayName: String { "Deploy to \(device.identifier)" }
    public var target: String? { device.identifier }
    public var pool: Pool? { .remote }

    /// The profile the switch sets: the device's, the project file's, or NixOS' own.
    var systemProfile: String {
        device.systemProfile ?? context.projectFile?.device(device.identifier)?.systemProfile
            ?? context.projectFile?.systemProfile ?? ProjectFile.defaultSystemProfile
    }

    public func run(_ run: TaskRun) async throws {
        let revision: String
        if let commit { revision = commit } else { revision = try await GitRevision.committedHead(of: context.projectPath, in: run) }
        run.setProgress("building \(device.configuration) at \(revision.prefix(12))")
        let toplevel = try await context.buildOne(
            context.installable(configuration: device.configuration, attribute: "config.system.build.toplevel", commit: revision),
            in: run, stepName: "build")

        let knownHosts = try KnownHostsFile(host: device.host, port: device.port, hostKey: device.hostKey, existingPath: knownHostsPath)
        let sshOpts = try SSHOptions.nixSSHOpts(port: device.port, keyPath: keyPath, knownHostsPath: knownHosts.path,
                                                connectTimeout: connectTimeout)
        try await ClosureCopy(context: context, device: device, sshOptions: sshOpts).run(toplevel, in: run)

        let sshSpec = { @Sendable (step: String, command: String) -> ProcessSpec in
            self.sshSpec(step, command, knownHostsPath: knownHosts.path, in: run)
        }
        let safeSwitch = SafeSwitch(policy: switchPolicy, profile: systemProfile, login: device.login, ssh: sshSpec)
        // Not recording it must not stop the deploy between setting the profile and switching to it.
        let (result, outcome) = try await safeSwitch.run(toplevel, in: run) { try? run.record(result: $0) }
        if let reason = outcome.failureReason(previous: result.previous) { throw TaskFailure(reason) }
        run.setProgress(outcome.ending == .confirmed ? "switched to \(toplevel), confirmed" : "switched to \(toplevel)")
    }

    private func sshSpec(_ step: String, _ command: String, knownHostsPath: String, in run: TaskRun) -> ProcessSpec {
        var spec = ProcessSpec(
            program: "ssh",
            arguments: SSHOptions.arguments(port: device.port, user: device.username, keyPath: keyPath,
                                            knownHostsPath: knownHostsPath, connectTimeout: connectTimeout)
                + ["--", device.host, command],
            environment: run.baseEnvironment, stepName: step)
        // The switch script's report follows up to 128 KiB of health and rollback output.
        spec.stdoutCaptureLimit = 1 << 20
        return spec
    }
}

/// Quoting for commands that a remote shell runs.
enum Shell {
    static func quoted(_ word: String) -> String {
        "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}
