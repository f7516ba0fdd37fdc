import ArgumentParser
import Foundation
import TaskEngine

/// `submit rollback --project DIR --device ID [--to-generation N]`
struct RollbackSubmit: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rollback", abstract: "Put a device back on an earlier system generation (Roll Back Device).",
        discussion: """
            Lists the device's generations of its system profile, sets the profile to the one before the \
            current (or --to-generation N) and switches to it, with the same protocol as a deploy: the \
            device goes back again unless a new connection confirms it within the confirm timeout.
            """)
    @OptionGroup var global: GlobalOptions
    @OptionGroup var submit: SubmitOptions
    @OptionGroup var projectOptions: ProjectOptions
    @Option(help: ArgumentHelp("The device, by its identifier in the project file.", valueName: "id")) var device: String
    @Option(help: ArgumentHelp("The generation to go back to (default: the one before the current).", valueName: "n"))
    var toGeneration: Int?
    @Option(help: ArgumentHelp("The private key to log in with (default: the project file's ssh.identity).", valueName: "key"))
    var identity: String?
    @Option(help: ArgumentHelp("Seconds the device waits for confirmation before it goes back again (10-3600).", valueName: "seconds"))
    var confirmTimeout: Int?

    func run() async throws {
        let file = try projectOptions.load(requiredFor: "submit rollback")!
        let entry = try projectDevices([device], in: file)[0]
        var fields = projectOptions.fields
        fields["type"] = .string(RollbackDeviceKind.type)
        fields["device"] = deviceJSON(entry)
        fields["ssh_key_path"] = .string(try sshIdentity(identity, in: file))
        if let knownHosts = file.ssh.knownHosts { fields["known_hosts_path"] = .string(knownHosts) }
        if let timeout = file.ssh.connectTimeout { fields["connect_timeout"] = .number(Double(timeout)) }
        if let toGeneration {
            guard toGeneration >= 1 else { throw CLIError("--to-generation is \(toGeneration); give a generation number from 1", code: ExitCodes.badInput) }
            fields["to_generation"] = .number(Double(toGeneration))
        }
        if let confirmTimeout {
            guard SwitchPolicy.confirmTimeoutRange.contains(confirmTimeout) else {
                throw CLIError("--confirm-timeout is \(confirmTimeout); give 10 to 3600 seconds", code: ExitCodes.badInput)
            }
            fields["confirm_timeout"] = .number(Double(confirmTimeout))
        }
        try await Submitter(global: global, options: submit).submit(checkedSubmission(fields))
    }
}
