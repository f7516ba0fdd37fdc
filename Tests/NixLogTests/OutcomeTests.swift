// Derivation outcomes from replayed logs in the exact shape of each Nix version's internal-json output.
import Foundation
import NixLog
import Testing

private let bad = "/nix/store/0v4m3yq3wq4ljz4y0c8lqzk2lvw8kq5f-bad.drv"
private let slow = "/nix/store/1kzd8k2i5gk0qf6v7b1pq0d0n2m8c6x3-slow.drv"
private let top = "/nix/store/2pm6l1h3sj4l1a7m9s2r4m6n8b0c2d4f-top.drv"

/// How one Nix version words the three messages of a build where `bad`'s builder exits 2 and `top`
/// depends on it (raw_msg, as its JSON logger sends it; `msg` is "error: " + raw_msg, indented).
struct Wording: CustomTestStringConvertible, Sendable {
    var name: String
    var builderFailed: String
    var dependencyFailed: String
    var summary: String
    var parents: Bool
    var testDescription: String { name }
}

/// Nix 2.8: `builder for`, `N dependencies of derivation`, no `parent`; its summary names goals with `!out`.
/// Nix 2.18-2.23 and Lix: the same words, `parent` on every start; the summary uses `^out` from 2.19.
/// Nix 2.24-2.28: `Cannot build '<drv>'.` with a `Reason:` line, `Output paths:`, the log tail and `nix log` hint.
let wordings: [Wording] = [
    Wording(name: "Nix 2.8",
            builderFailed: "builder for '\(bad)' failed with exit code 2",
            dependencyFailed: "1 dependencies of derivation '\(top)' failed to build",
            summary: "build of '\(bad)!out', '\(slow)!out', '\(top)!out' failed", parents: false),
    Wording(name: "Nix 2.18 / Lix",
            builderFailed: "builder for '\(bad)' failed with exit code 2;\nlast 2 log lines:\n> compiling\n> error: boom\nFor full logs, run 'nix log \(bad)'.",
            dependencyFailed: "1 dependencies of derivation '\(top)' failed to build",
            summary: "build of '\(bad)^out', '\(slow)^out', '\(top)^out' failed", parents: true),
    Wording(name: "Nix 2.24-2.28",
            builderFailed: "Cannot build '\(bad)'.\nReason: builder failed with exit code 2.\nOutput paths:\n  /nix/store/0v4m3yq3wq4ljz4y0c8lqzk2lvw8kq5f-bad\nLast 2 log lines:\n> compiling\n> error: boom\nFor full logs, run:\n  nix log \(bad)",
            dependencyFailed: "Cannot build '\(top)'.\nReason: 1 dependency failed.\nOutput paths:\n  /nix/store/2pm6l1h3sj4l1a7m9s2r4m6n8b0c2d4f-top",
            summary: "build of '\(bad)^out', '\(slow)^out', '\(top)^out' failed", parents: true),
]

/// JSON-escapes `text` for a fixture line.
private func js(_ text: String) -> String {
    String(decoding: try! JSONEncoder().encode(text), as: UTF8.self)
}

private func errorLine(_ raw: String) -> String {
    let msg = "\u{1B}[31;1merror:\u{1B}[0m " + raw.replacingOccurrences(of: "\n", with: "\n       ")
    return #"@nix {"action":"msg","column":null,"file":null,"level":0,"line":null,"msg":\#(js(msg)),"raw_msg":\#(js(raw))}"#
}

