import Foundation

/// Copying a system closure from the controller's store into a device's own (issue 24).
///
/// A closure built on the controller carries no signature, and a device's Nix (a NixOS device by
/// default) refuses unsigned paths from a client it does not trust. Thymis' controller copies with
/// `--no-check-sigs`, since its SSH login is root on the device, which is full trust already; so
/// does this, unless the project names a signing key (`nix.signing_key`): then the closure is
/// signed first (`nix store sign`) and the device checks the signature, which serves devices that
/// are deployed as a user whose Nix trusts the controller's key.
struct ClosureCopy {
    let context: ProjectContext
    let device: DeviceAddress
    let sshOptions: String
    /// An ssh process running a command on the device (to ask which paths it lacks).
    let ssh: @Sendable (_ step: String, _ command: String) -> ProcessSpec
    /// The parent whose children share the closure's sizes (`FleetShared`), if any.
    var fleet: UUID? = nil

    /// What the copy found and did.
    struct Result {
        /// What had to be copied, when the closure and the device could be asked.
        var plan: CopyPlan?
        /// The output of the `whenPresent` command, when the device held the closure already and ran it.
        var presentOutput: String?
        /// The closure's paths and NAR sizes (`nix path-info`), when they could be read.
        var closure: [String: UInt64]?
    }

    /// Signs (when a key is set) and copies `storePath` with its closure, showing progress; throws a
    /// `TaskFailure` that says what the device said and what to do about it. `whenPresent` is a command
    /// the device runs in the same session as the question what it lacks, when it lacks nothing (a
    /// plan's inspection): the caller then needs no second connection.
    @discardableResult
    func run(_ storePath: String, in run: TaskRun, whenPresent: String? = nil) async throws -> Result {
        if let key = context.nix.signingKey {
            run.setProgress("signing the closure for \(device.login)")
            let sign = context.nixSpec(["store", "sign"], ["--key-file", key, "--recursive", storePath], in: run, stepName: "sign")
            let signed = try await run.run(sign)
            if !signed.succeeded {
                var reason = "sign failed: nix \(signed.endDescription)"
                if let error = signed.nixState.flatMap(NixStateSnapshot.firstError) { reason += ": \(error)" }
                throw TaskFailure(reason + "; check nix.signing_key (a secret key from `nix key generate-secret`)")
            }
        }
        let (plan, presentOutput, closure) = try await plan(storePath, whenPresent: whenPresent, in: run)
        // The device holds every path already (a second deploy, a deploy from a plan): nothing to
        // send, and `nix copy` would only open one more connection to find that out.
        if let plan, plan.paths == 0 {
            run.setProgress("\(device.login) has the whole closure already (\(plan.closurePaths) paths)")
            return Result(plan: plan, presentOutput: presentOutput, closure: closure)
        }
        run.setProgress(plan.map { CopyProgress.line(sent: 0, plan: $0, login: device.login, bytesPerSecond: nil) }
                        ?? "copying the closure to \(device.login)")
        let checkSignatures = context.nix.signingKey != nil
        let spec = context.nixSpec(
            ["copy"], (checkSignatures ? [] : ["--no-check-sigs"]) + ["--to", "ssh-ng://\(device.username)@\(device.host)", storePath],
            in: run, extraEnvironment: ["NIX_SSHOPTS": sshOptions], stepName: "copy")
        let copy: ProcessOutcome
        if let plan {
            let meter = CopyMeter(plan: plan, login: device.login, run: run)
            copy = try await run.whileTicking(every: .milliseconds(250), { meter.tick() }) { try await run.run(spec) }
        } else {
            copy = try await run.run(spec)
        }
        guard !copy.succeeded else { return Result(plan: plan, closure: closure) }
        // Nix names the store without its port: devices on one host would read the same.
        let nixError = copy.nixState.flatMap(NixStateSnapshot.firstError).map { SSHStoreName.withPort($0, port: device.port) }
        let stderr = (try? run.store.allStderrText(run.taskID, process: copy.index, limit: 1 << 16)) ?? ""
        var reason = "copy failed: nix \(copy.endDescription)"
        if let nixError { reason += ": \(nixError)" }
        if let advice = Self.deviceRefusal(nixError ?? "", signed: checkSignatures) { reason += "; \(advice)" }
        if let said = SSHDiagnosis.line(in: stderr) {
            reason += "; ssh: \(said)"
        } else if let nixError, Self.connectionLost(nixError) {
            // ssh killed mid-transfer may print nothing; Nix then only sees its pipe end.
            reason += "; the connection to the device was lost mid-copy: check that it is up, then retry (paths already there are not copied again)"
        }
        throw TaskFailure(reason)
    }

