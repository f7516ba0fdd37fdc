import Foundation

/// Deploy Devices: a parent that takes no slot; it fixes the revision once (refusing a dirty
/// repository) and runs one Deploy to Device child per device in the `remote` pool. One failing
/// device fails only its child; the parent then fails naming it. With a rollout (`canary`,
/// `wave_size`, `max_failures`, or the project file's `deploy.rollout`) the children run in waves,
/// canaries first, and more failures than the budget leave the later waves unstarted (`RolloutPlan`).
public struct DeployDevicesKind: TaskKind {
    public static let type = "deploy_devices_task"
    public static let typeName = "Deploy Devices"
    public static var secretFields: Set<String> { ProjectContext.secretFields }

    let devices: [DeviceAddress]
    let fields: SubmissionFields
    let commit: String?
    let context: ProjectContext
    /// The waves this deploy runs (one wave when no rollout is asked for).
    public let rollout: RolloutPlan
    /// Plan only (issue 27): Plan Deploy to Device children, which stop before the switch.
    let planOnly: Bool
    /// Deploying a plan (issue 27): its task id, and per device what it was planned against and for.
    let fromPlan: UUID?
    let planned: [String: PlannedSystem]

    public init(fields: SubmissionFields) throws(SubmissionError) {
        try fields.requireOnly(["devices", "ssh_key_path", "known_hosts_path", "project_path", "commit", "connect_timeout"]
                               + ProjectContext.fields + SwitchPolicy.Overrides.fields + RolloutSettings.fields + ["plan", "from_plan", "planned"])
        devices = try fields.objectArray("devices", maxItems: 1000) { (device: SubmissionFields) throws(SubmissionError) in
            try DeviceAddress(device)
        }
        guard !devices.isEmpty else { throw .invalidValue(type: fields.context, field: "devices", reason: "is empty; give at least one device") }
        var seen: Set<String> = []
        for (index, device) in devices.enumerated() where !seen.insert(device.identifier).inserted {
            throw .invalidValue(type: fields.context, field: "devices[\(index)].identifier",
                                reason: "is \"\(device.identifier)\", which an earlier device already uses")
        }
        commit = try GitRevision.optional(fields)
        context = try ProjectContext(fields, projectPath: ProjectPath.validate(fields))
        planOnly = try fields.optionalBool("plan") ?? false
        let identifiers = devices.map(\.identifier)
        let asked = try RolloutSettings.read(fields)
        if planOnly, !asked.isEmpty {
            throw .invalidValue(type: fields.context, field: "plan", reason: "is true with a rollout (canary, wave_size, max_failures); a plan changes no device, so it has no waves: leave them for the deploy")
        }
        if let problem = asked.problem(devices: identifiers, names: ("canary", "wave_size", "max_failures")) {
            throw .invalidValue(type: fields.context, field: problem.setting, reason: problem.reason)
        }
        (fromPlan, planned) = try Self.readPlanned(fields, devices: identifiers, commit: commit, planOnly: planOnly)
        rollout = RolloutPlan(devices: identifiers,
                              settings: RolloutSettings.merged(submission: asked, file: context.projectFile?.rollout, devices: identifiers))
        self.fields = fields
        // Check every child now, so a bad device refuses the whole deploy before anything runs.
        for index in devices.indices { _ = try childSubmission(index, commit: commit ?? String(repeating: "0", count: 40)) }
    }

    /// `from_plan` and `planned`: both or neither, with a fixed commit, one entry for each device.
    private static func readPlanned(_ fields: SubmissionFields, devices: [String], commit: String?,
                                    planOnly: Bool) throws(SubmissionError) -> (UUID?, [String: PlannedSystem]) {
        guard let text = try fields.optionalString("from_plan", maxBytes: 64) else {
            if fields.object["planned"] != nil, fields.object["planned"] != .null {
                throw .invalidValue(type: fields.context, field: "planned", reason: "is given without from_plan; deploy a plan with `submit deploy --from-plan ID`")
            }
            return (nil, [:])
        }
        guard let id = UUID(uuidString: text) else {
            throw .invalidValue(type: fields.context, field: "from_plan", reason: "is \"\(text)\"; give the plan's full task id")
        }
        guard !planOnly else { throw .invalidValue(type: fields.context, field: "from_plan", reason: "is given with plan: true; a plan is made from the project, not from another plan") }
        guard commit != nil else { throw .missingField(type: fields.context, field: "commit") }
        var planned: [String: PlannedSystem] = [:]
        for system in try fields.objectArray("planned", maxItems: 1000, { (entry: SubmissionFields) throws(SubmissionError) in try PlannedSystem(entry) }) {
            planned[system.device] = system
        }
        if let missing = devices.first(where: { planned[$0] == nil }) {
            throw .invalidValue(type: fields.context, field: "planned", reason: "has no entry for device \(missing); deploy from the plan exactly the devices it planned")
        }
        if let extra = planned.keys.sorted().first(where: { !devices.contains($0) }) {
            throw .invalidValue(type: fields.context, field: "planned", reason: "names device \(extra), which is not among devices")
        }
        return (id, planned)
    }

    /// The name of a plan's parent (`plan: true`); its children are Plan Deploy to Device.
    public static let planName = "Plan Deploy Devices"

    public var displayName: String { planOnly ? Self.planName : fromPlan != nil ? "Deploy Devices (from plan)" : Self.typeName }
    public var target: String? { devices.count == 1 ? devices[0].identifier : "\(devices.count) devices" }
    public var pool: Pool? { nil }

