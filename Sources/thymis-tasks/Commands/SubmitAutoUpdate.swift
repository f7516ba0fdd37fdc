import ArgumentParser
import Foundation
import TaskEngine

/// `submit auto-update --project DIR [--device ID... | --all] [--no-deploy]`
struct AutoUpdateSubmit: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "auto-update", abstract: "Update the flake inputs, commit flake.lock and deploy the new commit (Auto-update).",
        discussion: """
            Stashes uncommitted changes to tracked files, runs nix flake update, commits flake.lock alone \
            (listing each changed input with its old and new revision), pops the stash, then deploys the new \
            commit to the devices (default: every device of the project file). When no input changed, nothing \
            is committed or deployed. The commit author is the project file's auto_update.author \
            (default: thymis-tasks <thymis-tasks@localhost>).
            """)
    @OptionGroup var global: GlobalOptions
    @OptionGroup var submit: SubmitOptions
    @OptionGroup var projectOptions: ProjectOptions
    @Option(name: .customLong("device"), help: ArgumentHelp("Deploy only this device of the project file (repeatable).", valueName: "id"))
    var devices: [String] = []
    @Flag(help: "Deploy every device of the project file (the default).") var all = false
    @Flag(help: "Commit the update but deploy nothing.") var noDeploy = false
    @Option(help: ArgumentHelp("The private key to log in with (default: the project file's ssh.identity).", valueName: "key"))
    var identity: String?

    func run() async throws {
        guard !(all && !devices.isEmpty) else { throw CLIError("give --device ID (one or more) or --all, not both", code: ExitCodes.usage) }
        guard !noDeploy || (devices.isEmpty && !all && identity == nil) else {
            throw CLIError("--no-deploy deploys nothing; leave out --device, --all and --identity", code: ExitCodes.usage)
        }
        var fields = projectOptions.fields
        fields["type"] = .string(AutoUpdateKind.type)
        if noDeploy {
            fields["no_deploy"] = .bool(true)
        } else if !devices.isEmpty || identity != nil {
            let file = try projectOptions.load(requiredFor: "submit auto-update --device")!
            if !devices.isEmpty { fields["devices"] = .array(try projectDevices(devices, in: file).map(deviceJSON)) }
            fields["ssh_key_path"] = .string(try sshIdentity(identity, in: file))
        } else {
            _ = try projectOptions.load()
        }
        try await Submitter(global: global, options: submit).submit(checkedSubmission(fields))
    }
}
