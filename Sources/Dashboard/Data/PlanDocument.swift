import Foundation
import TaskEngine

/// The Plan tab (issue 27): what a deploy would change. On a Plan Deploy Devices, the fleet folded
/// by package (each change once, with the devices it affects), then one line per device; on a Plan
/// Deploy to Device, that device's packages by kind of change, sizes, units and reboot.
extension TaskDetail {
    private static let heading = TextStyle(bold: true)
    private static let label = TextStyle(dim: true)
    private static let warning = TextStyle(foreground: .yellow, bold: true)

    private static func text(_ string: String) -> LogLine { .bytes(Array(string.utf8)) }

    /// "Plan (2 of 3 change)", "Plan (no change)", or just "Plan".
    var planTitle: String {
        if let fleet = record.result(as: FleetPlan.self) { return "Plan (\(fleet.changing.count) of \(fleet.devices) change)" }
        if let plan = record.result(as: DevicePlan.self) { return plan.noChange ? "Plan (no change)" : "Plan (\(plan.diff.versionChanges.count))" }
        return "Plan"
    }

    func planDocument() -> TextDocument {
        if let fleet = record.result(as: FleetPlan.self) { return TextDocument(fleetLines(fleet)) }
        if let plan = record.result(as: DevicePlan.self) { return TextDocument(deviceLines(plan, device: record.target ?? "the device")) }
        let isPlan = record.type == PlanDeviceKind.type || record.displayName == DeployDevicesKind.planName
        if isPlan, !record.state.isFinal { return TextDocument(emptyReason: "the plan is \(record.state.rawValue): what a deploy would change shows here when it is known") }
        if isPlan { return TextDocument(emptyReason: "this plan recorded no result (see the Submission tab for why it ended)") }
        return TextDocument(emptyReason: "not a plan: Plan Deploy (`submit deploy --plan`, or the deploy form's Plan first) shows here what a deploy would change on each device")
    }

    private func fleetLines(_ fleet: FleetPlan) -> [LogLine] {
        var lines: [LogLine] = []
        let commit = fleet.commit.map { " at commit \($0.prefix(12))" } ?? ""
        lines.append(.styled([StyledRun("\(fleet.changing.count) of \(fleet.devices) device\(fleet.devices == 1 ? "" : "s") change\(commit)", Self.heading)]))
        if !fleet.unchanged.isEmpty { lines.append(Self.text("  no change: \(fleet.unchanged.joined(separator: ", "))")) }
        if !fleet.rebootRequired.isEmpty {
            lines.append(.styled([StyledRun("  reboot required: ", Self.warning), StyledRun(fleet.rebootRequired.joined(separator: ", "))]))
        }
        if record.state == .completed {
            lines.append(.styled([StyledRun("  D deploys exactly this plan", Self.label, isKeyHint: true)]))
        }
        lines.append(.styled([]))
        lines.append(.styled([StyledRun("Packages (\(fleet.packages.count)), with the devices each changes on", Self.heading)]))
        if fleet.packages.isEmpty { lines.append(Self.text("  none")) }
        let width = min(48, fleet.packages.map(\.change.count).max() ?? 0)
        for package in fleet.packages {
            let who = package.devices.count == fleet.devices ? "all \(fleet.devices)" : "\(package.devices.count): \(package.devices.joined(separator: ", "))"
            lines.append(Self.text("  " + package.change.padding(toLength: max(width, package.change.count), withPad: " ", startingAt: 0) + "  " + who))
        }
        lines.append(.styled([]))
        lines.append(.styled([StyledRun("Devices", Self.heading)]))
        for child in children {
            let summary = child.result(as: DevicePlan.self)?.summary
                ?? (child.state == .failed ? "failed: \(child.failureHeadline ?? "")" : child.displayState.rawValue)
            lines.append(Self.text("  \(child.target ?? child.displayName)  \(summary)"))
        }
        return lines
    }

    private func deviceLines(_ plan: DevicePlan, device: String) -> [LogLine] {
        var lines: [LogLine] = [.styled([StyledRun("\(device): \(plan.summary)", Self.heading)])]
        lines.append(Self.text("  current: \(plan.current ?? "none")"))
        lines.append(Self.text("  new:     \(plan.new)"))
        if plan.rebootRequired {
            lines.append(.styled([StyledRun("  reboot required: ", Self.warning), StyledRun("the \(plan.rebootBecause.joined(separator: ", ")) differ from the booted system's")]))
        }
        let groups: [(String, ClosureDiff.Change.Kind)] = [("Changed", .changed), ("Added", .added), ("Removed", .removed), ("Size only", .resized)]
        for (title, kind) in groups {
            let changes = plan.diff.changes.filter { $0.kind == kind }
            guard !changes.isEmpty else { continue }
            lines.append(.styled([]))
            lines.append(.styled([StyledRun("\(title) (\(changes.count))", Self.heading)]))
            for change in changes {
                let delta = change.sizeDelta
                let size = (delta >= 0 ? "+" : "-") + ByteCountText.format(abs(delta))
                lines.append(.styled([StyledRun("  " + change.versionText), StyledRun("  " + size, Self.label)]))
            }
        }
        lines.append(.styled([]))
        let delta = Int64(plan.diff.sizeAfter) - Int64(plan.diff.sizeBefore)
        lines.append(.styled([StyledRun("Closure ", Self.heading),
                              StyledRun("\(ByteCountText.format(Int64(plan.diff.sizeBefore))) → \(ByteCountText.format(Int64(plan.diff.sizeAfter))) (\(delta >= 0 ? "+" : "-")\(ByteCountText.format(abs(delta))))")]))
        if let copied = plan.copied { lines.append(.styled([StyledRun("Copied ", Self.heading), StyledRun(copied.description)])) }
        lines.append(.styled([]))
        lines.append(.styled([StyledRun("Units (switch-to-configuration dry-activate)", Self.heading)]))
        if plan.units.isEmpty { lines.append(Self.text("  none would stop, start, restart or reload")) }
        for (verb, names) in [("stop", plan.units.stop), ("start", plan.units.start), ("restart", plan.units.restart), ("reload", plan.units.reload)] where !names.isEmpty {
            lines.append(Self.text("  would \(verb): \(names.joined(separator: ", "))"))
        }
        return lines
    }
}
