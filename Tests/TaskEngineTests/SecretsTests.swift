import Foundation
import Testing
@testable import TaskEngine

@Suite("access tokens reach nix only through its environment and are shown nowhere", .enabled(if: nixAndSSHAvailable))
struct SecretsTests {
    let environment: TestEnvironment
    init() throws { environment = try TestEnvironment() }

    @Test("canary tokens from the project file and the submission: in nix's environ, never in any argv, redacted in records")
    func canary() async throws {
        let project = try FixtureProject(in: environment.path("fixture"), configurations: ["slow": .slowBuild])
        let fileCanary = "canaryfile\(UUID().uuidString.prefix(8))"
        let submittedCanary = "canarysub\(UUID().uuidString.prefix(8))"
        try project.writeProjectFile(["nix": ["access_tokens": ["example.invalid": fileCanary]]])
        let engine = environment.makeEngine(grace: .seconds(3))
        try await engine.start(watchRequests: false)
        let record = try await engine.submitValue(.object([
            "type": .string(BuildProjectKind.type), "project_path": .string(project.path),
            "access_tokens": .object(["other.invalid": .string(submittedCanary)]),
        ]))
        let marker = "\(project.nonce)-slow-build"
        #expect(await eventually(timeout: .seconds(30)) { builderPIDs(containing: marker).count > 0 })

        // While it runs: the build's nix has both tokens in its environment, no process has them in argv.
        #expect(await eventually { ((try? environment.store.processes(of: record.id)) ?? []).last?.pid != nil })
        let build = try #require(try environment.store.processes(of: record.id).last)
        let environ = String(decoding: FileManager.default.contents(atPath: "/proc/\(try #require(build.pid))/environ") ?? Data(),
                             as: UTF8.self)
        #expect(environ.contains("access-tokens = example.invalid=\(fileCanary) other.invalid=\(submittedCanary)"))
        #expect(builderPIDs(containing: fileCanary).isEmpty && builderPIDs(containing: submittedCanary).isEmpty)

        // What people see: the records.
        for process in try environment.store.processes(of: record.id) {
            #expect(process.environment["NIX_CONFIG"] == "<redacted>")
            #expect(!process.arguments.joined(separator: " ").contains("canary"))
        }
        let shown = try #require(try environment.store.task(record.id))
        #expect(!shown.redactedSubmission.contains(submittedCanary) && shown.redactedSubmission.contains("<redacted>"))
        _ = try await engine.cancel(record.id)
        await engine.shutdown()

        // The project file's token was never written to the state directory at all (the fixture project lives beside it).
        let files = FileManager.default.enumerator(atPath: environment.directory.path)?.allObjects as? [String] ?? []
        for file in files where !file.hasPrefix("fixture") {
            let data = FileManager.default.contents(atPath: environment.directory.path + "/" + file) ?? Data()
            #expect(data.range(of: Data(fileCanary.utf8)) == nil, "\(file) holds the project file's token")
        }
    }

    @Test("a flake update gets the tokens through NIX_CONFIG and says which input changed")
    func flakeUpdateWithTokens() async throws {
        let input = environment.path("input")
        try FileManager.default.createDirectory(atPath: input, withIntermediateDirectories: true)
        try "{ outputs = { self }: { value = 1; }; }\n".write(toFile: input + "/flake.nix", atomically: true, encoding: .utf8)
        let project = environment.path("with-input")
        try FileManager.default.createDirectory(atPath: project, withIntermediateDirectories: true)
        try "{ inputs.dep.url = \"path:\(input)\"; outputs = { self, dep }: { }; }\n"
            .write(toFile: project + "/flake.nix", atomically: true, encoding: .utf8)
        let submission: JSONValue = .object(["type": .string(FlakeUpdateKind.type), "project_path": .string(project),
                                             "access_tokens": .object(["example.invalid": .string("secret-token")])])
        let engine = environment.makeEngine()
        try await engine.start(watchRequests: false)
        let first = try await engine.submitValue(submission)
        #expect(try await environment.store.waitFor(first.id, toBe: [.completed, .failed], timeout: .seconds(60)).progress == "added dep")
        try "{ outputs = { self }: { value = 2; }; }\n".write(toFile: input + "/flake.nix", atomically: true, encoding: .utf8)
        let second = try await engine.submitValue(submission)
        let final = try await environment.store.waitFor(second.id, toBe: [.completed, .failed], timeout: .seconds(60))
        #expect(final.progress == "updated dep", "\(final.failureReason ?? "")")
        let process = try #require(try environment.store.processes(of: second.id).first)
        #expect(process.environment["NIX_CONFIG"] == "<redacted>" && !process.arguments.contains { $0.contains("secret-token") })
    }
}
