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

    /// `N` of `…/system-N-link`; nil for any other name.
    public static func generation(ofLink link: String) -> Int? {
        let name = URL(fileURLWithPath: link).lastPathComponent
        guard name.hasSuffix("-link") else { return nil }
        return name.dropLast(5).split(separator: "-").last.flatMap { Int($0) }
    }

    /// "generation 41 (/nix/store/…-nixos-system-kiosk)"
    public var description: String {
        (generation.map { "generation \($0) " } ?? "") + "(\(storePath))"
    }
}

/// What Deploy to Device (and Roll Back Device) recorded (issues 24, 26): the device's system before and after, read on the
/// device itself, and how the switch ended; the input of a rollback, a rollout and a change plan.
public struct DeployDeviceResult: Codable, Sendable, Equatable {
    /// The profile's generation before the deploy set it; nil on a device that had none.
    public var previous: DeviceSystem?
    /// What `/run/current-system` pointed at before the switch, when the device has one.
    public var runningBefore: String?
    /// The generation the deploy created.
    public var new: DeviceSystem
    /// How the switch ended (issue 26); nil while it runs, and for deploys recorded before it.
    public var switchOutcome: SwitchOutcome?
    /// What the copy had to send: the paths the device lacked and their size (Deploy to Device).
    public var copied: CopyPlan?
    /// The profile's generations before the switch, as Roll Back Device listed them.
    public var generations: [DeviceGeneration]?

    public init(previous: DeviceSystem?, runningBefore: String?, new: DeviceSystem, switchOutcome: SwitchOutcome? = nil) {
        self.previous = previous
        self.runningBefore = runningBefore
        self.new = new
        self.switchOutcome = switchOutcome
    }

    /// "generation 3 (/nix/store/…-a) → generation 4 (/nix/store/…-b), confirmed", for `show`.
    public var summary: String {
        let change = "\(previous?.description ?? "no system before") → \(new.description)"
        guard let outcome = switchOutcome else { return change }
        switch outcome.ending {
        case .confirmed: return change + ", confirmed"
        case .switched: return change + ", not confirmed (rollback off)"
        case .rolledBack: return change + ", rolled back to " + ((outcome.profileAfter ?? previous)?.description ?? "the previous system")
        case .rollbackFailed: return change + ", ROLLBACK FAILED"
        case .switchFailed: return change + ", switch failed"
        case .interrupted: return change + ", switch interrupted"
        case .unreachable: return change + ", device unreachable after the switch"
        }
    }
}

