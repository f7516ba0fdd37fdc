import Foundation

/// The project file (`thymis-project.json`): the fleet's devices and the operational settings the
/// flake itself does not hold (ssh identity, Nix options and access tokens, pool limits, image directory).
///
/// Relative paths in it are relative to the directory holding the file. See docs/project.md.
public struct ProjectFile: Sendable {
    /// The name looked for at the project root when no explicit path is given.
    public static let defaultName = "thymis-project.json"
    /// Where a switch sets the system profile unless the file or the device says otherwise.
    public static let defaultSystemProfile = "/nix/var/nix/profiles/system"
    /// The attribute under `nixosConfigurations.<name>` that Build Image builds by default.
    public static let defaultImageAttribute = "config.system.build.image"
    /// The attribute Build Project builds for each configuration by default.
    public static let defaultBuildAttribute = "config.system.build.toplevel"

    /// The file this was read from (absolute).
    public let path: String
    public var devices: [ProjectDevice]
    /// Per-configuration settings, by `nixosConfigurations` name.
    public var configurations: [String: ConfigurationSettings]
    public var ssh: SSHSettings
    public var nix: NixSettings
    /// Pool limits for an engine started for this project (see docs/project.md).
    public var pools: [Pool: Int]
    /// Where Build Image puts images (absolute).
    public var imageDirectory: String?
    /// The image attribute used when neither the configuration nor the device names one.
    public var imageAttribute: String?
    /// The attribute Build Project builds per configuration.
    public var buildAttribute: String?
    public var systemProfile: String?
    /// Auto-update's schedule and commit author (`auto_update` in the file).
    public var autoUpdate = AutoUpdateSettings()
    /// How deploys switch devices (`deploy`: confirm_timeout, rollback, health_command, health_timeout).
    public var deploy: SwitchPolicy.Overrides?
    /// Waves for deploys of several devices (`deploy.rollout`: canary, wave_size, max_failures).
    public var rollout: RolloutSettings?

    public struct AutoUpdateSettings: Sendable, Equatable {
        /// When `serve --project DIR` submits Auto-update on its own; nil: only when submitted.
        public var schedule: AutoUpdateSchedule?
        /// The author and committer of Auto-update's flake.lock commits, `Name <email>`.
        public var author: GitAuthor?
    }

    public struct ConfigurationSettings: Sendable, Equatable {
        public var imageAttribute: String?
    }

    public struct SSHSettings: Sendable, Equatable {
        /// The private key used to log in to every device.
        public var identity: String?
        /// A known-hosts file, for devices without a `host_key` of their own.
        public var knownHosts: String?
        public var connectTimeout: Int?
    }

    public func device(_ identifier: String) -> ProjectDevice? {
        devices.first { $0.identifier == identifier }
    }

    /// The image attribute for a configuration: the configuration's, then a device's of that name, then the file's default.
    public func imageAttribute(forConfiguration name: String) -> String {
        configurations[name]?.imageAttribute ?? device(name)?.imageAttribute ?? imageAttribute ?? Self.defaultImageAttribute
    }

    /// The file at `explicitPath`, or `thymis-project.json` in `projectPath`; nil when neither is given or present.
    public static func locate(projectPath: String?, explicitPath: String?) -> String? {
        if let explicitPath { return explicitPath }
        guard let projectPath else { return nil }
        let candidate = projectPath + "/" + defaultName
        return FileManager.default.fileExists(atPath: candidate) ? candidate : nil
    }

    /// Reads and checks the whole file; the error names the file, the device and the field.
    /// The largest project file read, as for a submission file.
    public static let maxBytes = 4 << 20

    public static func load(_ path: String) throws(ProjectFileError) -> ProjectFile {
        let absolute = URL(fileURLWithPath: path).standardizedFileURL.path
        // Capped like a submission file (issue 23): a 100 MB file held the client for 23 s and 617 MB.
        var info = stat()
        if stat(absolute, &info) == 0, Int(info.st_size) > maxBytes {
            throw ProjectFileError(file: absolute, message: "is \(info.st_size) bytes; a project file may hold at most \(maxBytes) bytes (4 MiB)")
        }
        guard let data = FileManager.default.contents(atPath: absolute) else {
            throw ProjectFileError(file: absolute, message: "cannot be read (it does not exist or is not readable)")
        }
        let value: JSONValue
        do { value = try JSONValue.parse(data) } catch {
            // The parser's words, without the advice meant for a submission.
            switch error {
            case .duplicateKey(let key, let byte):
                throw ProjectFileError(file: absolute, message: "gives the key \"\(key)\" twice in one object (at byte \(byte)); give each field once")
            case .malformedJSON(let detail):
                throw ProjectFileError(file: absolute, message: "is not valid JSON (\(detail))")
            default:
                throw ProjectFileError(file: absolute, message: "is not valid JSON (\(error))")
            }
        }
        guard case .object(let root) = value else {
            throw ProjectFileError(file: absolute, message: "must hold one JSON object")
        }
        do {
            return try ProjectFileReader(path: absolute).read(root)
        } catch {
            throw ProjectFileError(file: absolute, message: error.description)
        }
    }
}

/// One device of the fleet, as the project file describes it.
public struct ProjectDevice: Sendable, Equatable {
    public var identifier: String
    /// The `nixosConfigurations` name it runs (defaults to the identifier).
    public var configuration: String
    public var host: String
    public var port: Int
    public var user: String
    /// The device's ssh host public key (`ssh-ed25519 AAAA...`); trusted alone for this device.
    public var hostKey: String?
    public var imageAttribute: String?
    public var systemProfile: String?
    /// This device's own switch settings (rollback, health_command, ...), over the file's `deploy`.
    public var switchOverrides: SwitchPolicy.Overrides?
}

extension ProjectDevice {
    /// The device as the `device` objects of deploy submissions describe it.
    public var deploySubmissionJSON: JSONValue {
        var fields: [String: JSONValue] = [
            "identifier": .string(identifier), "host": .string(host), "port": .number(Double(port)),
            "username": .string(user), "configuration": .string(configuration),
        ]
        if let hostKey { fields["host_key"] = .string(hostKey) }
        if let systemProfile { fields["system_profile"] = .string(systemProfile) }
        return .object(fields)
    }
}

/// A project file that cannot be used, in words naming the file and (inside `message`) the device and field.
public struct ProjectFileError: Error, Sendable, CustomStringConvertible {
    public let file: String
    public let message: String
    public var description: String { "project file \(file): \(message)" }
}
