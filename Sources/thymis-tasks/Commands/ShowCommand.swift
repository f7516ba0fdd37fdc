import ArgumentParser
import TaskEngine

/// `show ID`: everything about one task.
struct ShowCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "show", abstract: "Show one task: state, submission, processes, Nix summary.")

    @OptionGroup var global: GlobalOptions
    @Argument(help: "The task id or a unique prefix of it.") var id: String
    @Flag(help: "Print JSON.") var json = false

    func run() throws {
        let store = try global.openStore(readOnly: true)
        let record = try store.resolveForCommand(id)
        print(json ? try TaskJSON.render(record, store: store, detailed: true) : try TaskText.detail(record, store: store))
    }
}
