import ArgumentParser
import Dashboard
import Foundation
import TaskEngine

/// Options shared by every form of `submit`.
struct SubmitOptions: ParsableArguments {
    @Flag(help: """
        Wait until the task has ended; exit 0 if it completed, 1 if it failed or was cancelled. An ssh-command \
        streams the command's stdout and stderr meanwhile and exits with the remote command's status (255: ssh \
        could not connect or log in).
        """)
    var wait = false

    @Flag(help: "Print the task record as JSON instead of its id (with --wait: one line for the id, one for the final record as `show --json` prints it).")
    var json = false

    @Flag(help: "With --wait on an ssh-command: do not stream the command's output (the exit status stays the remote command's).")
    var quiet = false
}

/// `submit`: hand a task to the engine (starting one in the background when none runs).
struct SubmitCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "submit",
        abstract: "Submit a task: one of the forms below, or raw submission JSON with --file.",
        discussion: """
            Every field is checked before anything is stored. When no engine runs for the state \
            directory, one is started in the background (`serve --on-demand`, in its own session, logging \
            to the state directory's log); it exits after THYMIS_TASKS_IDLE_EXIT seconds (default 60) with \
            nothing pending or running. The command returns once the engine has the task (the id), or \
            when the task has ended with --wait.
            Submission JSON: see docs/submissions.md, e.g. {"type": "build_project_task", "project_path": "/srv/fleet"}.
            """,
        subcommands: [BuildProjectSubmit.self, UpdateFlakeSubmit.self, DeploySubmit.self, BuildImageSubmit.self,
                      RunVMSubmit.self, SSHCommandSubmit.self, AutoUpdateSubmit.self, RollbackSubmit.self]
    )

    @OptionGroup var global: GlobalOptions
    @OptionGroup var submit: SubmitOptions

    @Option(name: .long, help: ArgumentHelp("A file holding the submission JSON, or - for standard input.", valueName: "file"))
    var file: String?

    func run() async throws {
        guard let file else {
            throw CLIError("give a task form (build-project, update-flake, deploy, build-image, run-vm, ssh-command, auto-update) or --file FILE; see `thymis-tasks submit --help`",
                           code: ExitCodes.usage)
        }
        let data: Data
        if file == "-" {
            data = FileHandle.standardInput.readDataToEndOfFile()
        } else {
            guard let contents = FileManager.default.contents(atPath: file) else {
                throw CLIError("cannot read submission file \(file): it does not exist or is not readable", code: ExitCodes.badInput)
            }
            data = contents
        }
        guard data.count <= 4 << 20 else {
            throw CLIError("submission file \(file) is \(data.count) bytes; a submission is at most 4 MiB", code: ExitCodes.badInput)
        }
        let validated: ValidatedSubmission
        do { validated = try TaskKindRegistry.standard.validate(data) } catch { throw CLIError(error) }
        try await Submitter(global: global, options: submit).submit(validated)
    }
}

/// The shared path of every `submit` form: validate, hand over (starting a background engine when none
/// runs), report.
struct Submitter {
    let global: GlobalOptions
    let options: SubmitOptions

    func submit(_ submission: ValidatedSubmission) async throws {
        let isSSHCommand = submission.type == SSHCommandKind.type
        // Refused before anything is stored: --quiet has nothing to silence anywhere else.
        if options.quiet && !(options.wait && isSSHCommand) {
            throw CLIError("--quiet only silences the output `submit ssh-command --wait` streams; add --wait to an ssh-command, or drop --quiet",
                           code: ExitCodes.usage)
        }
        let store = try global.openStore()
        let idText = try await EngineSession(options: global, store: store).perform(.submit, payload: submission.text)
        guard let id = UUID(uuidString: idText), let record = try store.task(id) else {
            throw CLIError("the engine answered \"\(idText)\" instead of a task id", code: ExitCodes.engine)
        }
        guard options.wait else {
            try report(record, store: store)
            return
        }
        // As `ssh host cmd`: the command's output on our stdout/stderr while it runs (sanitised on a
        // terminal, as `logs` prints it). Not with --json, whose stdout is NDJSON only.
        let streams = isSSHCommand && !options.quiet && !options.json
        // The id at once, flushed, so a script (or `> file`) has it while the task runs; the
        // final record (--json) or the failure (stderr) follow when it ends. While the output is
        // streamed, stdout is the remote command's alone, so the id goes to stderr.
        let idLine = options.json ? JSONValue.object(["id": .string(id.uuidString.lowercased())]).canonicalText() : id.uuidString.lowercased()
        // Written straight to the fd, past print's buffer (which holds a redirected stdout until exit).
        LogPrinter.writeAll(streams ? 2 : 1, Array(((streams ? "thymis-tasks: task " : "") + idLine + "\n").utf8))
        var follower = streams ? OutputFollower(task: id, printer: LogPrinter(sanitize: true)) : nil
        let final = try await TaskWaiter(store: store, options: global).waitUntilEnded(id) { try follower?.copyNewOutput(from: store) }
        // What was stored between the last look and the end.
        try follower?.copyNewOutput(from: store)
        follower?.finish()
        try report(final, store: store, idPrinted: true)
        let code = isSSHCommand ? try SSHCommandExit.code(of: final, store: store) : (final.state == .completed ? ExitCodes.success : ExitCodes.taskFailed)
        if code != ExitCodes.success { throw ExitCode(code) }
    }

