import Foundation

/// What a copy to a device must send, and how far it got (issue 24).
///
/// Nix 2.8's `nix copy --to ssh-ng://` reports no progress at all (only the start and stop of its
/// activities), so the deploy measures it from outside: before the copy, the closure's paths and
/// NAR sizes (`nix path-info --json -r`, on the controller) less the paths the device already holds
/// (`nix-store --check-validity --print-invalid`, one SSH round trip) give what must be copied;
/// during the copy, the bytes the `ssh` under `nix copy` has written (`/proc/PID/io`) say how much
/// went. That works with every Nix version on either side.
public struct CopyPlan: Codable, Sendable, Equatable {
    /// Paths the device did not have.
    public var paths: Int
    /// Their NAR size: what goes over the wire, give or take the protocol's framing.
    public var bytes: UInt64
    /// The whole closure, for "5 of 812 paths".
    public var closurePaths: Int

    /// `nix path-info --json` output: an array of `{path, narSize}` (Nix 2.8-2.18) or an object
    /// keyed by path (2.19 and later); path → NAR size.
    static func narSizes(fromPathInfo json: [UInt8]) -> [String: UInt64]? {
        guard let value = try? JSONValue.parse(Data(json)) else { return nil }
        var sizes: [String: UInt64] = [:]
        func size(_ entry: JSONValue) -> UInt64? {
            guard case .object(let fields) = entry, case .number(let number)? = fields["narSize"], number >= 0 else { return nil }
            return UInt64(number)
        }
        switch value {
        case .array(let entries):
            for entry in entries {
                guard case .object(let fields) = entry, case .string(let path)? = fields["path"] else { continue }
                sizes[path] = size(entry) ?? 0
            }
        case .object(let byPath):
            for (path, entry) in byPath { sizes[path] = size(entry) ?? 0 }
        default:
            return nil
        }
        return sizes
    }

    /// The plan for `sizes` (the closure) of which `missing` are not on the device.
    init(sizes: [String: UInt64], missing: [String]) {
        let absent = Set(missing).intersection(sizes.keys)
        paths = absent.count
        bytes = absent.reduce(0) { $0 + (sizes[$1] ?? 0) }
        closurePaths = sizes.count
    }

    /// "300 MB in 1 of 5 paths", for `show`.
    public var description: String {
        "\(ByteCountText.format(Int64(bytes))) in \(paths) of \(closurePaths) path\(closurePaths == 1 ? "" : "s")"
    }

    /// "1.5 MB", "300 MB".
    static func megabytes(_ bytes: UInt64) -> String {
        let mb = Double(bytes) / 1_000_000
        return mb >= 100 ? "\(Int(mb.rounded())) MB" : String(format: "%.1f MB", mb)
    }

    /// The remote command printing which of the store paths on its stdin (one a line) the device
    /// lacks. The paths go on stdin, not into the command: sshd hands the command to the login shell
    /// as one argument, and a NixOS closure's 2,000 paths pass Linux's 128 KiB limit for one argument.
    /// Globbing is off (`?` may be in a store path's name). With `then`, the device runs that command
    /// in the same session when it lacks nothing, after a `marker` line: one round trip, not two.
    static func missingQuery(then followOn: String? = nil, marker: String = "") -> String {
        let query = "set -f; missing=$(nix-store --check-validity --print-invalid $(cat)) || exit 3; set +f; "
            + "[ -z \"$missing\" ] || printf '%s\\n' \"$missing\""
        guard let followOn else { return query }
        return query + "; [ -z \"$missing\" ] || exit 0; echo \(Shell.quoted(marker)); \(followOn)"
    }

    /// The closure's paths as the query reads them.
    static func missingQueryInput(_ paths: [String]) -> [UInt8] {
        Array(paths.sorted().map { $0 + "\n" }.joined().utf8)
    }
}
