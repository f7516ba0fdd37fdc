import Foundation

/// Turns the parsed JSON of a project file into a `ProjectFile`, checking every field with the
/// same rules as submissions so each error names where it is (`devices[2] "kiosk-3": field "host" ...`).
struct ProjectFileReader {
    let path: String
    var directory: String { URL(fileURLWithPath: path).deletingLastPathComponent().path }

    func read(_ root: [String: JSONValue]) throws(SubmissionError) -> ProjectFile {
        let fields = SubmissionFields(context: "top level", object: root)
        try fields.requireOnly(["devices", "configurations", "ssh", "nix", "pools", "images", "build", "system_profile", "auto_update", "deploy"])
        let ssh = try readSSH(fields)
        var devices: [ProjectDevice] = []
        if let raw = fields.object["devices"], raw != .null {
            guard case .array(let items) = raw else {
                throw .wrongType(type: fields.context, field: "devices", expected: "an array of objects", got: raw.kindDescription)
            }
            for (index, item) in items.enumerated() {
                guard case .object(let object) = item else {
                    throw .wrongType(type: fields.context, field: "devices[\(index)]", expected: "an object", got: item.kindDescription)
                }
                devices.append(try readDevice(SubmissionFields(context: "devices[\(index)]", object: object), ssh: ssh))
            }
        }
        var seen: Set<String> = []
        for (index, device) in devices.enumerated() where !seen.insert(device.identifier).inserted {
            throw .invalidValue(type: "devices[\(index)]", field: "identifier",
                                reason: "is \"\(device.identifier)\", which an earlier device already uses")
        }
        let rollout = try readRollout(fields)
        for canary in rollout?.canaries ?? [] where !devices.contains(where: { $0.identifier == canary }) {
            throw .invalidValue(type: "deploy.rollout", field: "canary", reason: "names \"\(canary)\", which is not a device of this file")
        }
        let images = try object(fields, "images")
        try images.requireOnly(["directory", "attribute"])
        let build = try object(fields, "build")
        try build.requireOnly(["attribute"])
        return ProjectFile(
            path: path, devices: devices, configurations: try readConfigurations(fields), ssh: ssh,
            nix: try readNix(fields), pools: try readPools(fields),
            imageDirectory: try relativePath(images, "directory"),
            imageAttribute: try Self.attribute(images, "attribute"),
            buildAttribute: try Self.attribute(build, "attribute"),
            systemProfile: try Self.profile(fields, "system_profile"),
            autoUpdate: try readAutoUpdate(fields),
            deploy: try readDeploy(fields),
            rollout: rollout)
    }

    private func readAutoUpdate(_ fields: SubmissionFields) throws(SubmissionError) -> ProjectFile.AutoUpdateSettings {
        let settings = try object(fields, "auto_update")
        try settings.requireOnly(["schedule", "author"])
        var result = ProjectFile.AutoUpdateSettings()
        if let text = try settings.optionalString("schedule", maxBytes: 100) {
            do { result.schedule = try AutoUpdateSchedule.parse(text) } catch {
                throw .invalidValue(type: settings.context, field: "schedule", reason: "is \"\(text)\": \(error.problem)")
            }
        }
        if let text = try settings.optionalString("author", maxBytes: 512) {
            guard let author = GitAuthor(text) else {
                throw .invalidValue(type: settings.context, field: "author", reason: "is \"\(text)\"; give `Name <email>`, e.g. \(GitAuthor.standard)")
            }
            result.author = author
        }
        return result
    }

    private func readDeploy(_ fields: SubmissionFields) throws(SubmissionError) -> SwitchPolicy.Overrides? {
        guard fields.object["deploy"] != nil, fields.object["deploy"] != .null else { return nil }
        let deploy = try object(fields, "deploy")
        try deploy.requireOnly(SwitchPolicy.Overrides.fields + ["rollout"])
        return try SwitchPolicy.Overrides.read(deploy)
    }

    private func readRollout(_ fields: SubmissionFields) throws(SubmissionError) -> RolloutSettings? {
        let rollout = try object(try object(fields, "deploy"), "rollout", context: "deploy.rollout")
        guard !rollout.object.isEmpty else { return nil }
        try rollout.requireOnly(RolloutSettings.fields)
        return try RolloutSettings.read(rollout)
    }

    private func readDevice(_ fields: SubmissionFields, ssh: ProjectFile.SSHSettings) throws(SubmissionError) -> ProjectDevice {
        let identifier = try fields.string("identifier", maxBytes: 255)
        // From here on, errors name the device, not only its position.
        let named = SubmissionFields(context: "device \"\(identifier)\" (\(fields.context))", object: fields.object)
        try named.requireOnly(["identifier", "configuration", "host", "port", "user", "host_key", "image_attribute", "system_profile"]
                                + SwitchPolicy.Overrides.fields)
        let overrides = try SwitchPolicy.Overrides.read(named)
        let device = ProjectDevice(
            identifier: identifier,
            configuration: try named.optionalString("configuration", maxBytes: 255) ?? identifier,
            host: try SSHOptions.host(named, "host"),
            port: try named.optionalInt("port", range: 1...65535) ?? 22,
            user: try SSHOptions.user(named, "user") ?? "root",
            hostKey: try SSHOptions.optionalHostKey(named, "host_key"),
            imageAttribute: try Self.attribute(named, "image_attribute"),
            systemProfile: try Self.profile(named, "system_profile"),
            switchOverrides: overrides == SwitchPolicy.Overrides() ? nil : overrides)
        if device.hostKey == nil && ssh.knownHosts == nil {
            throw .missingField(type: named.context, field: "host_key")
        }
        return device
    }