    /// What must be copied: the closure's paths and sizes, less what the device holds. Nil (and the
    /// copy goes on without a measure) when either cannot be read; the copy then says why, if it fails.
    private func plan(_ storePath: String, whenPresent: String?, in run: TaskRun) async throws -> (CopyPlan?, String?, [String: UInt64]?) {
        run.setProgress("finding what \(device.login) lacks of the closure")
        let pathInfo = context.nixSpec(["path-info"], ["--json", "-r", storePath], in: run, stepName: "closure", stdoutCaptureLimit: 64 << 20)
        // The same toplevel's closure is read once per fleet.
        guard let sizes = try? await FleetBuilds.shared(FleetBuilds.closures, parent: fleet, spec: pathInfo, compute: {
            let info = try await run.run(pathInfo)
            guard info.succeeded, let sizes = CopyPlan.narSizes(fromPathInfo: info.capturedStdout), !sizes.isEmpty else {
                throw TaskFailure("closure: nix path-info \(info.endDescription)")
            }
            return sizes
        }).value else { return (nil, nil, nil) }
        let marker = "thymis-closure-present-\(run.deviceToken())"
        var spec = ssh("missing", CopyPlan.missingQuery(then: whenPresent, marker: marker))
        spec.standardInput = CopyPlan.missingQueryInput(Array(sizes.keys))
        spec.stdoutCaptureLimit = 64 << 20
        let query = try await run.run(spec)
        let stdout = String(decoding: query.capturedStdout, as: UTF8.self)
        // The missing paths; when there were none, the marker and what the follow-on printed.
        guard let split = stdout.range(of: marker + "\n") else {
            guard query.succeeded else { return (nil, nil, sizes) }
            return (CopyPlan(sizes: sizes, missing: stdout.split(whereSeparator: \.isNewline).map(String.init)), nil, sizes)
        }
        return (CopyPlan(sizes: sizes, missing: []), String(stdout[split.upperBound...]), sizes)
    }

    /// Nix's words (2.8 to 2.31) for a remote store whose pipe ended under it.
    static func connectionLost(_ nixError: String) -> Bool {
        let lower = nixError.lowercased()
        return ["unexpected end-of-file", "broken pipe", "connection reset", "connection closed"]
            .contains { lower.contains($0) }
    }

    /// What to do when the device's Nix refused the copy, from Nix's own wording (2.8 to 2.31, Lix:
    /// "lacks a valid signature", "lacks a signature by a trusted key"), or ran out of space.
    static func deviceRefusal(_ nixError: String, signed: Bool) -> String? {
        let lower = nixError.lowercased()
        if lower.contains("lacks a valid signature") || lower.contains("lacks a signature by a trusted key") {
            return signed
                ? "the device does not trust nix.signing_key: add its public key (nix key convert-secret-to-public < KEY) to the device's trusted-public-keys, or deploy as root (then the copy skips the check)"
                : "the device requires signatures from this user: deploy as root, or set nix.signing_key in the project file and trust its public key on the device"
        }
        if lower.contains("no space left on device") || lower.contains("disk quota exceeded") {
            return "the device's disk is full: free space there (nix-collect-garbage -d on the device) and retry"
        }
        if lower.contains("protocol") && lower.contains("version") {
            return "the device's Nix speaks another protocol version: update Nix on the device or the controller"
        }
        return nil
    }
}
