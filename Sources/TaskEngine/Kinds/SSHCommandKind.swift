import Foundation

/// Run SSH Command: one command on a device over `ssh`, never prompting, trusting only the given host key.
public struct SSHCommandKind: TaskKind {
    public static let type = "ssh_command_task"
    public static let typeName = "Run SSH Command"

    public let host: String
    public let port: Int
    public let user: String
    public let command: String
    public let keyPath: String
    /// The known-hosts file given; nil when `ssh_host_key` is trusted instead.
    public let knownHostsPath: String?
    /// The device's own host key (our addition): the only key trusted for this host.
    public let hostKey: String?
    /// The project device this runs on (our addition), shown as the target.
    public let deviceIdentifier: String?
    public let connectTimeout: Int
    /// Variables the remote command gets from files the engine reads, sent over stdin (`RemoteSecrets`).
    let secrets: RemoteSecrets

    public init(fields: SubmissionFields) throws(SubmissionError) {
        try fields.requireOnly(["target_host", "target_port", "target_user", "command", "ssh_key_path",
                                "ssh_known_hosts_path", "ssh_host_key", "device_identifier", "connect_timeout", RemoteSecrets.field])
        host = try SSHOptions.host(fields, "target_host")
        port = try fields.optionalInt("target_port", range: 1...65535) ?? 22
        user = try SSHOptions.user(fields, "target_user") ?? "root"
        command = try fields.string("command")
        keyPath = try SSHOptions.readableFile(fields, "ssh_key_path")
        hostKey = try SSHOptions.optionalHostKey(fields, "ssh_host_key")
        if hostKey != nil && (fields.object["ssh_known_hosts_path"] ?? .null) == .null {
            knownHostsPath = nil
        } else {
            knownHostsPath = try SSHOptions.readableFile(fields, "ssh_known_hosts_path")
        }
        deviceIdentifier = try fields.optionalString("device_identifier", maxBytes: 255)
        connectTimeout = try fields.optionalInt("connect_timeout", range: 1...600) ?? 10
        secrets = try RemoteSecrets(fields)
    }

    var login: String { port == 22 ? "\(user)@\(host)" : "\(user)@\(host):\(port)" }
    public var target: String? { deviceIdentifier ?? login }
    public var pool: Pool? { .remote }

    public func run(_ run: TaskRun) async throws {
        // A given known-hosts file wins; otherwise a private one holding only the device's key.
        let knownHosts = try KnownHostsFile(host: host, port: port, hostKey: knownHostsPath == nil ? hostKey : nil,
                                            existingPath: knownHostsPath, scratch: run.scratchDirectory)
        var spec = ProcessSpec(
            program: "ssh",
            arguments: SSHOptions.arguments(port: port, user: user, keyPath: keyPath, knownHostsPath: knownHosts.path,
                                            connectTimeout: connectTimeout) + ["--", host, secrets.command(running: command)],
            environment: run.baseEnvironment, stepName: "ssh command")
        if !secrets.isEmpty { spec.standardInput = try secrets.standardInput() }
        let outcome = try await run.run(spec)
        guard outcome.succeeded else { throw SSHOptions.failure(of: outcome, login: login) }
    }
}

/// The ssh options every remote step uses, and the checks on their inputs.
enum SSHOptions {
    /// Why a remote step failed, in words. ssh exits 255 for its own errors (unreachable,
    /// authentication, host key mismatch); any other code is the remote command's.
    static func failure(of outcome: ProcessOutcome, login: String, step: String? = nil) -> TaskFailure {
        let prefix = step.map { "\($0) failed: " } ?? ""
        if outcome.exitCode == 255 {
            return TaskFailure("\(prefix)ssh to \(login) failed (exit 255: connection, authentication or host key problem; see stderr)")
        }
        return TaskFailure("\(prefix)the command on \(login) \(outcome.endDescription)")
    }

    static func arguments(port: Int, user: String, keyPath: String, knownHostsPath: String, connectTimeout: Int) -> [String] {
        ["-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=yes", "-o", "UserKnownHostsFile=\(knownHostsPath)",
         "-o", "GlobalKnownHostsFile=/dev/null", "-o", "ConnectTimeout=\(connectTimeout)", "-o", "IdentitiesOnly=yes",
         "-o", "LogLevel=ERROR", "-i", keyPath, "-p", "\(port)", "-l", user]
    }

    /// A host name or address: no leading dash (it would be read as an option), no spaces or control characters.
    static func host(_ fields: SubmissionFields, _ field: String) throws(SubmissionError) -> String {
        let value = try fields.string(field, maxBytes: 255)
        let allowed = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: ".-_:[]%"))
        guard !value.hasPrefix("-"), value.unicodeScalars.allSatisfy({ allowed.contains($0) && $0.isASCII }) else {
            throw .invalidValue(type: fields.context, field: field,
                                reason: "is not a host name or address (letters, digits, '.', '-', ':' only; no leading '-')")
        }
        return value
    }

    static func user(_ fields: SubmissionFields, _ field: String) throws(SubmissionError) -> String? {
        guard let value = try fields.optionalString(field, maxBytes: 64) else { return nil }
        let allowed = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "._-"))
        guard !value.hasPrefix("-"), value.unicodeScalars.allSatisfy({ allowed.contains($0) && $0.isASCII }) else {
            throw .invalidValue(type: fields.context, field: field, reason: "is not a user name (letters, digits, '.', '_', '-')")
        }
        return value
    }

    /// An ssh host public key line, `TYPE BASE64 [comment]` (what goes after the host in known_hosts).
    static func optionalHostKey(_ fields: SubmissionFields, _ field: String) throws(SubmissionError) -> String? {
        guard let value = try fields.optionalString(field, maxBytes: 16 * 1024) else { return nil }
        let words = value.split(separator: " ", omittingEmptySubsequences: true)
        guard words.count >= 2, words[0].hasPrefix("ssh-") || words[0].hasPrefix("ecdsa-") || words[0].hasPrefix("sk-"),
              !value.contains(where: \.isNewline) else {
            throw .invalidValue(type: fields.context, field: field,
                                reason: "is not an ssh public host key like \"ssh-ed25519 AAAA...\" (one line)")
        }
        return value.trimmingCharacters(in: .whitespaces)
    }

    /// `NIX_SSHOPTS` for `nix copy --to ssh-ng://`: the same options as `arguments`. Nix splits it at
    /// white space, so paths holding spaces cannot be passed this way.
    static func nixSSHOpts(port: Int, keyPath: String, knownHostsPath: String, connectTimeout: Int) throws -> String {
        for path in [keyPath, knownHostsPath] where path.contains(where: \.isWhitespace) {
            throw TaskFailure("copy: the path \(path) holds white space, which NIX_SSHOPTS cannot carry; move the file")
        }
        return ["-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=yes", "-o", "UserKnownHostsFile=\(knownHostsPath)",
                "-o", "GlobalKnownHostsFile=/dev/null", "-o", "ConnectTimeout=\(connectTimeout)", "-o", "IdentitiesOnly=yes",
                "-o", "LogLevel=ERROR", "-i", keyPath, "-p", "\(port)"].joined(separator: " ")
    }

    static func readableFile(_ fields: SubmissionFields, _ field: String) throws(SubmissionError) -> String {
        let path = try fields.path(field)
        guard FileManager.default.isReadableFile(atPath: path) else {
            throw .invalidValue(type: fields.context, field: field, reason: "is \(path), which does not exist or is not readable")
        }
        return path
    }
}
