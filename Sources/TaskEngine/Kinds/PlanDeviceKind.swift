import Foundation

/// Plan Deploy to Device (issue 27): everything a deploy does up to, and excluding, the switch.
/// It builds the toplevel, copies its closure (new store paths are all that changes on the
/// device), and in one SSH session reads what the device runs, both closures, and what
/// `switch-to-configuration dry-activate` would do; the `DevicePlan` is the task's result.
public struct PlanDeviceKind: TaskKind {
    public static let type = "plan_device_task"
    public static let typeName = "Plan Deploy to Device"
    public static var secretFields: Set<String> { ProjectContext.secretFields }

    let login: DeviceLogin
    let commit: String?
    let context: ProjectContext

    public init(fields: SubmissionFields) throws(SubmissionError) {
        try fields.requireOnly(DeviceLogin.fields + ["project_path", "commit"] + ProjectContext.fields)
        login = try DeviceLogin(fields)
        commit = try GitRevision.optional(fields)
        context = try ProjectContext(fields, projectPath: ProjectPath.validate(fields))
    }

    public var displayName: String { "Plan deploy to \(login.device.identifier)" }
    public var target: String? { login.device.identifier }
    public var pool: Pool? { .remote }

    public func run(_ run: TaskRun) async throws {
        let knownHosts = try login.knownHosts(in: run)
        let delivery = SystemDelivery(login: login, context: context, commit: commit, knownHostsPath: knownHosts.path)
        let token = run.deviceToken(), profile = login.systemProfile(context.projectFile)
        // A device that holds the closure already is inspected in the session that asked what it
        // lacks; the new closure's paths and sizes are the ones the controller read for that question.
        let (toplevel, copied, presentOutput, closure) = try await delivery.deliver(in: run) { toplevel in
            DevicePlanInspection.command(token: token, profile: profile, new: toplevel, newClosureKnown: true)
        }
        if let presentOutput, let closure,
           let plan = DevicePlanInspection.parse(presentOutput, token: token, new: toplevel, copied: copied, newClosure: closure) {
            return try record(plan, in: run)
        }
        func inspection(_ toplevel: String) -> String { DevicePlanInspection.command(token: token, profile: profile, new: toplevel) }
        run.setProgress("comparing with what \(login.device.identifier) runs")
        var spec = delivery.ssh(run)("inspect", inspection(toplevel))
        spec.stdoutCaptureLimit = 64 << 20
        let inspected = try await run.run(spec)
        guard inspected.succeeded,
              let plan = DevicePlanInspection.parse(String(decoding: inspected.capturedStdout, as: UTF8.self), token: token,
                                                    new: toplevel, copied: copied) else {
            if inspected.exitCode == 255 { throw SSHOptions.failure(of: inspected, login: login.device.login, step: "inspect") }
            throw TaskFailure("inspect failed: the command on \(login.device.login) \(inspected.endDescription)"
                              + (inspected.lastStderrLine.map { ": \($0)" } ?? ""))
        }
        try record(plan, in: run)
    }

    private func record(_ plan: DevicePlan, in run: TaskRun) throws {
        try run.record(result: plan)
        run.setProgress(plan.summary)
    }
}
