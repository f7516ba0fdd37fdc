import Foundation

/// One system of a device: the store path its profile generation points at, and that generation's number.
public struct DeviceSystem: Codable, Sendable, Equatable {
    public var storePath: String
    /// `N` of the profile's `system-N-link`; nil when the profile is not a generation link.
    public var generation: Int?

    public init(storePath: String, generation: Int?) {
        self.storePath = storePath
        self.generation = generation
    }

    /// "generation 41 (/nix/store/…-nixos-system-kiosk)"
    public var description: String {
        (generation.map { "generation \($0) " } ?? "") + "(\(storePath))"
    }
}

/// What Deploy to Device recorded (issue 24): the device's system before and after, read on the
/// device itself; the input of a rollback and of a change plan.
public struct DeployDeviceResult: Codable, Sendable, Equatable {
    /// The profile's generation before the deploy set it; nil on a device that had none.
    public var previous: DeviceSystem?
    /// What `/run/current-system` pointed at before the switch, when the device has one.
    public var runningBefore: String?
    /// The generation the deploy created.
    public var new: DeviceSystem

    public init(previous: DeviceSystem?, runningBefore: String?, new: DeviceSystem) {
        self.previous = previous
        self.runningBefore = runningBefore
        self.new = new
    }

    /// "generation 3 (/nix/store/…-a) → generation 4 (/nix/store/…-b)", for `show`.
    public var summary: String {
        "\(previous?.description ?? "no system before") → \(new.description)"
    }
}

/// Setting a device's system profile and reading what it was and what it became, in one SSH session.
/// The script prints three lines of its own (`thymis-system previous|running|new ...`) that `parse`
/// reads back; anything else the device prints is left alone.
enum SystemProfileSwap {
    static let marker = "thymis-system"

    static func command(profile: String, toplevel: String) -> String {
        let p = Shell.quoted(profile)
        return """
            p=\(p); \
            if [ -e "$p" ]; then before="$(readlink "$p") $(readlink -f "$p")"; else before=; fi; \
            if [ -e /run/current-system ]; then running=$(readlink -f /run/current-system); else running=; fi; \
            nix-env -p "$p" --set \(Shell.quoted(toplevel)) && \
            echo "\(marker) previous $before" && echo "\(marker) running $running" && \
            echo "\(marker) new $(readlink "$p") $(readlink -f "$p")"
            """
    }

    /// The result from the script's stdout; nil when its lines are missing (the device printed none).
    static func parse(_ stdout: String) -> DeployDeviceResult? {
        var previous: DeviceSystem?, running: String?, new: DeviceSystem?
        for line in stdout.split(whereSeparator: \.isNewline) {
            let words = line.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
            guard words.count >= 2, words[0] == marker else { continue }
            let values = Array(words.dropFirst(2))
            switch words[1] {
            case "previous": previous = system(values)
            case "running": running = values.first.flatMap { $0.hasPrefix("/nix/store/") ? $0 : nil }
            case "new": new = system(values)
            default: continue
            }
        }
        guard let new else { return nil }
        return DeployDeviceResult(previous: previous, runningBefore: running, new: new)
    }

    /// `system-41-link /nix/store/…` → generation 41 at that path.
    private static func system(_ values: [String]) -> DeviceSystem? {
        guard values.count == 2, values[1].hasPrefix("/nix/store/") else { return nil }
        return DeviceSystem(storePath: values[1], generation: generation(ofLink: values[0]))
    }

    static func generation(ofLink link: String) -> Int? {
        let name = URL(fileURLWithPath: link).lastPathComponent
        guard name.hasSuffix("-link") else { return nil }
        return name.dropLast(5).split(separator: "-").last.flatMap { Int($0) }
    }
}
