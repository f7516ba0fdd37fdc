import Foundation

extension TaskRecord {
    /// A titled block of what the task recorded as its result.
    public struct ResultSection: Sendable, Equatable {
        public var title: String
        public var lines: [String]
    }

    /// What the task recorded (a device's systems and how its switch ended, the generations it chose
    /// from, a plan, a rollout's waves) in the same words for `show`, `report` and the dashboard.
    /// Child output may be in them (store paths, unit names): the viewer sanitizes.
    public var resultSections: [ResultSection] {
        var sections: [ResultSection] = []
        if let system = result(as: DeployDeviceResult.self) {
            sections.append(ResultSection(title: "system", lines: [system.summary] + (system.copied.map { ["copied \($0.description)"] } ?? [])))
            if let generations = system.generations, !generations.isEmpty {
                sections.append(ResultSection(title: "generations", lines: generations.map(\.line)))
            }
        }
        if let plan = result(as: DevicePlan.self)?.lines ?? result(as: FleetPlan.self)?.lines {
            sections.append(ResultSection(title: "plan", lines: plan))
        }
        if let rollout = result(as: RolloutResult.self) {
            sections.append(ResultSection(title: "rollout", lines: rollout.waveLines))
        }
        return sections
    }
}
