import Foundation

/// The first half of a deploy and of a plan: build the device's configuration at the revision and
/// copy its closure into the device's own store. What follows differs: a deploy switches, a plan
/// only looks.
struct SystemDelivery {
    let login: DeviceLogin
    let context: ProjectContext
    let commit: String?
    let knownHostsPath: String

    /// An ssh process on the device, named `step`, for this task.
    func ssh(_ run: TaskRun) -> @Sendable (String, String) -> ProcessSpec {
        let login = self.login, knownHostsPath = self.knownHostsPath
        return { step, command in login.sshSpec(step, command, knownHostsPath: knownHostsPath, in: run) }
    }

    /// The toplevel built, what the copy had to send, and what `whenPresent(toplevel)` printed when the
    /// device held the closure already and ran it in the same session (see `ClosureCopy.run`).
    func deliver(in run: TaskRun, whenPresent: ((String) -> String)? = nil) async throws
        -> (toplevel: String, copied: CopyPlan?, presentOutput: String?, closure: [String: UInt64]?) {
        let device = login.device
        let revision: String
        if let commit { revision = commit } else { revision = try await GitRevision.committedHead(of: context.projectPath, in: run) }
        run.setProgress("building \(device.configuration) at \(revision.prefix(12))")
        let build = context.buildSpec(
            context.installable(configuration: device.configuration, attribute: "config.system.build.toplevel", commit: revision),
            in: run, stepName: "build")
        // Devices of one fleet that run the same configuration build it once (FleetShared).
        let parent = FleetBuilds.parent(of: run)
        let (toplevel, shared) = try await FleetBuilds.shared(FleetBuilds.toplevels, parent: parent, spec: build) {
            try await context.buildOne(build, in: run)
        }
        if shared { run.setProgress("\(device.configuration) at \(revision.prefix(12)) was built once for the fleet: \(toplevel)") }
        let sshOpts = try SSHOptions.nixSSHOpts(port: device.port, keyPath: login.keyPath, knownHostsPath: knownHostsPath,
                                                connectTimeout: login.connectTimeout)
        let copy = try await ClosureCopy(context: context, device: device, sshOptions: sshOpts, ssh: ssh(run), fleet: parent)
            .run(toplevel, in: run, whenPresent: whenPresent?(toplevel))
        return (toplevel, copy.plan, copy.presentOutput, copy.closure)
    }
}
