import Foundation
import Testing
@testable import TaskEngine

@Suite("submissions are checked completely before anything is stored")
struct SubmissionValidationTests {
    let environment: TestEnvironment
    init() throws { environment = try TestEnvironment() }

    func refused(_ json: String) async throws -> SubmissionError {
        let engine = environment.makeEngine()
        try await engine.start(watchRequests: false)
        do {
            _ = try await engine.submit(Data(json.utf8))
        } catch let error as SubmissionError {
            #expect(try environment.store.tasks().isEmpty, "nothing may be stored for a refused submission")
            return error
        }
        Issue.record("submission \(json) was accepted")
        throw TestTimeout("accepted")
    }

    @Test("malformed JSON names the problem")
    func malformed() async throws {
        let error = try await refused(#"{"type": "build_project_task", "#)
        #expect(error.description.contains("not valid JSON"))
    }

    @Test("an unknown type lists the known ones")
    func unknownType() async throws {
        let error = try await refused(#"{"type": "launch_rockets_task"}"#)
        #expect(error.description.contains("launch_rockets_task"))
        #expect(error.description.contains("build_project_task"))
    }

    @Test("a missing field is named")
    func missingField() async throws {
        let error = try await refused(#"{"type": "build_project_task"}"#)
        #expect(error == .missingField(type: "build_project_task", field: "project_path"))
    }

    @Test("a mistyped field says what was expected")
    func wrongType() async throws {
        let error = try await refused(#"{"type": "build_project_task", "project_path": 42}"#)
        #expect(error.description == #"build_project_task: field "project_path" must be a string, not a number"#)
    }

    @Test("a project path without flake.nix is refused")
    func noFlake() async throws {
        let directory = environment.path("empty-project")
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let error = try await refused(#"{"type": "build_project_task", "project_path": "\#(directory)"}"#)
        #expect(error == .projectWithoutFlake(path: directory))
        #expect(error.description.contains("has no flake.nix"))
    }

    @Test("unknown fields, empty strings, NUL and oversized strings are refused")
    func hostileFields() async throws {
        #expect(try await refused(#"{"type": "build_project_task", "project_path": "/tmp", "projct": 1}"#).description.contains("unknown field \"projct\""))
        #expect(try await refused(#"{"type": "build_project_task", "project_path": ""}"#).description.contains("is empty"))
        #expect(try await refused(#"{"type": "build_project_task", "project_path": "/tmp\u0000x"}"#).description.contains("NUL"))
        let huge = String(repeating: "a", count: 1 << 20)
        #expect(try await refused(#"{"type": "ssh_command_task", "target_host": "h", "command": "\#(huge)", "ssh_key_path": "/etc/hostname", "ssh_known_hosts_path": "/etc/hostname"}"#).description.contains("bytes long"))
        #expect(try await refused(#"{"type": "ssh_command_task", "target_host": "-oProxyCommand=x", "command": "id", "ssh_key_path": "/etc/hostname", "ssh_known_hosts_path": "/etc/hostname"}"#).description.contains("not a host name"))
        #expect(try await refused(#"[1, 2]"#) == .notAnObject)
    }

    @Test("secret fields are stored but shown redacted")
    func redaction() throws {
        let submission = try TaskKindRegistry.forTests.validate(.object([
            "type": .string(ScriptKind.type), "script": .string("true"), "token": .string("canary-secret-123"),
        ]))
        #expect(submission.text.contains("canary-secret-123"))
        #expect(!submission.redactedText.contains("canary-secret-123"))
        #expect(submission.redactedText.contains("<redacted>"))
    }
}
