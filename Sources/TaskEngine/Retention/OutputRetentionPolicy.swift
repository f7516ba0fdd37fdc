import Foundation

/// How much task output the store keeps: at most `maxSize` bytes on disk (compressed, as stored) and
/// nothing older than `maxAge`, whichever hits first; nil means no such limit. Output of the oldest
/// finished tasks goes first; running tasks and every task's record stay (issue 12).
public struct OutputRetentionPolicy: Sendable, Equatable {
    public var maxSize: Int64?
    public var maxAge: TimeInterval?

    public init(maxSize: Int64?, maxAge: TimeInterval?) {
        self.maxSize = maxSize
        self.maxAge = maxAge
    }

    /// 10 GB, no age limit: keeps a small controller's disk safe (a year of builds easily passes 10 GB
    /// of logs even compressed) and never drops output only for being old.
    public static let `default` = OutputRetentionPolicy(maxSize: 10_000_000_000, maxAge: nil)

    public static let environmentSize = "THYMIS_TASKS_OUTPUT_MAX_SIZE"
    public static let environmentAge = "THYMIS_TASKS_OUTPUT_MAX_AGE"

    /// The policy from `THYMIS_TASKS_OUTPUT_MAX_SIZE` / `THYMIS_TASKS_OUTPUT_MAX_AGE` over the default.
    /// An error names the variable and what it takes.
    public static func resolve(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> OutputRetentionPolicy {
        var policy = OutputRetentionPolicy.default
        if let text = environment[environmentSize], !text.isEmpty { policy.maxSize = try parseSize(text, setting: environmentSize) }
        if let text = environment[environmentAge], !text.isEmpty { policy.maxAge = try parseAge(text, setting: environmentAge) }
        return policy
    }

    /// "20GB", "512MiB", "off" (no size limit).
    public static func parseSize(_ text: String, setting: String) throws -> Int64? {
        if isOff(text) { return nil }
        guard let bytes = ByteCountText.parse(text), bytes > 0 else {
            throw ConfigurationError("\(setting) \"\(text)\" is not a size: give e.g. 20GB, 500MB, 2GiB, or off for no limit")
        }
        return bytes
    }

    /// "90d", "12h", "2w", "30m", "45s", "off" (no age limit).
    public static func parseAge(_ text: String, setting: String) throws -> TimeInterval? {
        if isOff(text) { return nil }
        let trimmed = text.trimmingCharacters(in: .whitespaces).lowercased()
        let units: [Character: TimeInterval] = ["s": 1, "m": 60, "h": 3600, "d": 86_400, "w": 604_800, "y": 31_536_000]
        guard let unit = trimmed.last.flatMap({ units[$0] }), let number = Double(trimmed.dropLast()),
              number > 0, number.isFinite, number * unit < 1e12 else {
            throw ConfigurationError("\(setting) \"\(text)\" is not an age: give a number and a unit, e.g. 90d, 12h, 2w, or off for no limit")
        }
        return number * unit
    }

    private static func isOff(_ text: String) -> Bool {
        ["off", "none", "unlimited"].contains(text.trimmingCharacters(in: .whitespaces).lowercased())
    }

    /// "at most 10.0 GB, no age limit": for logs and `prune`'s report.
    public var summary: String {
        let size = maxSize.map { "at most \(ByteCountText.format($0))" } ?? "no size limit"
        let age = maxAge.map { "nothing older than \(Self.formatAge($0))" } ?? "no age limit"
        return "\(size), \(age)"
    }

    static func formatAge(_ seconds: TimeInterval) -> String {
        if seconds >= 86_400, seconds.truncatingRemainder(dividingBy: 86_400) == 0 { return "\(Int(seconds / 86_400)) days" }
        if seconds >= 3600, seconds.truncatingRemainder(dividingBy: 3600) == 0 { return "\(Int(seconds / 3600)) hours" }
        if seconds >= 60, seconds.truncatingRemainder(dividingBy: 60) == 0 { return "\(Int(seconds / 60)) minutes" }
        return "\(Int(seconds)) seconds"
    }
}
