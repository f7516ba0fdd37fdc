import Foundation

/// Deploy to Device: builds the configuration's toplevel at the committed revision, copies its
/// closure into the device's own store (`ClosureCopy`), sets the system profile (recording the
/// device's previous and new system as the task's result) and switches to it.
/// The failure reason starts with the step that failed: build, sign, copy, set profile or switch.
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

    public init(fields: SubmissionFields) throws(SubmissionError) {
        try fields.requireOnly(["device", "ssh_key_path", "known_hosts_path", "project_path", "commit", "connect_timeout"]
                               + ProjectContext.fields)
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

        run.setProgress("setting the system profile \(systemProfile)")
        let swap = try await remote("set profile", SystemProfileSwap.command(profile: systemProfile, toplevel: toplevel),
                                    knownHostsPath: knownHosts.path, in: run)
        // Not recording it must not stop the deploy between setting the profile and switching to it.
        if let result = SystemProfileSwap.parse(String(decoding: swap.capturedStdout, as: UTF8.self)) { try? run.record(result: result) }
        run.setProgress("switching to \(toplevel)")
        try await remote("switch", "\(Shell.quoted(toplevel + "/bin/switch-to-configuration")) switch",
                         knownHostsPath: knownHosts.path, in: run)
        run.setProgress("switched to \(toplevel)")
    }

    @discardableResult
    private func remote(_ step: String, _ command: String, knownHostsPath: String, in run: TaskRun) async throws -> ProcessOutcome {
        var spec = ProcessSpec(
            program: "ssh",
            arguments: SSHOptions.arguments(port: device.port, user: device.username, keyPath: keyPath,
                                            knownHostsPath: knownHostsPath, connectTimeout: connectTimeout)
                + ["--", device.host, command],
            environment: run.baseEnvironment, stepName: step)
        spec.stdoutCaptureLimit = 1 << 16
        let outcome = try await run.run(spec)
        guard outcome.succeeded else { throw SSHOptions.failure(of: outcome, login: device.login, step: step) }
        return outcome
    }
}

/// Quoting for commands that a remote shell runs.
enum Shell {
    static func quoted(_ word: String) -> String {
        "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}