    private func report(_ record: TaskRecord, store: TaskStore, idPrinted: Bool = false) throws {
        if options.json && idPrinted {
            // NDJSON after the id line: the final record on one line, with what `show --json` adds (cause, processes).
            print(JSONValue.object(try TaskJSON.object(record, store: store, detailed: true)).canonicalText())
        } else if options.json {
            print(try TaskJSON.render(record, store: store, detailed: false))
        } else {
            if !idPrinted { print(record.id.uuidString.lowercased()) }
            if options.wait, record.state.isFinal, record.state != .completed {
                // "task cancelled", not "task cancelled: cancelled"; a builder's log lines on lines of their own.
                let reason = record.cancelled ? [] : (record.failureReason ?? "").split(separator: "\n").map { TerminalText.plain(String($0)) }
                let text = "thymis-tasks: task \(record.displayState.rawValue)" + (reason.isEmpty ? "" : ": " + reason.joined(separator: "\n")) + "\n"
                FileHandle.standardError.write(Data(text.utf8))
            }
        }
    }
}

/// `submit build-project --project DIR`
struct BuildProjectSubmit: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "build-project", abstract: "Build every NixOS configuration of a project (Build Project).")
    @OptionGroup var global: GlobalOptions
    @OptionGroup var submit: SubmitOptions
    @Option(help: ArgumentHelp("The project directory (holding flake.nix).", valueName: "dir")) var project: String

    func run() async throws {
        try await Submitter(global: global, options: submit).submit(
            checkedSubmission(["type": .string(BuildProjectKind.type), "project_path": .string(project)]))
    }
}

/// `submit update-flake --project DIR`
struct UpdateFlakeSubmit: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "update-flake", abstract: "Update the project's flake inputs (Update Nix Flake).")
    @OptionGroup var global: GlobalOptions
    @OptionGroup var submit: SubmitOptions
    @Option(help: ArgumentHelp("The project directory (holding flake.nix).", valueName: "dir")) var project: String

    func run() async throws {
        try await Submitter(global: global, options: submit).submit(
            checkedSubmission(["type": .string(FlakeUpdateKind.type), "project_path": .string(project)]))
    }
}

