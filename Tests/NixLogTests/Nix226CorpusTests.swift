import Foundation
import NixLog
import Testing

/// Real Nix 2.26.3 logs (Tests/NixLogTests/Corpus/nix-2.26, README there), replayed: the shapes
/// Debian 12's Nix 2.8 never sends. Expected results come from Nix's exit codes and the flakes.
@Suite("Nix 2.26 captures: outcomes, positions, and what is no error")
struct Nix226CorpusTests {
    static func capture(_ name: String) throws -> [UInt8] {
        let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Corpus/nix-2.26")
        return [UInt8](try Data(contentsOf: directory.appendingPathComponent(name + ".log")))
    }

    static func errorCount(_ state: NixProcessState) -> Int { state.errors.totalCount + state.messages(at: .error).totalCount }

    @Test("a successful build: one built, nothing 'not built': Builds' expected already holds the done one")
    func success() throws {
        let state = decode(try Self.capture("ok"), chunkSizes: [97, 4096]).state
        #expect(NixLogReport.outcomeLine(state) == "1 built" && state.unlistedNotBuilt == 0 && state.plannedBuilds == 1)
        #expect(Self.errorCount(state) == 0)
    }

    @Test("a failing builder: failed with its exit code, its lines kept")
    func failure() throws {
        let state = decode(try Self.capture("bad")).state
        let bad = try #require(state.derivations.first { $0.name == "c-bad" })
        #expect(bad.status == .failed && bad.exitCode == 3)
        #expect(NixLogReport.outcomeLine(state) == "1 failed" && state.unlistedNotBuilt == 0)
    }

    @Test("builtins.trace output is a notice, not an error: the build succeeded")
    func trace() throws {
        let state = decode(try Self.capture("traced")).state
        #expect(Self.errorCount(state) == 0)
        #expect(state.messages(at: .notice).kept.contains("trace: hello from trace"))
        #expect(NixLogReport.outcomeLine(state) == "1 built")
    }

    @Test("--dry-run's plan is a notice and names the derivation, nothing is an error")
    func dryRun() throws {
        let state = decode(try Self.capture("dry")).state
        #expect(Self.errorCount(state) == 0)
        #expect(state.derivations.map(\.name) == ["c-bad"] && state.derivations.first?.status == .notBuilt)
    }

    @Test("an evaluation error's position: file, line and column apart, as 2.8 gives them")
    func position() throws {
        let state = decode(try Self.capture("undef")).state
        let error = try #require(state.errors.kept.first)
        #expect(error.file?.hasSuffix("-source/flake.nix") == true, "\(error.file ?? "nil")")
        #expect(error.line == 4 && error.column == 19)
        #expect(error.rawMessage.contains("undefined variable"))
    }

    @Test("Nix 2.8, everything built already: Nix raises expected to 3, then drops it; nothing is 'not built'")
    func allCached() throws {
        let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Corpus/nix-2.8")
        let state = decode([UInt8](try Data(contentsOf: directory.appendingPathComponent("all-cached.log")))).state
        #expect(state.plannedBuilds == 3 && state.builds.expected == 0)
        #expect(state.unlistedNotBuilt == 0 && NixLogReport.outcomeLine(state) == "none")
    }
}