    public func run(_ run: TaskRun) async throws {
        let revision: String
        if let commit { revision = commit } else { revision = try await GitRevision.committedHead(of: context.projectPath, in: run) }
        if let fromPlan {
            // What the project would build now must be what was planned; the children check each device.
            let head = try await GitRevision.committedHead(of: context.projectPath, in: run)
            guard head == revision else {
                throw TaskFailure("check plan failed: plan \(fromPlan.uuidString.lowercased().prefix(8)) was made at commit \(revision.prefix(12)); the project's HEAD is now \(head.prefix(12)), which was never planned; plan again")
            }
        }
        run.setProgress("deploying \(revision.prefix(12)) to \(devices.count) device\(devices.count == 1 ? "" : "s")")
        let children = try devices.indices.map { index in
            do { return try childSubmission(index, commit: revision) } catch { throw TaskFailure("\(error)") }
        }
        if planOnly {
            run.setProgress("planning \(revision.prefix(12)) for \(devices.count) device\(devices.count == 1 ? "" : "s")")
            let ended = try await run.runChildren(children)
            let plans = ended.compactMap { child in child.result(as: DevicePlan.self).map { (child.target ?? "", $0) } }
            let fleet = FleetPlan(plans, commit: revision)
            try? run.record(result: fleet)
            run.setProgress("plan: \(fleet.changing.count) of \(fleet.devices) change" + (fleet.rebootRequired.isEmpty ? "" : ", \(fleet.rebootRequired.count) need a reboot"))
            try TaskRun.requireSuccess(of: ended)
            return
        }
        guard rollout.waves.count > 1 || rollout.failureBudget != nil else {
            try await run.runChildrenRequiringSuccess(children)
            run.setProgress("deployed \(revision.prefix(12)) to \(devices.count) device\(devices.count == 1 ? "" : "s")")
            return
        }
        try await runWaves(children, in: run)
    }

    /// One wave after another; the parent's result lists every device's outcome by wave.
    private func runWaves(_ children: [ValidatedSubmission], in run: TaskRun) async throws {
        let identifiers = devices.map(\.identifier)
        var result = RolloutResult(plan: rollout, devices: identifiers)
        var ended: [TaskRecord] = []
        for (number, wave) in rollout.waves.enumerated() {
            run.setProgress(result.progress(currentWave: number))
            try? run.record(result: result)
            let records = try await runWave(wave.map { children[$0] }, number: number, result: result, in: run)
            ended += records
            let halt = result.record(wave: number, records.map { ($0.id, Self.outcome(of: $0)) })
            run.setProgress(result.progress(currentWave: number))
            try? run.record(result: result)
            guard let halt else { continue }
            let rest = rollout.waves[(number + 1)...].joined().map { children[$0] }
            let skipped = try await run.skipChildren(rest, reason: "not started: the rollout halted after \(halt)")
            result.skipAfter(wave: number, tasks: skipped.map(\.id))
            run.setProgress(result.progress(currentWave: nil))
            try? run.record(result: result)
            throw TaskFailure("rollout halted: \(halt); \(rest.count) device\(rest.count == 1 ? "" : "s") not started")
        }
        run.setProgress(result.progress(currentWave: nil))
        try TaskRun.requireSuccess(of: ended)
    }

    /// Runs one wave's children; meanwhile the row counts each device as it ends, once a second.
    private func runWave(_ submissions: [ValidatedSubmission], number: Int, result: RolloutResult,
                         in run: TaskRun) async throws -> [TaskRecord] {
        let store = run.store, parent = run.taskID
        return try await run.whileTicking(every: .seconds(1), {
            guard let children = try? store.children(of: parent) else { return }
            var live = result
            for child in children where child.state.isFinal {
                if let identifier = child.target { live.note(identifier, ended: Self.outcome(of: child)) }
            }
            run.setProgress(live.progress(currentWave: number))
        }) {
            try await run.runChildren(submissions)
        }
    }

    /// How a device's deploy ended, from its typed result (issue 26), for the failure budget.
    static func outcome(of child: TaskRecord) -> RolloutDeviceOutcome {
        let ending = child.result(as: DeployDeviceResult.self)?.switchOutcome?.ending
        if child.state == .completed { return ending == .switched ? .switched : .confirmed }
        if child.cancelled { return .cancelled }
        return ending == .rolledBack ? .rolledBack : .failed
    }

    /// The deploy_device_task of one device: the shared fields of this submission plus its device.
    private func childSubmission(_ index: Int, commit: String) throws(SubmissionError) -> ValidatedSubmission {
        var child = fields.object
        child["type"] = .string(planOnly ? PlanDeviceKind.type : DeployDeviceKind.type)
        child["devices"] = nil
        child["plan"] = nil
        child["from_plan"] = nil
        child["planned"] = nil
        if let system = planned[devices[index].identifier] {
            child["planned_current"] = system.current.map(JSONValue.string) ?? .string("none")
            child["planned_toplevel"] = .string(system.new)
        }
        for field in RolloutSettings.fields { child[field] = nil }
        if planOnly { for field in SwitchPolicy.Overrides.fields { child[field] = nil } }
        child["device"] = devices[index].json
        child["commit"] = .string(commit)
        child["project_path"] = .string(context.projectPath)
        return try TaskKindRegistry([DeployDeviceKind.self, PlanDeviceKind.self]).validate(.object(child))
    }
}
