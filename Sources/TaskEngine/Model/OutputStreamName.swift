/// Which output of a process a stored chunk belongs to.
///
/// `stdout` and `stderr` are the raw streams (stderr without the `@nix` lines NixLog consumed);
/// `build:<drv>` is the build log of one derivation, as Nix reported it in its JSON events.
public struct OutputStreamName: Hashable, Sendable, CustomStringConvertible {
    public let rawValue: String
    public init(_ rawValue: String) { self.rawValue = rawValue }

    public static let stdout = OutputStreamName("stdout")
    public static let stderr = OutputStreamName("stderr")
    /// Build log lines of a derivation (`nil`: lines Nix could not attribute).
    public static func buildLog(_ derivation: String?) -> OutputStreamName {
        OutputStreamName("build:" + (derivation ?? "?"))
    }

    public var isBuildLog: Bool { rawValue.hasPrefix("build:") }
    /// The derivation path of a build log stream.
    public var derivation: String? { isBuildLog ? String(rawValue.dropFirst(6)) : nil }
    public var description: String { rawValue }
}
