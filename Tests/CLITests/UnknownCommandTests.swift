import Foundation
import Testing

/// A mistyped command or submit form is named, with the one meant (issue 30: `lst` gave "Unexpected
/// argument 'lst'", `submit build-projct --project X` blamed `--project`).
@Suite("unknown commands and submit forms: named, with a did-you-mean, exit 64",
       .enabled(if: FileManager.default.isExecutableFile(atPath: CLIRunner.executable)))
struct UnknownCommandTests {
    @Test("a mistyped command or form names itself and the likely one; nothing close: the choices; nothing is stored",
          arguments: [
              (["lst"], "thymis-tasks: unknown command \"lst\"; did you mean \"list\"?"),
              (["shwo", "abc"], "thymis-tasks: unknown command \"shwo\"; did you mean \"show\"?"),
              (["submit", "build-projct", "--project", "/srv/fleet"], "thymis-tasks: unknown submit form \"build-projct\"; did you mean \"build-project\"?"),
              (["submit", "deplyo", "--all"], "thymis-tasks: unknown submit form \"deplyo\"; did you mean \"deploy\"?"),
              (["frobnicate"], "thymis-tasks: unknown command \"frobnicate\"; use one of submit, list, show, logs, report, cancel, retry, run-now, prune, serve, nix-log, dashboard, demo (see `thymis-tasks --help`)"),
          ])
    func suggestion(_ arguments: [String], _ expected: String) async throws {
        let cli = try CLIRunner()
        defer { cli.cleanUp() }
        let result = try await cli.run(arguments)
        #expect(result.status == 64)
        #expect(result.stderr == expected + "\n", "\(result.stderr)")
        #expect(result.stdout.isEmpty)
        #expect(!FileManager.default.fileExists(atPath: cli.stateDirectory + "/tasks.sqlite"))
    }

    @Test("errors after a known command keep the parser's own words")
    func knownCommand() async throws {
        let cli = try CLIRunner()
        defer { cli.cleanUp() }
        let option = try await cli.run(["submit", "build-project", "--project", "/x", "--wiat"])
        #expect(option.status == 64 && option.stderr.contains("'--wiat'") && !option.stderr.contains("unknown submit form"), "\(option.stderr)")
        let missing = try await cli.run(["show"])
        #expect(missing.status == 64 && !missing.stderr.contains("unknown command"), "\(missing.stderr)")
    }
}
