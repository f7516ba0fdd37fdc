import Foundation

/// Deploy to Device: builds the configuration's toplevel at the committed revision, copies its
/// closure into the device's own store (`ClosureCopy`), then sets the system profile and switches
/// to it in a way that survives a configuration that cuts the device off (`SafeSwitch`): the
/// device rolls itself back unless a new connection confirms it. The device's previous and new
/// system and how the switch ended are the task's result.
public struct DeployDeviceKind: TaskKind {
    public static let type = "deploy_device_task"
    public static let typeName = "Deploy to Device"
    public static var secretFields: Set<String> { ProjectContext.secretFields }

    let login: DeviceLogin
    let commit: String?
    let context: ProjectContext
    let switchPolicy: SwitchPolicy
    /// From a plan (issue 27): what the device ran when planned ("none": no system) and the toplevel planned.
    let planned: (current: String?, toplevel: String)?
    var device: DeviceAddress { login.device }

    public init(fields: SubmissionFields) throws(SubmissionError) {
        try fields.requireOnly(DeviceLogin.fields + ["project_path", "commit"] + ProjectContext.fields + SwitchPolicy.Overrides.fields
                               + ["planned_current", "planned_toplevel"])
        login = try DeviceLogin(fields)
        commit = try GitRevision.optional(fields)
        context = try ProjectContext(fields, projectPath: ProjectPath.validate(fields))
        switchPolicy = try login.switchPolicy(fields, context.projectFile)
        planned = try Self.readPlanned(fields)
    }

    private static func readPlanned(_ fields: SubmissionFields) throws(SubmissionError) -> (current: String?, toplevel: String)? {
        let current = try fields.optionalString("planned_current", maxBytes: 4096)
        guard let toplevel = try fields.optionalString("planned_toplevel", maxBytes: 4096) else {
            if current != nil { throw .missingField(type: fields.context, field: "planned_toplevel") }
            return nil
        }
        guard let current else { throw .missingField(type: fields.context, field: "planned_current") }
        for (name, value) in [("planned_toplevel", toplevel), ("planned_current", current)] where !(name == "planned_current" && value == "none") {
            if let problem = PlannedSystem.storePathProblem(value) { throw .invalidValue(type: fields.context, field: name, reason: problem) }
        }
        return (current == "none" ? nil : current, toplevel)
    }

    public var displayName: String { "Deploy to \(device.identifier)" }
    public var target: String? { device.identifier }
    public var pool: Pool? { .remote }

    public func run(_ run: TaskRun) async throws {
        let knownHosts = try login.knownHosts(in: run)
        let delivery = SystemDelivery(login: login, context: context, commit: commit, knownHostsPath: knownHosts.path)
        let (toplevel, copied, _, _) = try await delivery.deliver(in: run)
        if let planned { try await check(planned, built: toplevel, delivery: delivery, in: run) }
        let safeSwitch = SafeSwitch(policy: switchPolicy, profile: login.systemProfile(context.projectFile), login: device.login,
                                    ssh: delivery.ssh(run))
        // Not recording it must not stop the deploy between setting the profile and switching to it.
        let (result, outcome) = try await safeSwitch.run(.toplevel(toplevel), in: run) { result in
            var result = result
            result.copied = copied
            try? run.record(result: result)
        }
        if let reason = outcome.failureReason(previous: result.previous) { throw TaskFailure(reason) }
        run.setProgress(outcome.ending == .confirmed ? "switched to \(toplevel), confirmed" : "switched to \(toplevel)")
    }

    /// A deploy from a plan switches only what was planned, on a device still running what it was
    /// planned against; anything else fails the device naming what moved.
    private func check(_ planned: (current: String?, toplevel: String), built toplevel: String, delivery: SystemDelivery,
                       in run: TaskRun) async throws {
        guard toplevel == planned.toplevel else {
            throw TaskFailure("check plan failed: the build at this commit gave \(toplevel), not the planned \(planned.toplevel); plan again")
        }
        run.setProgress("checking that \(device.identifier) still runs what was planned against")
        let command = DevicePlanInspection.currentSystemCommand(profile: login.systemProfile(context.projectFile))
        let read = try await run.run(delivery.ssh(run)("check plan", command))
        guard read.succeeded else {
            if read.exitCode == 255 { throw SSHOptions.failure(of: read, login: device.login, step: "check plan") }
            throw TaskFailure("check plan failed: reading the current system on \(device.login) \(read.endDescription)")
        }
        let now = String(decoding: read.capturedStdout, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard (now.isEmpty ? nil : now) == planned.current else {
            throw TaskFailure("check plan failed: \(device.identifier) now runs \(now.isEmpty ? "no system" : now); the plan was made against \(planned.current ?? "no system"); plan again")
        }
    }
}
