import Foundation

/// Deploy to Device: builds the configuration's toplevel at the committed revision, copies its
/// closure to the device (`nix copy --to ssh-ng://`), sets the system profile and switches to it.
/// The failure reason starts with the step that failed: build, copy, set profile or switch.
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
        run.setProgress("copying the closure to \(device.login)")
        let sshOpts = try SSHOptions.nixSSHOpts(port: device.port, keyPath: keyPath, knownHostsPath: knownHosts.path,
                                                connectTimeout: connectTimeout)
        let copySpec = context.nixSpec(["copy"], ["--to", "ssh-ng://\(device.username)@\(device.host)", toplevel], in: run,
                                       extraEnvironment: ["NIX_SSHOPTS": sshOpts], stepName: "copy")
        let copy = try await run.run(copySpec)
        if !copy.succeeded {
            // Nix only says the connection ended; ssh's own line (refused, host key) is what helps.
            var reason = "copy failed: nix \(copy.endDescription)"
            if let error = copy.nixState.flatMap(NixStateSnapshot.firstError) { reason += ": \(error)" }
            let stderr = (try? run.store.allStderrText(run.taskID, process: copy.index, limit: 1 << 16)) ?? ""
            if let said = Self.sshDiagnosis(stderr) { reason += "; ssh: \(said)" }
            throw TaskFailure(reason)
        }

        run.setProgress("setting the system profile \(systemProfile)")
        try await remote("set profile", "nix-env -p \(Shell.quoted(systemProfile)) --set \(Shell.quoted(toplevel))",
                         knownHostsPath: knownHosts.path, in: run)
        run.setProgress("switching to \(toplevel)")
        try await remote("switch", "\(Shell.quoted(toplevel + "/bin/switch-to-configuration")) switch",
                         knownHostsPath: knownHosts.path, in: run)
        run.setProgress("switched to \(toplevel)")
    }

    /// The line of ssh's stderr that says why it could not connect.
    static func sshDiagnosis(_ stderr: String) -> String? {
        let lines = stderr.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
        if lines.contains(where: { $0.contains("Host key verification failed") }) {
            return "host key verification failed (the device's key is not the one trusted for it)"
        }
        return lines.last { $0.hasPrefix("ssh:") || $0.contains("Permission denied") || $0.contains("Could not resolve") }
            .map { $0.hasPrefix("ssh: ") ? String($0.dropFirst(5)) : $0 }
    }

    private func remote(_ step: String, _ command: String, knownHostsPath: String, in run: TaskRun) async throws {
        let spec = ProcessSpec(
            program: "ssh",
            arguments: SSHOptions.arguments(port: device.port, user: device.username, keyPath: keyPath,
                                            knownHostsPath: knownHostsPath, connectTimeout: connectTimeout)
                + ["--", device.host, command],
            environment: run.baseEnvironment, stepName: step)
        let outcome = try await run.run(spec)
        guard outcome.succeeded else { throw SSHOptions.failure(of: outcome, login: device.login, step: step) }
    }
}

/// Quoting for commands that a remote shell runs.
enum Shell {
    static func quoted(_ word: String) -> String {
        "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}
