import Foundation
import Testing

/// Submissions that must be refused with one clear line, exit 2, and nothing stored.
let badSubmissions: [(name: String, json: String, says: String)] = {
    let big = String(repeating: "x", count: 1 << 20)
    return [
        ("invalid JSON", #"{"type": "build_project_task""#, "not valid JSON"),
        ("not an object", #"["build_project_task"]"#, "must be a JSON object"),
        ("no type", #"{"project_path": "/tmp"}"#, "\"type\": missing"),
        ("unknown type", #"{"type": "rm_rf_task"}"#, "\"rm_rf_task\" is unknown"),
        ("type of the wrong kind", #"{"type": 7}"#, "must be a string, not a number"),
        ("missing field", #"{"type": "build_project_task"}"#, "\"project_path\" is missing"),
        ("wrong field type", #"{"type": "build_project_task", "project_path": ["/tmp"]}"#, "must be a string, not an array"),
        ("empty field", #"{"type": "build_project_task", "project_path": ""}"#, "is empty"),
        ("null field", #"{"type": "build_project_task", "project_path": null}"#, "is missing"),
        ("NUL in a field", #"{"type": "build_project_task", "project_path": "/tmp\u0000/x"}"#, "NUL"),
        ("1 MB string", #"{"type": "build_project_task", "project_path": "\#(big)"}"#, "bytes long"),
        ("shell metacharacters in a path", #"{"type": "build_project_task", "project_path": "/tmp; rm -rf /"}"#, "not a directory"),
        ("command substitution in a path", #"{"type": "build_project_task", "project_path": "$(touch /tmp/pwned)"}"#, "not a directory"),
        ("newline in a path", #"{"type": "build_project_task", "project_path": "/tmp\nx"}"#, "line break"),
        ("option injection as host", #"{"type": "ssh_command_task", "target_host": "-oProxyCommand=touch /tmp/pwned", "command": "id", "ssh_key_path": "/etc/hostname", "ssh_known_hosts_path": "/etc/hostname"}"#, "not a host name"),
        ("backticks in a user", #"{"type": "ssh_command_task", "target_host": "h", "target_user": "`id`", "command": "id", "ssh_key_path": "/etc/hostname", "ssh_known_hosts_path": "/etc/hostname"}"#, "not a user name"),
        ("port out of range", #"{"type": "ssh_command_task", "target_host": "h", "target_port": 70000, "command": "id", "ssh_key_path": "/etc/hostname", "ssh_known_hosts_path": "/etc/hostname"}"#, "between 1 and 65535"),
        ("port as a string", #"{"type": "ssh_command_task", "target_host": "h", "target_port": "22", "command": "id", "ssh_key_path": "/etc/hostname", "ssh_known_hosts_path": "/etc/hostname"}"#, "must be an integer"),
        ("missing key file", #"{"type": "ssh_command_task", "target_host": "h", "command": "id", "ssh_key_path": "/nonexistent/key", "ssh_known_hosts_path": "/etc/hostname"}"#, "does not exist"),
        ("unknown field", #"{"type": "build_project_task", "project_path": "/tmp", "projectpath": "/tmp"}"#, "unknown field \"projectpath\""),
        ("a key given twice", #"{"type": "build_project_task", "project_path": "/tmp", "project_path": "/etc"}"#,
         "gives the key \"project_path\" twice in one object"),
        ("a key given twice in a nested object", #"{"type": "build_project_task", "project_path": "/tmp", "access_tokens": {"a": "x", "a": "y"}}"#,
         "gives the key \"a\" twice"),
        ("a number too large for a double", #"{"type": "build_project_task", "project_path": 1e400}"#, "the number 1e400 is too large"),
        ("a lone surrogate", #"{"type": "build_project_task", "project_path": "\ud800"}"#, "lone UTF-16 surrogate"),
        ("nesting 10,000 deep", String(repeating: "[", count: 10_000), "nested deeper than 256 levels"),
        ("trailing text", #"{"type": "build_project_task"} x"#, "unexpected text after the JSON value"),
    ]
}()

@Suite("bad input gets one clear line and an exit code; nothing is stored, nothing reaches a shell", .serialized,
       .enabled(if: FileManager.default.isExecutableFile(atPath: CLIRunner.executable)))
struct BadInputTests {
    let cli: CLIRunner
    init() throws { cli = try CLIRunner() }

    @Test("every bad submission through submit --file")
    func submissions() async throws {
        defer { cli.cleanUp() }
        for bad in badSubmissions {
            let result = try await cli.run(["submit", "--file", "-"], stdin: bad.json)
            #expect(result.status == 2, "\(bad.name): exit \(result.status)")
            #expect(result.stderr.split(separator: "\n").count == 1, "\(bad.name): \(result.stderr)")
            #expect(result.stderr.contains(bad.says), "\(bad.name): \(result.stderr)")
            #expect(result.stderr.utf8.count < 2000, "\(bad.name): the error line must not echo a huge value")
        }
        #expect(try await cli.tasks().isEmpty)
        #expect(!FileManager.default.fileExists(atPath: "/tmp/pwned"))
    }

    @Test("non-UTF-8 and hostile arguments to the option forms")
    func arguments() async throws {
        defer { cli.cleanUp() }
        let invalidUTF8 = String(decoding: [0x2f, 0x74, 0x6d, 0x70, 0x2f, 0xff, 0xfe], as: UTF8.self)
        for project in [invalidUTF8, "/tmp/$(id)", "'; rm -rf / #"] {
            let result = try await cli.run(["submit", "build-project", "--project", project])
            #expect(result.status == 2, "\(project): \(result.status)")
            #expect(result.stderr.split(separator: "\n").count == 1)
        }
        let ssh = try await cli.run(["submit", "ssh-command", "--host=-oProxyCommand=x", "--identity", "/etc/hostname",
                                     "--known-hosts", "/etc/hostname", "--", "id"])
        #expect(ssh.status == 2)
        let noCommand = try await cli.run(["submit", "ssh-command", "--host", "h", "--identity", "/etc/hostname",
                                           "--known-hosts", "/etc/hostname"])
        #expect(noCommand.status == 64)
        #expect(try await cli.tasks().isEmpty)
    }

    @Test("submit deploy: a confirm timeout out of range, and a bad switch setting in the submission, name the flag or field; nothing is stored")
    func deployFlags() async throws {
        defer { cli.cleanUp() }
        let project = try cli.makeProject("fleet", configurations: ["kiosk": "mkdir -p $out"])
        let file: [String: Any] = ["devices": ["kiosk-1", "kiosk-2"].map { ["identifier": $0, "configuration": "kiosk", "host": "127.0.0.1",
                                                "host_key": "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJ0m6wJ8mBq0xXlPz1Y9iJcF3r5M3Hq6cYw8m3Y1bq2n"] },
                                   "ssh": ["identity": "/etc/hostname"]]
        try JSONSerialization.data(withJSONObject: file).write(to: URL(fileURLWithPath: project + "/thymis-project.json"))
        for timeout in ["5", "3601", "0"] {
            let result = try await cli.run(["submit", "deploy", "--project", project, "--all", "--confirm-timeout", timeout])
            #expect(result.status == 2, "\(timeout): exit \(result.status) \(result.stderr)")
            #expect(result.stderr.contains("--confirm-timeout is \(timeout); give 10 to 3600 seconds"), "\(result.stderr)")
        }
        // Rollout flags: each refusal names its flag.
        let rollouts: [([String], String)] = [
            (["--all", "--canary", "kiosk-9"], "--canary names kiosk-9, which is not one of the devices being deployed (kiosk-1, kiosk-2)"),
            (["--device", "kiosk-1", "--canary", "kiosk-1"], "--canary needs a deploy of several devices; this one has 1"),
            (["--all", "--wave-size", "0"], "--wave-size is 0; give a device count from 1 or a percentage"),
            (["--all", "--wave-size", "3"], "--wave-size is 3, more than the 2 devices being deployed"),
            (["--all", "--max-failures", "5"], "--max-failures is 5; give 0 to 2"),
            (["--all", "--plan", "--canary", "kiosk-1"], "--plan changes no device: give it without --canary"),
        ]
        for (flags, says) in rollouts {
            let result = try await cli.run(["submit", "deploy", "--project", project] + flags)
            #expect(result.status == 2 && result.stderr.contains(says), "\(flags): exit \(result.status) \(result.stderr)")
        }
        let raw = #"{"type": "deploy_devices_task", "project_path": "\#(project)", "ssh_key_path": "/etc/hostname", "rollback": "no", "#
            + #""devices": [{"identifier": "kiosk-1", "host": "127.0.0.1", "host_key": "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJ0m6wJ8mBq0xXlPz1Y9iJcF3r5M3Hq6cYw8m3Y1bq2n"}]}"#
        let result = try await cli.run(["submit", "--file", "-"], stdin: raw)
        #expect(result.status == 2 && result.stderr.contains("\"rollback\" must be true or false"), "\(result.stderr)")
        #expect(try await cli.tasks().isEmpty)
    }

    @Test("submit deploy --from-plan: a task that is not a finished plan gets exit 2 naming it; flags the plan fixes are refused")
    func fromPlan() async throws {
        defer { cli.cleanUp() }
        let project = try cli.makeProject("fleet", configurations: ["kiosk": "mkdir -p $out"])
        let build = try await cli.run(["submit", "build-project", "--project", project, "--wait"], timeout: .seconds(120))
        #expect(build.status == 0, "\(build.stderr)")
        let id = build.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let notAPlan = try await cli.run(["submit", "deploy", "--from-plan", String(id.prefix(8))])
        #expect(notAPlan.status == 2 && notAPlan.stderr.contains("task \(id.prefix(8)) is a Build Project, not a finished plan; make one with `submit deploy --plan`"),
                "exit \(notAPlan.status): \(notAPlan.stderr)")
        let withDevice = try await cli.run(["submit", "deploy", "--from-plan", String(id.prefix(8)), "--device", "kiosk-1"])
        #expect(withDevice.status == 64 && withDevice.stderr.contains("--from-plan deploys the plan's own project, commit and devices"), "\(withDevice.stderr)")
        let unknown = try await cli.run(["submit", "deploy", "--from-plan", "ffffffff"])
        #expect(unknown.status != 0 && unknown.stderr.contains("ffffffff"), "\(unknown.stderr)")
        #expect(try await cli.tasks().count == 1, "nothing was submitted")
    }

    @Test("a submission file that does not exist, and one that is too large")
    func files() async throws {
        defer { cli.cleanUp() }
        let missing = try await cli.run(["submit", "--file", cli.scratch + "/nope.json"])
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("cannot read submission file"))
        let large = cli.scratch + "/large.json"
        try Data(repeating: 0x20, count: 5 << 20).write(to: URL(fileURLWithPath: large))
        let tooLarge = try await cli.run(["submit", "--file", large])
        #expect(tooLarge.status == 2)
        #expect(tooLarge.stderr.contains("at most 4 MiB"))
    }
}
