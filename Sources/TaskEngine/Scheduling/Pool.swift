/// A named group of slots; a task waits (`pending`) until its pool has a free slot.
public struct Pool: Hashable, Sendable, CustomStringConvertible {
    public let name: String
    public init(_ name: String) { self.name = name }

    /// Local Nix work: builds, flake updates, images.
    public static let nix = Pool("nix")
    /// Work against devices: copying closures, switching, SSH commands.
    public static let remote = Pool("remote")
    /// Running virtual machines (long-lived).
    public static let vm = Pool("vm")

    public var description: String { name }
}
