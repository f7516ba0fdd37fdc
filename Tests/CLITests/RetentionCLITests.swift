import Foundation
import Testing
@testable import TaskEngine

@Suite("prune, pruned logs and line times on the command line", .serialized,
       .enabled(if: FileManager.default.isExecutableFile(atPath: CLIRunner.executable)))
struct RetentionCLITests {
    let cli: CLIRunner
    init() throws { cli = try CLIRunner() }

    /// A real nix build whose builder prints two lines 0.6 s apart.
    func build() async throws -> String {
        let project = try cli.makeProject("fleet", configurations: ["kiosk-1": "echo first line; sleep 0.6; echo second line; mkdir -p $out"])
        let result = try await cli.run(["submit", "build-project", "--project", project, "--wait"])
        #expect(result.status == 0, "\(result.stderr)")
        return result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    static func seconds(_ stamp: Substring) -> Double {
        let parts = stamp.split(separator: ":").compactMap { Double($0) }
        return parts.reduce(0) { $0 * 60 + $1 }
    }

    @Test("logs --timestamps prefixes each line with the time it arrived; --since-start with the time since its process started")
    func timestamps() async throws {
        defer { cli.cleanUp() }
        let id = try await build()
        let stamped = try await cli.run(["logs", id, "--stream", "build", "--timestamps"])
        #expect(stamped.status == 0, "\(stamped.stderr)")
        let lines = stamped.stdout.split(separator: "\n")
        let first = try #require(lines.first { $0.hasSuffix(" first line") }, "\(stamped.stdout)")
        let second = try #require(lines.first { $0.hasSuffix(" second line") }, "\(stamped.stdout)")
        let clock = #/^(\d\d:\d\d:\d\d\.\d{3}) /#
        let firstTime = try #require(first.firstMatch(of: clock)?.1)
        let secondTime = try #require(second.firstMatch(of: clock)?.1)
        let apart = Self.seconds(secondTime) - Self.seconds(firstTime)
        #expect(apart > 0.45 && apart < 5, "\(firstTime) -> \(secondTime)")
        // Every output line has a time, none a placeholder; only the derivation's heading has none.
        #expect(lines.filter { !$0.hasPrefix("== build log of ") }.allSatisfy { $0.firstMatch(of: clock) != nil }, "\(stamped.stdout)")

        let offsets = try await cli.run(["logs", id, "--stream", "build", "--timestamps", "--since-start"])
        let offset = #/^\+(\d+:\d\d\.\d{3}) first line$/#
        let line = try #require(offsets.stdout.split(separator: "\n").first { $0.hasSuffix(" first line") })
        let since = try #require(line.firstMatch(of: offset)?.1, "\(line)")
        #expect(Self.seconds(since) < 60)

        let misuse = try await cli.run(["logs", id, "--since-start"])
        #expect(misuse.status == 64)
        #expect(misuse.stderr.contains("--since-start goes with --timestamps"))
    }

    @Test("prune --dry-run says what would go; prune drops it, show keeps the record, logs says it was pruned")
    func pruneAndLogs() async throws {
        defer { cli.cleanUp() }
        let id = try await build()
        let before = try await cli.run(["logs", id])
        #expect(before.stdout.contains("first line"))

        let dry = try await cli.run(["prune", "--max-output-size", "1", "--dry-run"])
        #expect(dry.status == 0, "\(dry.stderr)")
        #expect(dry.stdout.contains("would prune the output of 1 task"), "\(dry.stdout)")
        #expect(try await cli.run(["logs", id]).stdout == before.stdout, "a dry run changes nothing")

        let pruned = try await cli.run(["prune", "--max-output-size", "1"])
        #expect(pruned.status == 0, "\(pruned.stderr)")
        #expect(pruned.stdout.contains("pruned the output of 1 task"), "\(pruned.stdout)")
        #expect(pruned.stdout.contains("files: "), "\(pruned.stdout)")

        let logs = try await cli.run(["logs", id])
        #expect(logs.status == 0)
        #expect(logs.stdout.isEmpty)
        #expect(logs.stderr.contains("output pruned on "), "\(logs.stderr)")
        #expect(logs.stderr.contains(" bytes)") || logs.stderr.contains(" kB)"), "\(logs.stderr)")

        let detail = try await cli.task(id)
        #expect(detail["state"] as? String == "completed")
        #expect(detail["output_pruned_at"] as? String != nil)
        #expect((detail["output_pruned_bytes"] as? Double ?? 0) > 0)
        #expect((detail["processes"] as? [[String: Any]])?.count == 2, "processes stay")
        let text = try await cli.run(["show", id])
        #expect(text.stdout.contains("output:     output pruned on "), "\(text.stdout)")

        let again = try await cli.run(["prune", "--max-output-size", "1", "--json"])
        let json = try #require(try JSONSerialization.jsonObject(with: Data(again.stdout.utf8)) as? [String: Any])
        #expect(json["tasks"] as? Double == 0)
    }

    @Test("bad limits and a missing store: one line naming what was wrong")
    func badInput() async throws {
        defer { cli.cleanUp() }
        let age = try await cli.run(["prune", "--max-age", "90"])
        #expect(age.status == 64)
        #expect(age.stderr.contains("--max-age \"90\" is not an age: give a number and a unit"), "\(age.stderr)")
        let missing = try await cli.run(["prune", "--state-dir", cli.scratch + "/nowhere"])
        #expect(missing.status == 3)
        #expect(missing.stderr.contains("no task store in"), "\(missing.stderr)")
        #expect(!FileManager.default.fileExists(atPath: cli.scratch + "/nowhere"))
        let serve = try await cli.run(["serve", "--output-max-size", "lots"])
        #expect(serve.status == 64)
        #expect(serve.stderr.contains("--output-max-size \"lots\" is not a size"), "\(serve.stderr)")
    }
}
