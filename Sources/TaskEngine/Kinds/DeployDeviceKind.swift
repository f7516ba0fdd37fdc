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
    var device: DeviceAddress { login.device }

    public init(fields: SubmissionFields) throws(SubmissionError) {
        try fields.requireOnly(DeviceLogin.fields + ["project_path", "commit"] + ProjectContext.fields + SwitchPolicy.Overrides.fields)
        login = try DeviceLogin(fields)
        commit = try GitRevision.optional(fields)
        context = try ProjectContext(fields, projectPath: ProjectPath.validate(fields))
        switchPolicy = try login.switchPolicy(fields, context.projectFile)
    }

    public var displayName: String { "Deploy to \(device.identifier)" }
    public var target: String? { device.identifier }
    public var pool: Pool? { .remote }

    public func run(_ run: TaskRun) async throws {
        let knownHosts = try login.knownHosts(in: run)
        let delivery = SystemDelivery(login: login, context: context, commit: commit, knownHostsPath: knownHosts.path)
        let (toplevel, copied) = try await delivery.deliver(in: run)
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
}
