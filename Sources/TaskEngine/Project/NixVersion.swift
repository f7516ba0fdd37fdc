import Foundation
import Subprocess
#if canImport(System)
import System
#else
import SystemPackage
#endif
import Synchronization

/// The installed Nix's version, asked once (`nix --version`) and cached, so plans pass only the
/// options and command shapes that version understands.
public struct NixVersion: Sendable, Comparable, CustomStringConvertible {
    public let major: Int
    public let minor: Int
    public let patch: Int

    public init(_ major: Int, _ minor: Int, _ patch: Int = 0) {
        self.major = major
        self.minor = minor
        self.patch = patch
    }

    /// Parses `nix (Nix) 2.8.0` (or `nix (Determinate Nix 3.1.0) 2.26.3`): the last dotted number wins.
    public init?(versionOutput: String) {
        let words = versionOutput.split(whereSeparator: { $0.isWhitespace })
        guard let word = words.last(where: { $0.first?.isNumber == true && $0.contains(".") }) else { return nil }
        let numbers = word.split(separator: ".").map { Int($0.prefix { $0.isNumber }) }
        guard numbers.count >= 2, let major = numbers[0], let minor = numbers[1] else { return nil }
        self.init(major, minor, numbers.count > 2 ? numbers[2] ?? 0 : 0)
    }

    public var description: String { "\(major).\(minor).\(patch)" }

    public static func < (a: NixVersion, b: NixVersion) -> Bool {
        (a.major, a.minor, a.patch) < (b.major, b.minor, b.patch)
    }

    /// From 2.19 `nix flake update` takes input names as arguments and the flake with `--flake`;
    /// before, its argument is the flake.
    public var flakeUpdateTakesFlakeOption: Bool { self >= NixVersion(2, 19) }

    /// The version assumed when `nix --version` cannot be run or read: the oldest we support.
    public static let oldestSupported = NixVersion(2, 8, 0)

    private static let cache = Mutex<[String: NixVersion]>([:])

    /// The version of the `nix` found on `environment["PATH"]`, probed on first use per PATH.
    public static func installed(environment: [String: String]) async -> NixVersion {
        let key = environment["PATH"] ?? ""
        if let known = cache.withLock({ $0[key] }) { return known }
        let probed = await probe(environment: environment) ?? oldestSupported
        cache.withLock { $0[key] = probed }
        return probed
    }

    private static func probe(environment: [String: String]) async -> NixVersion? {
        guard let program = ProcessRunner.resolve("nix", path: environment["PATH"]) else { return nil }
        let result = try? await Subprocess.run(
            .path(FilePath(program)), arguments: ["--version"],
            environment: .custom(environment.map { Array("\($0.key)=\($0.value)".utf8) }),
            output: .string(limit: 4096), error: .discarded)
        guard let result, case .exited(0) = result.terminationStatus else { return nil }
        let text = result.standardOutput
        return NixVersion(versionOutput: text)
    }
}
