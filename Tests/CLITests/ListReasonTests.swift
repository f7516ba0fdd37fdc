import Foundation
import Testing

/// A failed build's row says which derivation's builder failed and how, not its store hash (issue 30:
/// `builder for '/nix/store/nh23s49w…` and the name and exit code cut off); `show` keeps it all.
@Suite("list: a failed build's reason reads 'build failed: NAME: builder exit N'",
       .enabled(if: FileManager.default.isExecutableFile(atPath: CLIRunner.executable)))
struct ListReasonTests {
    @Test("a real build whose builder exits 3: list shows name and exit code, show the whole reason with the store path")
    func builderFailure() async throws {
        let cli = try CLIRunner()
        defer { cli.cleanUp() }
        let project = try cli.makeProject("fleet", configurations: ["nixos-system-kiosk": "echo compiling; exit 3"])
        let submitted = try await cli.run(["submit", "build-project", "--project", project, "--wait"])
        #expect(submitted.status == 1, "\(submitted.stderr)")
        let id = submitted.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let listed = try await cli.run(["list"])
        let row = try #require(listed.stdout.split(separator: "\n").first { $0.hasPrefix(String(id.prefix(8))) }, "\(listed.stdout)")
        #expect(row.firstMatch(of: #/ build failed: nixos-system-kiosk-[0-9A-F]{8}: builder exit 3$/#) != nil, "\(row)")
        #expect(!row.contains("/nix/store"), "\(row)")
        let shown = try await cli.run(["show", id])
        #expect(shown.stdout.contains("reason:     build failed: nix exited with 1: builder for '/nix/store/"), "\(shown.stdout)")
        #expect(shown.stdout.contains("-nixos-system-kiosk-") && shown.stdout.contains(".drv' failed with exit code 3"))
    }
}
