import Foundation

/// The fleet's view of a plan (issue 27), on the parent: how many devices change, each package
/// change with the devices it affects, and the devices that need a reboot.
public struct FleetPlan: Codable, Sendable, Equatable {
    public struct PackageChange: Codable, Sendable, Equatable {
        /// "hello: 2.10 → 2.12", as `nix store diff-closures` writes it.
        public var change: String
        public var devices: [String]
    }

    /// The commit the plan built; a deploy from the plan deploys exactly it (nil in plans recorded before).
    public var commit: String?
    public var devices: Int
    public var changing: [String]
    public var unchanged: [String]
    public var packages: [PackageChange]
    public var rebootRequired: [String]

    /// From each device's plan, by identifier.
    public init(_ plans: [(device: String, plan: DevicePlan)], commit: String? = nil) {
        self.commit = commit
        devices = plans.count
        changing = plans.filter { !$0.plan.noChange }.map(\.device)
        unchanged = plans.filter(\.plan.noChange).map(\.device)
        var byChange: [String: [String]] = [:]
        for (device, plan) in plans where !plan.noChange {
            for change in plan.diff.versionChanges { byChange[change.versionText, default: []].append(device) }
        }
        packages = byChange.map { PackageChange(change: $0.key, devices: $0.value.sorted()) }
            .sorted { $0.devices.count != $1.devices.count ? $0.devices.count > $1.devices.count : $0.change < $1.change }
        rebootRequired = plans.filter(\.plan.rebootRequired).map(\.device)
    }

    /// For `show` and the dashboard.
    public var lines: [String] {
        var lines = (commit.map { ["commit \($0.prefix(12))"] } ?? []) + ["\(changing.count) of \(devices) device\(devices == 1 ? "" : "s") change"
                     + (unchanged.isEmpty ? "" : "; no change: \(unchanged.joined(separator: ", "))")]
        lines += packages.map { "  \($0.change)  (\($0.devices.count == devices ? "all devices" : $0.devices.joined(separator: ", ")))" }
        if !rebootRequired.isEmpty { lines.append("reboot required: \(rebootRequired.joined(separator: ", "))") }
        return lines
    }
}