/// `submit ssh-command --host H [--port P] [--user U] --identity KEY --known-hosts FILE -- COMMAND...`
/// or `submit ssh-command --device ID [--project DIR] -- COMMAND...` (address and host key from the project file).
struct SSHCommandSubmit: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ssh-command", abstract: "Run a command on a host over ssh (Run SSH Command).",
        discussion: """
            Either --device ID (host, port, user, host key and identity from the project file) or --host with \
            --identity and --known-hosts. The command words are joined with spaces and run by the remote user's shell.
            With --wait, as `ssh host cmd`: the command's stdout and stderr are streamed to ours while it runs \
            (control characters shown visibly on a terminal; --quiet: not at all; --json: not at all, stdout is \
            the id line and the final record), the task id goes to stderr, and the exit code is the remote \
            command's: 0-254 as the command exited, 255 when ssh could not connect or log in, 128+N when ssh \
            was killed by signal N (a cancel: 143), 1 when no ssh ran (cancelled while pending, could not start).
            """)
    @OptionGroup var global: GlobalOptions
    @OptionGroup var submit: SubmitOptions
    @Option(help: ArgumentHelp("A device identifier from the project file.", valueName: "id")) var device: String?
    @Option(help: ArgumentHelp("The project directory, for --device.", valueName: "dir")) var project: String = "."
    @Option(help: ArgumentHelp("The project file, for --device (default: DIR/thymis-project.json).", valueName: "path"))
    var projectFile: String?
    @Option(help: "The host name or address.") var host: String?
    @Option(help: "The ssh port.") var port: Int = 22
    @Option(help: "The remote user.") var user: String = "root"
    @Option(help: ArgumentHelp("The private key to log in with.", valueName: "key")) var identity: String?
    @Option(help: ArgumentHelp("A known-hosts file holding the host's key (no other key is trusted).", valueName: "file"))
    var knownHosts: String?
    @Option(help: "Seconds to wait for the connection.") var connectTimeout: Int?
    @Option(help: ArgumentHelp("Give the remote command the variable NAME, its value read by the engine from FILE when the task runs and sent over ssh's stdin: never in argv, ps or the task store (repeatable).",
                               valueName: "NAME=FILE"))
    var secretEnv: [String] = []
    @Argument(parsing: .postTerminator, help: "The command to run.") var command: [String] = []

    func run() async throws {
        guard !command.isEmpty else {
            throw CLIError("give the command after --, e.g. `submit ssh-command --device kiosk-1 -- uptime`", code: ExitCodes.usage)
        }
        var fields: [String: JSONValue] = ["type": .string(SSHCommandKind.type), "command": .string(command.joined(separator: " "))]
        if let device {
            guard host == nil else { throw CLIError("give --device or --host, not both", code: ExitCodes.usage) }
            let options = try ProjectOptions.parse(["--project", project] + (projectFile.map { ["--project-file", $0] } ?? []))
            let file = try options.load(requiredFor: "submit ssh-command --device")!
            let entry = try projectDevices([device], in: file)[0]
            fields["device_identifier"] = .string(entry.identifier)
            fields["target_host"] = .string(entry.host)
            fields["target_port"] = .number(Double(entry.port))
            fields["target_user"] = .string(entry.user)
            fields["ssh_key_path"] = .string(try sshIdentity(identity, in: file))
            if let hostKey = entry.hostKey { fields["ssh_host_key"] = .string(hostKey) }
            if let knownHosts = knownHosts.map(Self.absolute) ?? file.ssh.knownHosts, entry.hostKey == nil || knownHosts != nil {
                fields["ssh_known_hosts_path"] = .string(knownHosts)
            }
            fields["connect_timeout"] = .number(Double(connectTimeout ?? file.ssh.connectTimeout ?? 10))
        } else {
            guard let host, let identity, let knownHosts else {
                throw CLIError("give --device ID, or --host with --identity and --known-hosts", code: ExitCodes.usage)
            }
            fields["target_host"] = .string(host)
            fields["target_port"] = .number(Double(port))
            fields["target_user"] = .string(user)
            fields["ssh_key_path"] = .string(Self.absolute(identity))
            fields["ssh_known_hosts_path"] = .string(Self.absolute(knownHosts))
            fields["connect_timeout"] = .number(Double(connectTimeout ?? 10))
        }
        if !secretEnv.isEmpty { fields["secret_env_files"] = try secretFiles() }
        try await Submitter(global: global, options: submit).submit(checkedSubmission(fields))
    }

    /// `--secret-env NAME=FILE`, each once: the names and paths only; the engine reads the values.
    private func secretFiles() throws -> JSONValue {
        var files: [String: JSONValue] = [:]
        for entry in secretEnv {
            guard let equals = entry.firstIndex(of: "="), equals != entry.startIndex, entry.index(after: equals) != entry.endIndex else {
                throw CLIError("--secret-env is \"\(entry)\"; give NAME=FILE, e.g. --secret-env API_TOKEN=/etc/thymis/token", code: ExitCodes.usage)
            }
            let name = String(entry[..<equals])
            guard files[name] == nil else { throw CLIError("--secret-env names \(name) twice; give each variable once", code: ExitCodes.usage) }
            files[name] = .string(Self.absolute(String(entry[entry.index(after: equals)...])))
        }
        return .object(files)
    }

    private static func absolute(_ path: String) -> String { URL(fileURLWithPath: path).standardizedFileURL.path }
}

/// Checks a submission built from options, with the same rules as JSON from a file.
func checkedSubmission(_ fields: [String: JSONValue]) throws -> ValidatedSubmission {
    do { return try TaskKindRegistry.standard.validate(.object(fields)) } catch { throw CLIError(error) }
}
