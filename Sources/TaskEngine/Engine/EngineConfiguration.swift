import Foundation

/// Settings of one engine: pool limits, how long a cancelled process gets to exit, and the environment of children.
public struct EngineConfiguration: Sendable {
    /// Slots per pool; a pool not listed has 1 slot.
    public var poolLimits: [Pool: Int]
    /// Time between SIGTERM and SIGKILL for a cancelled task's process group.
    public var gracePeriod: Duration
    /// The environment every child process starts from.
    public var baseEnvironment: [String: String]
    /// How often the engine looks for requests from other processes.
    public var requestPollInterval: Duration
    /// How much task output the store keeps (issue 12), applied in the background every `retentionInterval`.
    public var retention: OutputRetentionPolicy
    public var retentionInterval: Duration

    public static let defaultPoolLimits: [Pool: Int] = [.nix: 2, .remote: 8, .vm: 2]

    public init(poolLimits: [Pool: Int] = EngineConfiguration.defaultPoolLimits, gracePeriod: Duration = .seconds(3),
                baseEnvironment: [String: String] = EngineConfiguration.childEnvironment(),
                requestPollInterval: Duration = .milliseconds(100), retention: OutputRetentionPolicy = .default,
                retentionInterval: Duration = .seconds(60)) {
        self.poolLimits = poolLimits
        self.gracePeriod = gracePeriod
        self.baseEnvironment = baseEnvironment
        self.requestPollInterval = requestPollInterval
        self.retention = retention
        self.retentionInterval = retentionInterval
    }

    public func limit(of pool: Pool) -> Int { max(1, poolLimits[pool] ?? 1) }

    /// The variables children inherit from the engine, plus `NIX_CONFIG` with flakes enabled and
    /// `$THYMIS_TASKS_NIX_CONFIG` appended (e.g. "substituters =" on an offline machine).
    public static func childEnvironment(from environment: [String: String] = ProcessInfo.processInfo.environment) -> [String: String] {
        let passed = ["PATH", "HOME", "USER", "LOGNAME", "LANG", "LC_ALL", "TZ", "TMPDIR", "NIX_PATH", "NIX_REMOTE",
                      "NIX_SSL_CERT_FILE", "SSL_CERT_FILE", "NIX_STORE_DIR", "NIX_STATE_DIR", "NIX_CONF_DIR",
                      // ssh options for remote builders (port, known hosts) and an agent, when the operator set them.
                      "NIX_SSHOPTS", "SSH_AUTH_SOCK"]
        var result: [String: String] = [:]
        for key in passed { if let value = environment[key] { result[key] = value } }
        if result["PATH"] == nil { result["PATH"] = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" }
        var nixConfig = ["experimental-features = nix-command flakes"]
        if let inherited = environment["NIX_CONFIG"], !inherited.isEmpty { nixConfig.append(inherited) }
        if let extra = environment["THYMIS_TASKS_NIX_CONFIG"], !extra.isEmpty { nixConfig.append(extra) }
        result["NIX_CONFIG"] = nixConfig.joined(separator: "\n")
        return result
    }

    /// Pool limits from `THYMIS_TASKS_POOLS` ("nix=2,remote=8,vm=1") over the defaults; an error names the bad entry.
    public static func poolLimits(from text: String?) throws -> [Pool: Int] {
        var limits = defaultPoolLimits
        guard let text, !text.isEmpty else { return limits }
        for entry in text.split(separator: ",") {
            let parts = entry.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2, !parts[0].isEmpty, let value = Int(parts[1]), (1...1000).contains(value) else {
                throw ConfigurationError("pool limit \"\(entry)\" is not NAME=N with N from 1 to 1000 (e.g. nix=2,remote=8,vm=1)")
            }
            limits[Pool(parts[0])] = value
        }
        return limits
    }
}

/// A setting that cannot be used, in words.
public struct ConfigurationError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
