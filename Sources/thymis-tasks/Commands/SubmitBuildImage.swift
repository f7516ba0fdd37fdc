import ArgumentParser
import Foundation
import TaskEngine

/// `submit build-image --project DIR --configuration ID`
struct BuildImageSubmit: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "build-image", abstract: "Build a configuration's image and copy it to the image directory (Build Image for Device).",
        discussion: "The attribute and directory come from the project file (docs/project.md) unless given here.")
    @OptionGroup var global: GlobalOptions
    @OptionGroup var submit: SubmitOptions
    @OptionGroup var projectOptions: ProjectOptions
    @Option(name: .customLong("configuration"), help: ArgumentHelp("The nixosConfigurations name.", valueName: "id"))
    var configurationID: String
    @Option(help: ArgumentHelp("The image attribute, e.g. config.system.build.sdImage.", valueName: "attr")) var attribute: String?
    @Option(help: ArgumentHelp("Build this commit instead of the working tree.", valueName: "rev")) var commit: String?

    func run() async throws {
        _ = try projectOptions.load()
        var fields = projectOptions.fields
        fields["type"] = .string(BuildDeviceImageKind.type)
        fields["device_identifier"] = .string(configurationID)
        if let attribute { fields["image_attribute"] = .string(attribute) }
        if let commit { fields["commit"] = .string(commit) }
        try await Submitter(global: global, options: submit).submit(checkedSubmission(fields))
    }
}

/// `submit run-vm --project DIR --configuration ID`
struct RunVMSubmit: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run-vm", abstract: "Build a configuration's VM and run it until cancelled (Run NixOS VM for Device).")
    @OptionGroup var global: GlobalOptions
    @OptionGroup var submit: SubmitOptions
    @OptionGroup var projectOptions: ProjectOptions
    @Option(name: .customLong("configuration"), help: ArgumentHelp("The nixosConfigurations name.", valueName: "id"))
    var configurationID: String
    @Option(help: ArgumentHelp("Build this commit instead of the working tree.", valueName: "rev")) var commit: String?

    func run() async throws {
        _ = try projectOptions.load()
        var fields = projectOptions.fields
        fields["type"] = .string(RunNixOSVMKind.type)
        fields["configuration_id"] = .string(configurationID)
        if let commit { fields["commit"] = .string(commit) }
        try await Submitter(global: global, options: submit).submit(checkedSubmission(fields))
    }
}
