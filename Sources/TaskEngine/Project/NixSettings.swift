import Foundation

/// Nix options a project adds to every nix process it runs: caches, remote builders and access tokens.
///
/// They reach nix only through `NIX_CONFIG` in the child's environment, never argv. When access
/// tokens are present the whole `NIX_CONFIG` value is marked secret, so it is stored and shown as
/// `<redacted>` (the other lines are in the project file for anyone who needs them).
public struct NixSettings: Sendable, Equatable {
    public var extraSubstituters: [String] = []
    public var extraTrustedPublicKeys: [String] = []
    /// Remote builders, one Nix `builders` entry each (`ssh-ng://host x86_64-linux ...`). Nix itself
    /// spreads derivations over them; each Build activity names the machine it runs on.
    public var builders: [String] = []
    /// Nix's `max-jobs`: local builds at once, `0` to build only on `builders`, or "auto" (one per core).
    public var maxJobs: String?
    /// Host -> token, as Nix's `access-tokens` setting (e.g. `github.com` -> `ghp_...`).
    public var accessTokens: [String: String] = [:]
    /// A Nix secret key file (`nix key generate-secret`): a deploy signs the closure with it and lets
    /// the device check signatures, instead of copying with `--no-check-sigs` (issue 24). Its
    /// content is never read by thymis-tasks; only `nix store sign` opens it.
    public var signingKey: String?

    public init(extraSubstituters: [String] = [], extraTrustedPublicKeys: [String] = [], builders: [String] = [],
                maxJobs: String? = nil, accessTokens: [String: String] = [:], signingKey: String? = nil) {
        self.signingKey = signingKey
        self.extraSubstituters = extraSubstituters
        self.extraTrustedPublicKeys = extraTrustedPublicKeys
        self.builders = builders
        self.maxJobs = maxJobs
        self.accessTokens = accessTokens
    }

    /// These settings with `tokens` added (a submission's tokens win over the project file's for the same host).
    public func adding(accessTokens tokens: [String: String]) -> NixSettings {
        var result = self
        result.accessTokens.merge(tokens) { _, new in new }
        return result
    }

    /// The lines appended to `NIX_CONFIG`.
    var configLines: [String] {
        var lines: [String] = []
        if !extraSubstituters.isEmpty { lines.append("extra-substituters = " + extraSubstituters.joined(separator: " ")) }
        if !extraTrustedPublicKeys.isEmpty { lines.append("extra-trusted-public-keys = " + extraTrustedPublicKeys.joined(separator: " ")) }
        if !builders.isEmpty { lines.append("builders = " + builders.joined(separator: " ; ")) }
        if let maxJobs { lines.append("max-jobs = " + maxJobs) }
        if !accessTokens.isEmpty {
            lines.append("access-tokens = " + accessTokens.keys.sorted().map { "\($0)=\(accessTokens[$0]!)" }.joined(separator: " "))
        }
        return lines
    }

    /// `environment` with these settings appended to its `NIX_CONFIG`, and the keys to redact.
    public func applied(to environment: [String: String]) -> (environment: [String: String], secretKeys: Set<String>) {
        let lines = configLines
        guard !lines.isEmpty else { return (environment, []) }
        var result = environment
        result["NIX_CONFIG"] = ([environment["NIX_CONFIG"]].compactMap { $0 }.filter { !$0.isEmpty } + lines).joined(separator: "\n")
        return (result, accessTokens.isEmpty ? [] : ["NIX_CONFIG"])
    }

    /// A `max_jobs` field: a whole number from 0 to 10000, or "auto".
    static func maxJobs(_ fields: SubmissionFields, _ name: String) throws(SubmissionError) -> String? {
        guard let raw = fields.object[name], raw != .null else { return nil }
        if case .string("auto") = raw { return "auto" }
        guard case .number(let value) = raw, value >= 0, value <= 10_000, value == value.rounded() else {
            throw .invalidValue(type: fields.context, field: name,
                                reason: "must be a whole number from 0 (build only on the builders) to 10000, or \"auto\"")
        }
        return String(Int(value))
    }

    /// An `access_tokens` object of host -> token (in a submission or a project file).
    static func accessTokens(_ fields: SubmissionFields, _ name: String) throws(SubmissionError) -> [String: String] {
        guard let raw = fields.object[name], raw != .null else { return [:] }
        guard case .object(let entries) = raw else {
            throw .wrongType(type: fields.context, field: name, expected: "an object of host: token", got: raw.kindDescription)
        }
        var result: [String: String] = [:]
        for (host, value) in entries {
            guard case .string(let token) = value else {
                throw .wrongType(type: fields.context, field: "\(name).\(host)", expected: "a string", got: value.kindDescription)
            }
            if host.isEmpty || host.contains(where: { $0.isWhitespace || $0 == "=" }) {
                throw .invalidValue(type: fields.context, field: name, reason: "has a host name with white space or '=' (\"\(host)\")")
            }
            // The value is never quoted in messages: it is a secret.
            if token.isEmpty || token.contains(where: { $0.isWhitespace }) || token.utf8.contains(0) || token.utf8.count > 4096 {
                throw .invalidValue(type: fields.context, field: "\(name).\(host)", reason: "must be one word of at most 4096 bytes (the token)")
            }
            result[host] = token
        }
        return result
    }
}
