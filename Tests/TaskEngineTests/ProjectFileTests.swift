import Foundation
import Testing
@testable import TaskEngine

@Suite("the project file: loading, defaults and errors that name file, device and field")
struct ProjectFileTests {
    let environment: TestEnvironment
    init() throws { environment = try TestEnvironment() }

    func write(_ text: String) throws -> String {
        let directory = environment.path("fleet")
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let path = directory + "/thymis-project.json"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test("the example of docs/project.md loads; relative paths are taken from the file's directory")
    func example() throws {
        let docs = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../docs/project.md").path
        let markdown = try String(contentsOfFile: docs, encoding: .utf8)
        let start = try #require(markdown.range(of: "```json\n"))
        let end = try #require(markdown.range(of: "\n```", range: start.upperBound..<markdown.endIndex))
        let path = try write(String(markdown[start.upperBound..<end.lowerBound]))
        let file = try ProjectFile.load(path)
        let directory = environment.path("fleet")
        #expect(file.devices.map(\.identifier) == ["kiosk-1", "kiosk-2", "gateway"])
        #expect(file.devices[1].configuration == "kiosk" && file.devices[1].port == 2222 && file.devices[1].user == "root")
        #expect(file.devices[2].configuration == "gateway" && file.devices[2].hostKey == nil)
        #expect(file.ssh.identity == directory + "/keys/id_ed25519")
        #expect(file.ssh.knownHosts == directory + "/keys/known_hosts")
        #expect(file.imageDirectory == "/srv/thymis/images")
        #expect(file.pools == [.nix: 2, .remote: 8, .vm: 1])
        #expect(file.imageAttribute(forConfiguration: "kiosk") == "config.system.build.sdImage")
        #expect(file.imageAttribute(forConfiguration: "gateway") == "config.system.build.isoImage")
        #expect(file.imageAttribute(forConfiguration: "other") == "config.system.build.image")
        #expect(file.nix.accessTokens == ["github.com": "ghp_exampletoken"])
        #expect(file.systemProfile == nil && file.devices[0].systemProfile == nil)
        // Switch settings: the file's deploy section, and one device's own over it.
        #expect(file.deploy?.confirmTimeout == 60 && file.deploy?.healthTimeout == 45)
        #expect(file.devices[2].switchOverrides?.healthCommand == "systemctl is-active dnsmasq")
        let gateway = SwitchPolicy.resolve([nil, file.devices[2].switchOverrides, file.deploy])
        #expect(gateway == SwitchPolicy(confirmTimeout: 120, rollback: true, healthCommand: "systemctl is-active dnsmasq", healthTimeout: 45))
        let kiosk = SwitchPolicy.resolve([nil, file.devices[0].switchOverrides, file.deploy])
        #expect(kiosk.healthCommand == "systemctl is-system-running --wait" && kiosk.confirmTimeout == 60)
        // A submission's settings win over the file's (--no-rollback, --confirm-timeout).
        var submission = SwitchPolicy.Overrides()
        submission.rollback = false
        submission.confirmTimeout = 30
        #expect(SwitchPolicy.resolve([submission, file.devices[2].switchOverrides, file.deploy]).rollback == false)
        #expect(SwitchPolicy.resolve([submission, file.devices[2].switchOverrides, file.deploy]).confirmTimeout == 30)
        #expect(SwitchPolicy.resolve([]) == SwitchPolicy(confirmTimeout: 60, rollback: true))
        #expect(file.rollout == RolloutSettings(canaries: ["kiosk-1"], waveSize: .percent(25), maxFailures: 1))
    }

    @Test("errors name the file, the device and the field")
    func errors() throws {
        let cases: [(String, String)] = [
            (#"{"devices": [{"identifier": "a", "host": "h", "host_key": "ssh-ed25519 AAAA"}, {"identifier": "kiosk-2", "host_key": "ssh-ed25519 AAAA"}]}"#,
             #"device "kiosk-2" (devices[1]): field "host" is missing"#),
            (#"{"devices": [{"identifier": "kiosk-1", "host": "h", "port": "22", "host_key": "ssh-ed25519 AAAA"}]}"#,
             #"device "kiosk-1" (devices[0]): field "port" must be an integer, not a string"#),
            (#"{"devices": [{"identifier": "kiosk-1", "host": "h"}]}"#,
             #"device "kiosk-1" (devices[0]): field "host_key" is missing"#),
            (#"{"devices": [{"host": "h"}]}"#, #"devices[0]: field "identifier" is missing"#),
            (#"{"pools": {"remote": 0}}"#, #"pools: field "remote" is 0; it must be between 1 and 1000"#),
            (#"{"nix": {"access_tokens": {"github.com": "two words"}}}"#,
             #"nix: field "access_tokens.github.com" must be one word of at most 4096 bytes (the token)"#),
            (#"{"devicez": []}"#, #"top level: unknown field "devicez""#),
            (#"{"deploy": {"confirm_timeout": 5}}"#, #"deploy: field "confirm_timeout" is 5; it must be between 10 and 3600"#),
            (#"{"deploy": {"rollback": "no"}}"#, #"deploy: field "rollback" must be true or false, not a string"#),
            (#"{"deploy": {"health_command": "a\nb"}}"#, #"deploy: field "health_command" must be one non-empty command line"#),
            (#"{"deploy": {"confirm": 60}}"#, #"deploy: unknown field "confirm""#),
            (#"{"deploy": {"rollout": {"canary": ["kiosk-9"]}}}"#, #"deploy.rollout: field "canary" names "kiosk-9", which is not a device of this file"#),
            (#"{"deploy": {"rollout": {"wave_size": "0%"}}}"#, #"deploy.rollout: field "wave_size" is "0%"; give a device count from 1, or a percentage"#),
            (#"{"devices": [{"identifier": "k", "host": "h", "host_key": "ssh-ed25519 AAAA", "confirm_timeout": 4000}]}"#,
             #"device "k" (devices[0]): field "confirm_timeout" is 4000; it must be between 10 and 3600"#),
            (#"{"devices": "#, "is not valid JSON ("),
            (#"{"devices": [], "devices": []}"#, "gives the key \"devices\" twice"),
            (#"{"devices": [], "nix": {"signing_key": "/nonexistent/key.sec"}}"#,
             #"nix: field "signing_key" is /nonexistent/key.sec, which does not exist; make one with `nix key generate-secret"#),
            ("{\"devices\": [" + String(repeating: #"{"identifier": "k", "host": "h", "host_key": "ssh-ed25519 AAAA"},"#, count: 70_000) + "]}",
             "bytes; a project file may hold at most 4194304 bytes (4 MiB)"),
        ]
        for (text, expected) in cases {
            let path = try write(text)
            do {
                _ = try ProjectFile.load(path)
                Issue.record("\(text) was accepted")
            } catch {
                #expect(error.description.hasPrefix("project file \(path): "), "\(error.description)")
                #expect(error.description.contains(expected), "\(error.description)")
                #expect(!error.description.contains("submission"), "\(error.description)")
            }
        }
    }

    @Test("a submission whose project file is wrong is refused, naming the project file's problem")
    func submissionRefused() throws {
        let project = environment.path("fleet")
        try makeFlake(in: project, configurations: ["a": "mkdir $out"])
        _ = try write(#"{"devices": [{"identifier": "kiosk-9", "host": "-oProxyCommand=x", "host_key": "ssh-ed25519 AAAA"}]}"#)
        #expect {
            try TaskKindRegistry.standard.validate(.object(["type": .string(BuildProjectKind.type), "project_path": .string(project)]))
        } throws: { error in
            let text = "\(error)"
            return text.hasPrefix("build_project_task: field \"project_file\" cannot be used: project file \(project)/thymis-project.json: device \"kiosk-9\" (devices[0]): field \"host\" is not a host name")
        }
    }

    @Test("nix --version is read once and its options follow it")
    func nixVersion() async throws {
        #expect(NixVersion(versionOutput: "nix (Nix) 2.8.0\n") == NixVersion(2, 8, 0))
        #expect(NixVersion(versionOutput: "nix (Determinate Nix 3.1.0) 2.26.3") == NixVersion(2, 26, 3))
        #expect(NixVersion(versionOutput: "garbage") == nil)
        #expect(!NixVersion(2, 8).flakeUpdateTakesFlakeOption && NixVersion(2, 19).flakeUpdateTakesFlakeOption)
        if FileManager.default.isExecutableFile(atPath: "/usr/bin/nix") {
            let installed = await NixVersion.installed(environment: TestEnvironment.childEnvironment)
            #expect(installed >= NixVersion.oldestSupported)
        }
    }
}