    private func readSSH(_ fields: SubmissionFields) throws(SubmissionError) -> ProjectFile.SSHSettings {
        let ssh = try object(fields, "ssh")
        try ssh.requireOnly(["identity", "known_hosts", "connect_timeout"])
        return ProjectFile.SSHSettings(identity: try relativePath(ssh, "identity"),
                                       knownHosts: try relativePath(ssh, "known_hosts"),
                                       connectTimeout: try ssh.optionalInt("connect_timeout", range: 1...600))
    }

    private func readNix(_ fields: SubmissionFields) throws(SubmissionError) -> NixSettings {
        let nix = try object(fields, "nix")
        try nix.requireOnly(["extra_substituters", "extra_trusted_public_keys", "access_tokens", "builders", "max_jobs", "signing_key"])
        func list(_ name: String) throws(SubmissionError) -> [String] {
            guard nix.object[name] != nil, nix.object[name] != .null else { return [] }
            let items = try nix.stringArray(name, maxItems: 100)
            for (index, item) in items.enumerated() where item.contains(where: { $0.isWhitespace }) && name != "builders" {
                throw .invalidValue(type: nix.context, field: "\(name)[\(index)]", reason: "contains white space; give one entry per item")
            }
            for (index, item) in items.enumerated() where item.contains(where: \.isNewline) || item.contains(";") {
                throw .invalidValue(type: nix.context, field: "\(name)[\(index)]", reason: "contains a line break or ';'")
            }
            return items
        }
        return NixSettings(extraSubstituters: try list("extra_substituters"),
                           extraTrustedPublicKeys: try list("extra_trusted_public_keys"),
                           builders: try list("builders"),
                           maxJobs: try NixSettings.maxJobs(nix, "max_jobs"),
                           accessTokens: try NixSettings.accessTokens(nix, "access_tokens"),
                           signingKey: try signingKey(nix))
    }

    private func readPools(_ fields: SubmissionFields) throws(SubmissionError) -> [Pool: Int] {
        let pools = try object(fields, "pools")
        var result: [Pool: Int] = [:]
        for name in pools.object.keys.sorted() {
            if let limit = try pools.optionalInt(name, range: 1...1000) { result[Pool(name)] = limit }
        }
        return result
    }

    private func readConfigurations(_ fields: SubmissionFields) throws(SubmissionError) -> [String: ProjectFile.ConfigurationSettings] {
        let configurations = try object(fields, "configurations")
        var result: [String: ProjectFile.ConfigurationSettings] = [:]
        for name in configurations.object.keys.sorted() {
            let settings = try object(configurations, name, context: "configurations \"\(name)\"")
            try settings.requireOnly(["image_attribute"])
            result[name] = .init(imageAttribute: try Self.attribute(settings, "image_attribute"))
        }
        return result
    }

    /// A nested object (absent means empty), with errors naming it.
    private func object(_ fields: SubmissionFields, _ name: String, context: String? = nil) throws(SubmissionError) -> SubmissionFields {
        guard let raw = fields.object[name], raw != .null else { return SubmissionFields(context: context ?? name, object: [:]) }
        guard case .object(let object) = raw else {
            throw .wrongType(type: fields.context, field: name, expected: "an object", got: raw.kindDescription)
        }
        return SubmissionFields(context: context ?? name, object: object)
    }

    /// A path; relative ones are taken from the directory holding the project file.
    /// `nix.signing_key`: a readable file (checked when the project file is read, so a deploy with a
    /// missing key is refused at submit, not after its build).
    private func signingKey(_ nix: SubmissionFields) throws(SubmissionError) -> String? {
        guard let path = try relativePath(nix, "signing_key") else { return nil }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue else {
            throw .invalidValue(type: nix.context, field: "signing_key", reason: "is \(path), which does not exist; make one with `nix key generate-secret --key-name NAME > FILE`")
        }
        guard access(path, R_OK) == 0 else {
            throw .invalidValue(type: nix.context, field: "signing_key", reason: "is \(path), which cannot be read")
        }
        return path
    }

    private func relativePath(_ fields: SubmissionFields, _ name: String) throws(SubmissionError) -> String? {
        guard let raw = try fields.optionalString(name, maxBytes: 4096) else { return nil }
        if raw.contains(where: \.isNewline) {
            throw .invalidValue(type: fields.context, field: name, reason: "contains a line break; give a file path")
        }
        let absolute = raw.hasPrefix("/") ? raw : directory + "/" + raw
        return URL(fileURLWithPath: absolute).standardizedFileURL.path
    }

    /// A Nix attribute path such as `config.system.build.sdImage`.
    static func attribute(_ fields: SubmissionFields, _ name: String) throws(SubmissionError) -> String? {
        guard let value = try fields.optionalString(name, maxBytes: 512) else { return nil }
        let allowed = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "._-'\""))
        guard value.unicodeScalars.allSatisfy({ allowed.contains($0) && $0.isASCII }), !value.hasPrefix("."), !value.hasSuffix(".") else {
            throw .invalidValue(type: fields.context, field: name, reason: "is not a Nix attribute path like config.system.build.image")
        }
        return value
    }

    static func profile(_ fields: SubmissionFields, _ name: String) throws(SubmissionError) -> String? {
        guard let value = try fields.optionalString(name, maxBytes: 1024) else { return nil }
        guard value.hasPrefix("/"), !value.contains(where: { $0.isWhitespace || $0 == "'" }) else {
            throw .invalidValue(type: fields.context, field: name, reason: "must be an absolute path without spaces or quotes")
        }
        return value
    }
}