/// `bad` and `slow` build at once; `bad` fails, Nix counts it and stops `slow` FIRST (the order that
/// fooled counter-only attribution), then `bad`; `top` reports its failed input; the summary names all.
func replay(_ w: Wording, messageBeforeStop: Bool = false) -> String {
    func parent(_ p: Int) -> String { w.parents ? #","parent":\#(p)"# : "" }
    var lines = [
        #"@nix {"action":"start","id":1,"level":0\#(parent(0)),"text":"","type":102}"#,
        #"@nix {"action":"start","id":2,"level":0\#(parent(1)),"text":"","type":104}"#,
        #"@nix {"action":"result","fields":[0,3,0,0],"id":2,"type":105}"#,
        #"@nix {"action":"start","fields":["\#(bad)","",1,1],"id":10,"level":3\#(parent(1)),"text":"building '\#(bad)'","type":105}"#,
        #"@nix {"action":"start","fields":["\#(slow)","",1,1],"id":11,"level":3\#(parent(1)),"text":"building '\#(slow)'","type":105}"#,
        #"@nix {"action":"result","fields":[0,3,2,0],"id":2,"type":105}"#,
        #"@nix {"action":"result","fields":["compiling"],"id":10,"type":101}"#,
        #"@nix {"action":"result","fields":["sleeping"],"id":11,"type":101}"#,
        #"@nix {"action":"result","fields":["error: boom"],"id":10,"type":101}"#,
        #"@nix {"action":"result","fields":[0,2,1,1],"id":2,"type":105}"#,
    ]
    if messageBeforeStop { lines.append(errorLine(w.builderFailed)) }
    lines += [
        #"@nix {"action":"stop","id":11}"#,
        #"@nix {"action":"stop","id":10}"#,
        errorLine(w.dependencyFailed),
        #"@nix {"action":"result","fields":[0,0,0,1],"id":2,"type":105}"#,
        #"@nix {"action":"stop","id":2}"#,
        #"@nix {"action":"stop","id":1}"#,
    ]
    if !messageBeforeStop { lines.append(errorLine(w.builderFailed)) }
    lines.append(errorLine(w.summary))
    return lines.joined(separator: "\n") + "\n"
}

/// Outcomes, Nix's failed count, the per-machine counts and the report's outcome counts agree.
func expectAgreement(_ state: NixProcessState, sourceLocation: SourceLocation = #_sourceLocation) throws {
    let failed = state.count(.failed)
    #expect(state.builds.failed == failed, sourceLocation: sourceLocation)
    #expect(state.machines.reduce(0) { $0 + $1.failed } == failed, sourceLocation: sourceLocation)
    #expect(state.machines.reduce(0) { $0 + $1.built } == state.count(.built), sourceLocation: sourceLocation)
    #expect(state.machines.reduce(0) { $0 + $1.interrupted } == state.count(.interrupted), sourceLocation: sourceLocation)
    let json = try reportJSON(state)
    let outcomes = try #require(json["outcomes"] as? [String: Int], sourceLocation: sourceLocation)
    #expect(outcomes["failed"] == failed && outcomes["built"] == state.count(.built), sourceLocation: sourceLocation)
}

@Suite("derivation outcomes")
struct OutcomeTests {
    @Test("one failed, one interrupted, one dependency failed, in every Nix version's wording", arguments: wordings, [false, true])
    func threeOutcomes(_ wording: Wording, messageBeforeStop: Bool) throws {
        let state = decode(replay(wording, messageBeforeStop: messageBeforeStop), chunkSizes: [13, 4096]).state
        #expect(state.derivation(path: bad)?.status == .failed)
        #expect(state.derivation(path: slow)?.status == .interrupted)
        #expect(state.derivation(path: top)?.status == .dependencyFailed)
        #expect(state.derivation(path: bad)?.exitCode == 2)
        #expect(state.derivation(path: bad)?.recentLines == ["compiling", "error: boom"])
        #expect(state.derivation(path: slow)?.recentLines == ["sleeping"])
        #expect(state.derivations.count == 3)
        #expect(state.machines == [NixMachineCounts(machine: nil, failed: 1, interrupted: 1)])
        try expectAgreement(state)
        #expect(NixLogReport.outcomeLine(state) == "1 failed, 1 interrupted, 1 dependency failed")
    }

    @Test("the failed builder's last log lines, for the failure reason, in every Nix version's wording", arguments: wordings)
    func failedBuilderTail(_ wording: Wording) throws {
        let state = decode(replay(wording)).state
        let (derivation, lines) = try #require(state.failedBuilderTail())
        #expect(derivation.path == bad, "the builder that failed, not the interrupted one or the one whose input failed")
        #expect(lines == ["compiling", "error: boom"])
    }

    @Test("Nix's log tail quoted in the message fills the last lines when no build log was seen")
    func tailFromMessage() throws {
        let w = wordings[2]
        let text = [
            #"@nix {"action":"start","id":2,"level":0,"text":"","type":104}"#,
            #"@nix {"action":"start","fields":["\#(bad)","",1,1],"id":10,"level":3,"text":"","type":105}"#,
            #"@nix {"action":"result","fields":[0,1,0,1],"id":2,"type":105}"#,
            #"@nix {"action":"stop","id":10}"#,
            errorLine(w.builderFailed),
        ].joined(separator: "\n")
        let d = try #require(decode(text).state.derivation(path: bad))
        #expect(d.status == .failed && d.exitCode == 2)
        #expect(d.recentLines == ["compiling", "error: boom"])
    }

    @Test("a builder's log line that mentions a failed dependency does not make it one")
    func wordsInTheLogTail() {
        let raw = "Cannot build '\(bad)'.\nReason: builder failed with exit code 1.\nLast 1 log lines:\n> error: 1 dependency failed.\n"
        let text = [
            #"@nix {"action":"start","id":2,"level":0,"text":"","type":104}"#,
            #"@nix {"action":"start","fields":["\#(bad)","",1,1],"id":10,"level":3,"text":"","type":105}"#,
            #"@nix {"action":"result","fields":[0,1,0,1],"id":2,"type":105}"#,
            #"@nix {"action":"stop","id":10}"#,
            errorLine(raw),
        ].joined(separator: "\n")
        #expect(decode(text).state.derivation(path: bad)?.status == .failed)
    }

    @Test("a build still running when the log ends (nix killed, task cancelled) is interrupted")
    func endOfStreamInterrupts() {
        let text = [
            #"@nix {"action":"start","id":2,"level":0,"text":"","type":104}"#,
            #"@nix {"action":"result","fields":[0,2,0,0],"id":2,"type":105}"#,
            #"@nix {"action":"start","fields":["\#(slow)","",1,1],"id":11,"level":3,"text":"","type":105}"#,
            #"@nix {"action":"result","fields":["sleeping"],"id":11,"type":101}"#,
        ].joined(separator: "\n") + "\n"
        var decoder = NixLogDecoder()
        Array(text.utf8).withUnsafeBytes { decoder.feed($0) { _ in } }
        #expect(decoder.state.derivation(path: slow)?.status == .building)
        #expect(decoder.state.unlistedNotBuilt == 1)
        #expect(NixLogReport.outcomeLine(decoder.state) == "1 building, 1 waiting")
        decoder.finish { _ in }
        #expect(decoder.state.derivation(path: slow)?.status == .interrupted)
        #expect(NixLogReport.outcomeLine(decoder.state) == "1 interrupted, 1 not built")
    }

    @Test("derivations from Nix's plan that were never reached are not built")
    func planned() throws {
        let text = [
            #"@nix {"action":"msg","level":3,"msg":"these 2 derivations will be built:"}"#,
            #"@nix {"action":"msg","level":3,"msg":"  \#(bad)"}"#,
            #"@nix {"action":"msg","level":3,"msg":"  \#(top)"}"#,
            #"@nix {"action":"start","id":2,"level":0,"text":"","type":104}"#,
            #"@nix {"action":"result","fields":[0,2,0,0],"id":2,"type":105}"#,
            #"@nix {"action":"start","fields":["\#(bad)","",1,1],"id":10,"level":3,"text":"","type":105}"#,
            #"@nix {"action":"result","fields":[0,1,0,1],"id":2,"type":105}"#,
            #"@nix {"action":"stop","id":10}"#,
            errorLine(wordings[0].builderFailed),
        ].joined(separator: "\n")
        let state = decode(text).state
        #expect(state.derivations.map(\.path) == [bad, top])
        #expect(state.derivation(path: bad)?.status == .failed)
        #expect(state.derivation(path: top)?.status == .notBuilt)
        #expect(state.unlistedNotBuilt == 0)
        try expectAgreement(state)
    }

    @Test("a snapshot written before 'interrupted' existed decodes 'stopped' as interrupted")
    func oldSnapshot() throws {
        var state = decode(replay(wordings[0])).state
        let data = try JSONEncoder().encode(state)
        let old = String(decoding: data, as: UTF8.self).replacingOccurrences(of: #""interrupted""#, with: #""stopped""#)
        state = try JSONDecoder().decode(NixProcessState.self, from: Data(old.utf8))
        #expect(state.derivation(path: slow)?.status == .interrupted)
    }

    @Test("the real Nix 2.8 capture of a failed dependency: failed, dependency failed, and one never reached")
    func corpusCapture() throws {
        // Lines of /work/shared/nix-corpus/d-deps-fail.json-v.stderr (nix 2.8, -j1, no --keep-going).
        let badDep = "/nix/store/zky6ivhgqp3ik8dywhwjfmrqnbk52jfn-d-bad-dep.drv"
        let topBad = "/nix/store/f1g8r2rcrfj0m0377px1z4w2hiy3rv2z-d-top-bad.drv"
        let text = #"""
        @nix {"action":"start","id":126551211376641,"level":0,"text":"","type":102}
        @nix {"action":"start","id":126551211376642,"level":0,"text":"","type":104}
        @nix {"action":"result","fields":[0,3,0,0],"id":126551211376642,"type":105}
        @nix {"action":"start","fields":["\#(badDep)","",1,1],"id":126551211376645,"level":3,"text":"building '\#(badDep)'","type":105}
        @nix {"action":"result","fields":[0,3,1,0],"id":126551211376642,"type":105}
        @nix {"action":"result","fields":["bad-dep: going to fail"],"id":126551211376645,"type":101}
        @nix {"action":"result","fields":[0,2,0,1],"id":126551211376642,"type":105}
        @nix {"action":"msg","column":null,"file":null,"level":0,"line":null,"msg":"\u001b[31;1merror:\u001b[0m builder for '\u001b[35;1m\#(badDep)\u001b[0m' failed with exit code 1","raw_msg":"builder for '\u001b[35;1m\#(badDep)\u001b[0m' failed with exit code 1"}
        @nix {"action":"stop","id":126551211376645}
        @nix {"action":"result","fields":[0,0,0,1],"id":126551211376642,"type":105}
        @nix {"action":"stop","id":126551211376642}
        @nix {"action":"stop","id":126551211376641}
        @nix {"action":"msg","column":null,"file":null,"level":0,"line":null,"msg":"\u001b[31;1merror:\u001b[0m \u001b[35;1m\u001b[0m\u001b[35;1m1\u001b[0m dependencies of derivation '\u001b[35;1m\#(topBad)\u001b[0m' failed to build\u001b[0m","raw_msg":"\u001b[35;1m\u001b[0m\u001b[35;1m1\u001b[0m dependencies of derivation '\u001b[35;1m\#(topBad)\u001b[0m' failed to build\u001b[0m"}
        """#
        let state = decode(text).state
        #expect(state.derivation(path: badDep)?.status == .failed)
        #expect(state.derivation(path: badDep)?.exitCode == 1)
        #expect(state.derivation(path: topBad)?.status == .dependencyFailed)
        #expect(state.plannedBuilds == 3 && state.unlistedNotBuilt == 1)
        #expect(NixLogReport.outcomeLine(state) == "1 failed, 1 dependency failed, 1 not built")
        try expectAgreement(state)
    }
}
