/// Verbosity of a Nix `msg` or `start` event, as in Nix's `Verbosity` (`lvlError` = 0 ... `lvlVomit` = 7).
public enum NixLevel: Int, Sendable, Codable, CaseIterable, Comparable {
    case error = 0, warn, notice, info, talkative, chatty, debug, vomit

    /// Maps a wire level onto a case; values above `vomit` (or negative) clamp to the nearest end,
    /// so a future Nix with more levels never turns a message into garbage.
    public init(wireValue: UInt64) {
        self = NixLevel(rawValue: Int(clamping: min(wireValue, 7))) ?? .vomit
    }

    /// The key used for this level in `nix-log --json` (`messagesByLevel`).
    public var name: String {
        switch self {
        case .error: "error"
        case .warn: "warn"
        case .notice: "notice"
        case .info: "info"
        case .talkative: "talkative"
        case .chatty: "chatty"
        case .debug: "debug"
        case .vomit: "vomit"
        }
    }

    public static func < (lhs: NixLevel, rhs: NixLevel) -> Bool { lhs.rawValue < rhs.rawValue }
}
