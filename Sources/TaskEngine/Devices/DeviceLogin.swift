import Foundation

/// How a task reaches one device over SSH: the submission's `device` object, private key, known
/// hosts (or the device's own host key) and connect timeout; shared by the kinds that log in.
struct DeviceLogin: Sendable {
    static let fields = ["device", "ssh_key_path", "known_hosts_path", "connect_timeout"]

    let device: DeviceAddress
    let keyPath: String
    let knownHostsPath: String?
    let connectTimeout: Int

    init(_ fields: SubmissionFields) throws(SubmissionError) {
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
        connectTimeout = try fields.optionalInt("connect_timeout", range: 1...600) ?? 10
    }

    /// The known-hosts file for this task: the one given, or one holding only the device's host key.
    func knownHosts(in run: TaskRun) throws -> KnownHostsFile {
        try KnownHostsFile(host: device.host, port: device.port, hostKey: device.hostKey, existingPath: knownHostsPath,
                           scratch: run.scratchDirectory)
    }

    /// The profile a switch sets: the device's, the project file's, or NixOS' own.
    func systemProfile(_ file: ProjectFile?) -> String {
        device.systemProfile ?? file?.device(device.identifier)?.systemProfile ?? file?.systemProfile ?? ProjectFile.defaultSystemProfile
    }

    /// How the switch goes on this device: the submission's settings over the device's over the file's.
    func switchPolicy(_ fields: SubmissionFields, _ file: ProjectFile?) throws(SubmissionError) -> SwitchPolicy {
        SwitchPolicy.resolve([try SwitchPolicy.Overrides.read(fields), file?.device(device.identifier)?.switchOverrides, file?.deploy])
    }

    /// `ssh … -- HOST COMMAND`, named `step`; up to 1 MiB of its stdout is kept for the step to parse.
    func sshSpec(_ step: String, _ command: String, knownHostsPath: String, in run: TaskRun) -> ProcessSpec {
        var spec = ProcessSpec(
            program: "ssh",
            // Keepalives: a device that dies mid-switch is noticed in a minute, not when TCP gives up.
            arguments: SSHOptions.arguments(port: device.port, user: device.username, keyPath: keyPath,
                                            knownHostsPath: knownHostsPath, connectTimeout: connectTimeout)
                + ["-o", "ServerAliveInterval=15", "-o", "ServerAliveCountMax=4", "--", device.host, command],
            environment: run.baseEnvironment, stepName: step)
        // The switch script's report follows up to 128 KiB of health and rollback output.
        spec.stdoutCaptureLimit = 1 << 20
        return spec
    }
}
