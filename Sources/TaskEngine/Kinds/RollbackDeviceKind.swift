import Foundation

/// Roll Back Device (issue 26): puts a device's system profile back on an earlier generation (the
/// one before the current, or `to_generation`) and switches to it with the same confirm-or-revert
/// protocol as a deploy (`SafeSwitch`): a rollback that cuts the device off undoes itself too. The
/// device's generations (number, date, store path) are listed first, in its output and its result.
public struct RollbackDeviceKind: TaskKind {
    public static let type = "rollback_device_task"
    public static let typeName = "Roll Back Device"
    public static var secretFields: Set<String> { ProjectContext.secretFields }

    let login: DeviceLogin
    let generation: Int?
    let context: ProjectContext
    let switchPolicy: SwitchPolicy

    public init(fields: SubmissionFields) throws(SubmissionError) {
        try fields.requireOnly(DeviceLogin.fields + ["project_path", "to_generation"] + ProjectContext.fields + SwitchPolicy.Overrides.fields)
        login = try DeviceLogin(fields)
        generation = try fields.optionalInt("to_generation", range: 1...1_000_000)
        context = try ProjectContext(fields, projectPath: ProjectPath.validate(fields))
        switchPolicy = try login.switchPolicy(fields, context.projectFile)
    }

    public var displayName: String { "Roll back \(login.device.identifier)" }
    public var target: String? { login.device.identifier }
    public var pool: Pool? { .remote }

    public func run(_ run: TaskRun) async throws {
        let knownHosts = try login.knownHosts(in: run)
        let login = self.login, knownHostsPath = knownHosts.path
        let profile = login.systemProfile(context.projectFile)
        run.setProgress("listing the generations of \(profile)")
        let listing = try await run.run(login.sshSpec("generations", DeviceGeneration.listCommand(profile: profile),
                                                      knownHostsPath: knownHostsPath, in: run))
        guard listing.succeeded else { throw SSHOptions.failure(of: listing, login: login.device.login, step: "generations") }
        let generations = DeviceGeneration.parse(String(decoding: listing.capturedStdout, as: UTF8.self))
        let target = try DeviceGeneration.target(in: generations, asked: generation, profile: profile)

        let safeSwitch = SafeSwitch(policy: switchPolicy, profile: profile, login: login.device.login,
                                    ssh: { login.sshSpec($0, $1, knownHostsPath: knownHostsPath, in: run) })
        let (result, outcome) = try await safeSwitch.run(.generation(target), in: run) { result in
            var result = result
            result.generations = generations
            try? run.record(result: result)
        }
        if let reason = outcome.failureReason(previous: result.previous) { throw TaskFailure(reason) }
        run.setProgress("back on generation \(target)" + (outcome.ending == .confirmed ? ", confirmed" : ""))
    }
}
