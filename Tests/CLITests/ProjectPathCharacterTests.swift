import Foundation
import Testing

@Suite("a project directory of any name: what is checked is what nix builds", .serialized,
       .enabled(if: FileManager.default.isExecutableFile(atPath: CLIRunner.executable)))
struct ProjectPathCharacterTests {
    let cli: CLIRunner
    init() throws { cli = try CLIRunner() }

    @Test("?dir= in the name does not redirect nix to another flake")
    func queryInName() async throws {
        defer { cli.cleanUp() }
        let project = try cli.makeProject("real?dir=sub", configurations: ["checked": "mkdir -p $out"])
        // The flake nix would build if the name were read as a URL: /…/real with dir=sub.
        _ = try cli.makeProject("real/sub", configurations: ["redirected": "mkdir -p $out"])
        let result = try await cli.run(["submit", "build-project", "--project", project, "--wait"])
        #expect(result.status == 0, "\(result.stderr)")
        let id = result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let record = try await cli.task(id)
        #expect(record["progress"] as? String == "built checked", "\(record["progress"] ?? "-")")
    }

    @Test("#, %, a space, a TAB, unicode, ?, &, =, quotes, a backslash and $( ) in the name: the real nix 2.8 builds it",
          arguments: ["hash#x", "pct%20x", "space x", "tab\tx", "unicodé-λ", "q?x", "amp&x=y", "semi;x", "dq\"x", "sq'x", "back\\x",
                     "dollar$(x)"])
    func character(_ name: String) async throws {
        defer { cli.cleanUp() }
        let project = try cli.makeProject(name, configurations: ["c": "mkdir -p $out"])
        let result = try await cli.run(["submit", "build-project", "--project", project, "--wait"])
        #expect(result.status == 0, "\(name.debugDescription): \(result.stderr)")
    }

    @Test("a project reached through a symbolic link builds the directory the link names")
    func symlinkedProject() async throws {
        defer { cli.cleanUp() }
        let project = try cli.makeProject("linked target", configurations: ["through-link": "mkdir -p $out"])
        let link = cli.scratch + "/link?dir=x #1"
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: project)
        let result = try await cli.run(["submit", "build-project", "--project", link, "--wait"])
        #expect(result.status == 0, "\(result.stderr)")
        let id = result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let record = try await cli.task(id)
        #expect(record["progress"] as? String == "built through-link", "\(record["progress"] ?? "-")")
    }

    @Test("a line break in the project path is refused at submit, naming it")
    func newlineRefused() async throws {
        defer { cli.cleanUp() }
        let result = try await cli.run(["submit", "build-project", "--project", cli.scratch + "/a\nb"])
        #expect(result.status == 2)
        #expect(result.stderr.contains("line break"), "\(result.stderr)")
    }
}
