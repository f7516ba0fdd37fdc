import ArgumentParser
import Foundation
import TaskEngine

/// `submit deploy --project DIR (--device ID... | --all)`
struct DeploySubmit: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "deploy", abstract: "Deploy the committed revision to devices of the project file (Deploy Devices).",
        discussion: """
            One Deploy to Device child per device, in the remote pool: build the configuration's toplevel at \
            HEAD (a repository with uncommitted changes is refused), nix copy to the device over ssh-ng, set \
            the system profile, switch-to-configuration switch. The switch runs detached on the device; a new \
            connection must then confirm it (after the project file's deploy.health_command, if set) within \
            the confirm timeout, or the device rolls itself back to the generation it ran before.
            """)
    @OptionGroup var global: GlobalOptions
    @OptionGroup var submit: SubmitOptions
    @OptionGroup var projectOptions: ProjectOptions
    @Option(name: .customLong("device"), help: ArgumentHelp("A device identifier from the project file (repeatable).", valueName: "id"))
    var devices: [String] = []
    @Flag(help: "Deploy every device of the project file.") var all = false
    @Option(help: ArgumentHelp("Deploy this commit instead of HEAD.", valueName: "rev")) var commit: String?
    @Option(help: ArgumentHelp("The private key to log in with (default: the project file's ssh.identity).", valueName: "key"))
    var identity: String?
    @Option(help: ArgumentHelp("Seconds a device waits for confirmation after switching before it rolls back (10-3600; default: the project file's deploy.confirm_timeout, else 60).",
                               valueName: "seconds"))
    var confirmTimeout: Int?
    @Flag(help: "Switch without confirmation or rollback: a device that the new configuration cuts off stays cut off.")
    var noRollback = false
    @Flag(help: "Plan only: build, copy and compare with what each device runs (packages, sizes, units, reboot), without switching.")
    var plan = false
    @Option(help: ArgumentHelp("Deploy exactly what this finished plan planned (task id or prefix): its commit, to its devices; refused when the project's HEAD or a device's system moved since.",
                               valueName: "id"))
    var fromPlan: String?
    @Option(help: ArgumentHelp("Deploy this device first, in a wave of its own (repeatable; needs several devices).", valueName: "id"))
    var canary: [String] = []
    @Option(help: ArgumentHelp("Devices per wave after the canaries: a count or a percentage of the devices (e.g. 5 or 25%).", valueName: "n|p%"))
    var waveSize: String?
    @Option(help: ArgumentHelp("Devices that may fail or roll back before the remaining waves are not started (default 0 with waves).", valueName: "n"))
    var maxFailures: Int?

    func run() async throws {
        if let fromPlan { return try await deployPlan(fromPlan) }
        guard all != !devices.isEmpty else {
            throw CLIError("give --device ID (one or more) or --all, not both and not neither", code: ExitCodes.usage)
        }
        let file = try projectOptions.load(requiredFor: "submit deploy")!
        let chosen = all ? file.devices : try projectDevices(devices, in: file)
        guard !chosen.isEmpty else { throw CLIError("project file \(file.path) lists no devices", code: ExitCodes.badInput) }
        var fields = projectOptions.fields
        fields["type"] = .string(DeployDevicesKind.type)
        fields["devices"] = .array(chosen.map(deviceJSON))
        fields["ssh_key_path"] = .string(try sshIdentity(identity, in: file))
        if let knownHosts = file.ssh.knownHosts { fields["known_hosts_path"] = .string(knownHosts) }
        if let timeout = file.ssh.connectTimeout { fields["connect_timeout"] = .number(Double(timeout)) }
        if let commit { fields["commit"] = .string(commit) }
        try addSwitchPolicy(to: &fields)
        if plan {
            guard canary.isEmpty, waveSize == nil, maxFailures == nil, confirmTimeout == nil, !noRollback else {
                throw CLIError("--plan changes no device: give it without --canary, --wave-size, --max-failures, --confirm-timeout and --no-rollback",
                               code: ExitCodes.badInput)
            }
            fields["plan"] = .bool(true)
        }
        try addRollout(to: &fields, devices: chosen.map(\.identifier))
        try await Submitter(global: global, options: submit).submit(checkedSubmission(fields))
    }

    /// `--from-plan ID`: the plan's own devices, project and commit; only how to switch and the waves are asked here.
    private func deployPlan(_ id: String) async throws {
        guard devices.isEmpty, !all, commit == nil, !plan, projectOptions.project == ".", projectOptions.projectFile == nil, identity == nil else {
            throw CLIError("--from-plan deploys the plan's own project, commit and devices: give it without --device, --all, --commit, --plan, --project and --identity",
                           code: ExitCodes.usage)
        }
        let store = try global.openStore()
        let record = try store.resolveForCommand(id)
        let head = PlanDeployment.projectPath(of: record).flatMap(PlanDeployment.projectHead)
        var fields: [String: JSONValue]
        let children = try store.children(of: record.id)
        do { fields = try PlanDeployment.fields(plan: record, children: children, head: head) } catch {
            throw CLIError(error.description, code: ExitCodes.badInput)
        }
        try addSwitchPolicy(to: &fields)
        var planned: [String] = []
        if case .array(let items)? = fields["planned"] {
            for case .object(let entry) in items { if let device = entry["device"]?.stringValue { planned.append(device) } }
        }
        try addRollout(to: &fields, devices: planned)
        try await Submitter(global: global, options: submit).submit(checkedSubmission(fields))
    }

    /// `--confirm-timeout` and `--no-rollback`, checked here so the error names the flag.
    private func addSwitchPolicy(to fields: inout [String: JSONValue]) throws {
        if let confirmTimeout {
            guard SwitchPolicy.confirmTimeoutRange.contains(confirmTimeout) else {
                throw CLIError("--confirm-timeout is \(confirmTimeout); give 10 to 3600 seconds", code: ExitCodes.badInput)
            }
            fields["confirm_timeout"] = .number(Double(confirmTimeout))
        }
        if noRollback { fields["rollback"] = .bool(false) }
    }

    /// The rollout flags, checked here so the error names the flag (the engine checks the fields again).
    private func addRollout(to fields: inout [String: JSONValue], devices: [String]) throws {
        var settings = RolloutSettings(canaries: canary, maxFailures: maxFailures)
        if let waveSize {
            guard let size = RolloutSettings.WaveSize(waveSize) else {
                throw CLIError("--wave-size is \(waveSize); give a device count from 1 or a percentage from 1% to 100% (e.g. 5 or 25%)",
                               code: ExitCodes.badInput)
            }
            settings.waveSize = size
        }
        if let maxFailures, maxFailures < 0 {
            throw CLIError("--max-failures is \(maxFailures); give 0 or more", code: ExitCodes.badInput)
        }
        if let problem = settings.problem(devices: devices, names: ("--canary", "--wave-size", "--max-failures")) {
            throw CLIError("\(problem.setting) \(problem.reason)", code: ExitCodes.badInput)
        }
        if !canary.isEmpty { fields["canary"] = .array(canary.map { .string($0) }) }
        if let size = settings.waveSize {
            switch size {
            case .count(let count): fields["wave_size"] = .number(Double(count))
            case .percent: fields["wave_size"] = .string(size.description)
            }
        }
        if let maxFailures { fields["max_failures"] = .number(Double(maxFailures)) }
    }
}
