import Foundation
import Testing

@Suite("submit auto-update from the command line", .serialized,
       .enabled(if: FileManager.default.isExecutableFile(atPath: CLIRunner.executable)
                && FileManager.default.isExecutableFile(atPath: "/usr/bin/nix") && FileManager.default.isExecutableFile(atPath: "/usr/bin/git")))
struct AutoUpdateCLITests {
    let cli: CLIRunner
    init() throws { cli = try CLIRunner() }

    /// A committed git repository holding an input-less flake.
    func repository() async throws -> String {
        let project = try cli.makeProject("fleet", configurations: ["kiosk": "mkdir -p $out"])
        for arguments in [["init", "-q"], ["add", "-A"], ["-c", "user.name=t", "-c", "user.email=t@example.invalid", "commit", "-q", "-m", "initial"]] {
            let result = try await cli.runProgram("/usr/bin/git", ["-C", project] + arguments)
            #expect(result.status == 0, "\(result.stderr)")
        }
        return project
    }

    @Test("--no-deploy --wait completes with no input changed; without devices anywhere the submission is refused naming the field")
    func submitForms() async throws {
        defer { cli.cleanUp() }
        let project = try await repository()
        let done = try await cli.run(["submit", "auto-update", "--project", project, "--no-deploy", "--wait", "--json"])
        #expect(done.status == 0, "\(done.stderr)")
        // --wait --json: a first line with the id at once, then the final record.
        let (first, rest) = (done.stdout.prefix { $0 != "\n" }, done.stdout.drop { $0 != "\n" })
        let idLine = try JSONSerialization.jsonObject(with: Data(first.utf8)) as? [String: Any]
        let record = try JSONSerialization.jsonObject(with: Data(rest.utf8)) as? [String: Any]
        #expect(idLine?["id"] as? String == record?["id"] as? String && idLine?["id"] != nil)
        #expect(record?["type"] as? String == "auto_update_task" && record?["display_name"] as? String == "Auto-update")
        #expect(record?["state"] as? String == "completed" && record?["progress"] as? String == "no input changed", "\(done.stdout)")

        let refused = try await cli.run(["submit", "auto-update", "--project", project])
        #expect(refused.status == 2)
        #expect(refused.stderr.contains(#"auto_update_task: field "devices" is not given and there is no project file to deploy to; give devices, or no_deploy: true"#),
                "\(refused.stderr)")
        let usage = try await cli.run(["submit", "auto-update", "--project", project, "--no-deploy", "--all"])
        #expect(usage.status == 64 && usage.stderr.contains("--no-deploy deploys nothing"), "\(usage.stderr)")
        let raw = try await cli.run(["submit", "--file", "-", "--wait"],
                                    stdin: #"{"type": "auto_update_task", "project_path": "\#(project)", "no_deploy": true}"#)
        #expect(raw.status == 0, "\(raw.stderr)")
        #expect(try await cli.tasks().count == 2)
    }

    @Test("serve --auto-update needs --project and a readable schedule; once serving, list shows the next run")
    func serveSchedule() async throws {
        defer { cli.cleanUp() }
        let project = try await repository()
        let noProject = try await cli.run(["serve", "--auto-update", "daily 03:00"])
        #expect(noProject.status == 64 && noProject.stderr.contains("--auto-update needs --project DIR"), "\(noProject.stderr)")
        let bad = try await cli.run(["serve", "--project", project, "--auto-update", "hourly"])
        #expect(bad.status == 64 && bad.stderr.contains(#"auto-update schedule "hourly" starts with "hourly""#), "\(bad.stderr)")
        let serve = try cli.start(["serve", "--project", project, "--auto-update", "every 1h"])
        defer { kill(serve.pid, SIGTERM) }
        var listed = ""
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline && !listed.contains("next auto-update:") {
            try await Task.sleep(for: .milliseconds(200))
            listed = try await cli.run(["list"]).stdout
        }
        #expect(listed.contains("next auto-update: ") && listed.contains("(every 1h, \(project))"), "\(listed)")
        // The CLI's time format: HH:MM:SS (or MM-DD HH:MM after midnight), never "05/12/2026, 4:19 PM".
        let line = listed.split(separator: "\n").first { $0.hasPrefix("next auto-update: ") }.map(String.init) ?? ""
        #expect(line.range(of: #"^next auto-update: (\d\d:\d\d:\d\d|\d\d-\d\d \d\d:\d\d) \("#, options: .regularExpression) != nil, "\(line)")
        kill(serve.pid, SIGTERM)
        let ended = try await cli.wait(serve, timeout: .seconds(20))
        #expect(ended.status == 0, "\(ended.stderr)")
        #expect(!(try await cli.run(["list"]).stdout.contains("next auto-update")))
    }
}
