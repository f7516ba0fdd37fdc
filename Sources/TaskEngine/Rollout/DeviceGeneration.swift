import Foundation

/// One generation of a device's system profile, as Roll Back Device lists it.
public struct DeviceGeneration: Codable, Sendable, Equatable {
    public var number: Int
    /// When the generation was made, in the device's local time (`YYYY-MM-DD HH:MM:SS`).
    public var created: String
    public var storePath: String
    /// The profile points at it now.
    public var current: Bool

    /// "  41  2026-12-06 02:30:11  /nix/store/…-nixos-system-kiosk  (current)", for `show` and the dashboard.
    public var line: String {
        "\(number)  \(created)  \(storePath)" + (current ? "  (current)" : "")
    }

    /// Prints `system-N-link YYYY-MM-DD HH:MM:SS /nix/store/… [current]` per generation, oldest first;
    /// the time is the link's own (`stat` does not follow it; `date -r` would, to the store's 1970).
    static func listCommand(profile: String) -> String {
        let p = Shell.quoted(profile)
        return """
            cur=$(readlink \(p)); for l in \(p)-*-link; do [ -L "$l" ] || continue; n=$(basename "$l"); \
            echo "$n $(date -d "@$(stat -c %Y "$l")" '+%Y-%m-%d %H:%M:%S') $(readlink -f "$l")$( [ "$n" = "$cur" ] && echo ' current')"; done
            """
    }

    /// The generations in the listing, by number; lines of another shape are left out.
    static func parse(_ listing: String) -> [DeviceGeneration] {
        listing.split(whereSeparator: \.isNewline).compactMap { line in
            let words = line.split(separator: " ").map(String.init)
            guard words.count >= 4, let number = DeviceSystem.generation(ofLink: words[0]), words[3].hasPrefix("/nix/store/") else { return nil }
            return DeviceGeneration(number: number, created: words[1] + " " + words[2], storePath: words[3],
                                    current: words.count > 4 && words[4] == "current")
        }.sorted { $0.number < $1.number }
    }

    /// The generation to go back to: `asked`, else the newest one before the current.
    static func target(in generations: [DeviceGeneration], asked: Int?, profile: String) throws -> Int {
        let numbers = generations.map(\.number).map(String.init).joined(separator: ", ")
        guard let current = generations.first(where: \.current) else {
            throw TaskFailure("generations failed: \(profile) on the device has no generation to go back from (it has: \(numbers.isEmpty ? "none" : numbers))")
        }
        if let asked {
            guard generations.contains(where: { $0.number == asked }) else {
                throw TaskFailure("generations failed: the device has no generation \(asked) of \(profile) (it has \(numbers)); give one of those")
            }
            guard asked != current.number else {
                throw TaskFailure("generations failed: generation \(asked) is the one \(profile) is on already")
            }
            return asked
        }
        guard let before = generations.last(where: { $0.number < current.number }) else {
            throw TaskFailure("generations failed: the device has no generation before \(current.number) of \(profile) to go back to")
        }
        return before.number
    }
}
