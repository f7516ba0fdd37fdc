// Byte-level behaviour of NixLogDecoder: line splitting, malformed input, limits.
import Foundation
import NixLog
import Testing

private let drv = "/nix/store/3k9y3703c6g9yspcxw7bpxgsh8ybhxqv-hello.drv"

/// A short stream with every kind of line, ending without a newline.
private let shortStream = """
plain stderr line
@nix {"action":"start","id":7,"level":0,"text":"","type":104}
@nix {"action":"start","fields":["\(drv)","",1,1],"id":8,"level":3,"text":"building '\(drv)'","type":105}
@nix {"action":"result","fields":["hello \\u001b[31mworld\\u001b[0m"],"id":8,"type":101}
@nix {"action":"msg","level":1,"msg":"\\u001b[35;1mwarning:\\u001b[0m careful"}
@nix {"action":"result","fields":[1,1,0,0],"id":7,"type":105}
@nix {not json
@nix {"action":"stop","id":8}
last line without newline
"""

@Suite("NixLogDecoder")
struct DecoderTests {
    @Test("a stream split at every offset decodes exactly like the whole stream")
    func everySplitOffset() {
        let bytes = Array(shortStream.utf8)
        let whole = decode(bytes)
        #expect(whole.outputs.count == 4)
        for k in 1..<bytes.count {
            var decoder = NixLogDecoder()
            var outputs: [NixLogOutput] = []
            bytes.withUnsafeBytes { all in
                decoder.feed(UnsafeRawBufferPointer(rebasing: all[..<k])) { outputs.append($0) }
                decoder.feed(UnsafeRawBufferPointer(rebasing: all[k...])) { outputs.append($0) }
            }
            decoder.finish { outputs.append($0) }
            #expect(outputs == whole.outputs, "split at \(k)")
            #expect(decoder.state == whole.state, "split at \(k)")
        }
        #expect(decode(bytes, chunkSizes: [1]).outputs == whole.outputs)
        #expect(decode(bytes, chunkSizes: [3, 1, 7, 2]).state == whole.state)
    }

    @Test("plain lines, build log lines and events come out in order")
    func orderOfOutputs() {
        let (outputs, state) = decode(shortStream)
        #expect(outputs == [
            .plainLine(Array("plain stderr line".utf8)),
            .buildLogLine(derivation: drv, text: "hello \u{1B}[31mworld\u{1B}[0m"),
            .plainLine(Array("@nix {not json".utf8)),
            .plainLine(Array("last line without newline".utf8)),
        ])
        #expect(state.otherLines == 3)
        #expect(state.buildLogLines == 1)
        #expect(state.messages(at: .warn).kept == ["warning: careful"])
        #expect(state.builds == NixProgress(done: 1, expected: 1, running: 0, failed: 0))
        #expect(state.derivations.count == 1)
        #expect(state.derivations[0].status == .built)
        #expect(state.derivations[0].name == "hello")
        #expect(state.derivations[0].lastLine == "hello \u{1B}[31mworld\u{1B}[0m")
    }

    @Test("a final @nix line without newline still counts")
    func finalEventWithoutNewline() {
        let (outputs, state) = decode(#"@nix {"action":"msg","level":3,"msg":"last"}"#)
        #expect(outputs.isEmpty)
        #expect(state.messages(at: .info).kept == ["last"])
        #expect(state.otherLines == 0)
    }

    @Test("empty lines and CRLF endings are kept as plain lines byte for byte")
    func emptyAndCRLF() {
        let (outputs, state) = decode("a\n\nb\r\n@nix {\"action\":\"stop\",\"id\":1}\r\n")
        #expect(outputs == [.plainLine(Array("a".utf8)), .plainLine([]), .plainLine(Array("b\r".utf8))])
        #expect(state.otherLines == 3)
        #expect(state.events == 1)
    }

    @Test("malformed @nix lines become plain lines, never errors", arguments: [
        "@nix ",
        "@nix {",
        "@nix {}",
        "@nix []",
        "@nix null",
        #"@nix {"action":"msg","level":0,"msg":"x"} trailing"#,
        #"@nix {"action":"msg","level":0,"msg":"x"},"#,
        #"@nix {"action":"msg","level":0}"#,
        #"@nix {"action":"msg","msg":"no level"}"#,
        #"@nix {"action":"msg","level":0,"msg":null}"#,
        #"@nix {"action":"start","type":105}"#,
        #"@nix {"action":"stop"}"#,
        #"@nix {"action":"stop","id":-1}"#,
        #"@nix {"action":"stop","id":18446744073709551616}"#,
        #"@nix {"action":"result","id":1}"#,
        #"@nix {"action":"dance","id":1}"#,
        #"@nix {"action":1,"id":1}"#,
        #"@nix {"action":"stop","id":1,}"#,
        #"@nix {"action":"stop" "id":1}"#,
        #"@nix {"action":"msg","level":0,"msg":"bad \x escape"}"#,
        #"@nix {"action":"msg","level":0,"msg":"bad \u12G4"}"#,
        "@nix {\"action\":\"msg\",\"level\":0,\"msg\":\"raw \t tab\"}",
        #"@nix {"action":"stop","id":01}"#,
        #"@nix {"action":"stop","id":1.}"#,
        #"@nix {"action":"stop","id":1,"x":[1,2,}"#,
        #"@nix {"action":"stop","id":1,"x":tru}"#,
        "@nix " + String(repeating: "[", count: 10_000),
        #"@nix{"action":"stop","id":1}"#,
        #"@nixnot-a-message (no space after @nix)"#,
        #"looks like json: {"action":"msg","level":0,"msg":"not a nix message"}"#,
    ])
    func malformed(line: String) {
        let (outputs, state) = decode(line + "\n")
        #expect(outputs == [.plainLine(Array(line.utf8))])
        #expect(state.otherLines == 1)
        #expect(state.events == 0)
    }

    @Test("unknown keys and values of any shape are skipped")
    func unknownKeys() {
        let line = #"@nix {"action":"stop","extra":{"a":[1,-2.5e3,true,false,null,{"b":"\"\\\/\b\f\n\r\t\u00e9"}]},"id":5,"z":"x"}"#
        let (outputs, state) = decode(line)
        #expect(outputs.isEmpty)
        #expect(state.events == 1)
    }

    @Test("unknown activity and result types are kept as other events, never fatal")
    func unknownTypes() {
        let stream = """
        @nix {"action":"start","fields":["x",3],"id":1,"level":3,"text":"future","type":999}
        @nix {"action":"result","fields":["a",1,{"k":null}],"id":1,"type":555}
        @nix {"action":"result","fields":[42],"id":1,"type":101}
        @nix {"action":"stop","id":1}
        """
        let (outputs, state) = decode(stream)
        #expect(outputs.isEmpty)
        #expect(state.events == 4)
        #expect(state.otherEvents == 3)
        #expect(state.buildLogLines == 0)
        #expect(NixEvent(line: Array(#"@nix {"action":"result","fields":["a",1,{"k":null}],"id":1,"type":555}"#.utf8))
            == .result(id: 1, .other(type: 555, fields: [.string("a"), .integer(1), .other])))
    }

    @Test("ids up to 2^64-1 attribute build log lines")
    func hugeIDs() {
        for id in [UInt64(1) << 63, UInt64.max] {
            let stream = """
            @nix {"action":"start","fields":["\(drv)","",1,1],"id":\(id),"level":3,"text":"","type":105}
            @nix {"action":"result","fields":["line"],"id":\(id),"type":101}
            """
            let (outputs, state) = decode(stream)
            #expect(outputs == [.buildLogLine(derivation: drv, text: "line")])
            #expect(state.runningActivities[id]?.derivationPath == drv)
        }
    }

    @Test("Nix 2.18+ shapes: start with parent, FetchTree activity, FetchStatus result")
    func newerShapes() {
        let stream = """
        @nix {"action":"start","id":10,"level":4,"parent":0,"text":"fetching","type":112}
        @nix {"action":"start","fields":["\(drv)","ssh://builder",1,1],"id":11,"level":3,"parent":10,"text":"","type":105}
        @nix {"action":"result","fields":["unpackPhase"],"id":11,"type":104}
        @nix {"action":"result","fields":["fetched 3 files"],"id":10,"type":108}
        @nix {"action":"result","fields":["hook says hi"],"id":11,"type":107}
        """
        let (outputs, state) = decode(stream)
        #expect(outputs == [.buildLogLine(derivation: drv, text: "hook says hi")])
        #expect(state.runningActivities[10]?.parent == nil)
        #expect(state.runningActivities[11]?.parent == 10)
        #expect(state.fetchStatus == "fetched 3 files")
        #expect(state.derivations[0].phase == "unpackPhase")
        #expect(state.derivations[0].host == "ssh://builder")
        #expect(state.otherEvents == 0)
    }

    @Test("messages lose their ANSI escapes; build log lines keep them")
    func ansi() {
        let stream = """
        @nix {"action":"msg","level":0,"msg":"\\u001b[31;1merror:\\u001b[0m plain \\u001b]0;title\\u0007x\\u001b(B"}
        @nix {"action":"start","fields":["\(drv)","",1,1],"id":1,"level":3,"text":"","type":105}
        @nix {"action":"result","fields":["\\u001b[1;32mgreen\\u001b[0m"],"id":1,"type":101}
        """
        let (outputs, state) = decode(stream)
        #expect(state.messages(at: .error).kept == ["error: plain x"])
        #expect(outputs == [.buildLogLine(derivation: drv, text: "\u{1B}[1;32mgreen\u{1B}[0m")])
        #expect("a\u{1B}[".strippingANSIEscapes == "a")
    }

    @Test("invalid UTF-8 becomes replacement characters and nothing is dropped")
    func invalidUTF8() {
        var bytes = Array("plain \u{FF}".utf8)  // valid: ÿ
        bytes += [0xFF, 0xFE, 0x0A]
        bytes += Array(#"@nix {"action":"msg","level":2,"msg":"raw "#.utf8) + [0xC3, 0x28] + Array(#" \ud800 \ud83d\ude00 \u00e9"}"#.utf8) + [0x0A]
        let (outputs, state) = decode(bytes)
        #expect(outputs == [.plainLine(Array("plain \u{FF}".utf8) + [0xFF, 0xFE])])
        #expect(state.messages(at: .notice).kept == ["raw \u{FFFD}( \u{FFFD} 😀 é"])
    }

    @Test("a 2 MB plain line is cut to maxLineBytes and counted; the next line is intact")
    func hugePlainLine() {
        let huge = [UInt8](repeating: 0x61, count: 2_000_000)
        let bytes = huge + [0x0A] + Array(#"@nix {"action":"msg","level":3,"msg":"after"}"#.utf8) + [0x0A]
        for sizes in [[64 * 1024], [4096, 1], [3_000_000]] {
            let (outputs, state) = decode(bytes, chunkSizes: sizes, maxLineBytes: 64 * 1024)
            #expect(outputs == [.plainLine([UInt8](repeating: 0x61, count: 64 * 1024))])
            #expect(state.truncatedLines == 1)
            #expect(state.otherLines == 1)
            #expect(state.messages(at: .info).kept == ["after"])
        }
    }

    @Test("a 2 MB build log line is still attributed to its derivation, with its text cut")
    func hugeBuildLogLine() {
        let text = String(repeating: "x\\u001b", count: 2_000_000 / 7)
        let stream = """
        @nix {"action":"start","fields":["\(drv)","",1,1],"id":1,"level":3,"text":"","type":105}
        @nix {"action":"result","fields":["\(text)"],"id":1,"type":101}
        @nix {"action":"result","fields":["next"],"id":1,"type":101}

        """
        for sizes in [[64 * 1024], [65_537, 100], [10_000_000]] {
            let (outputs, state) = decode(Array(stream.utf8), chunkSizes: sizes)
            let lines = outputs.logLines
            #expect(lines.count == 2)
            #expect(lines.first?.derivation == drv)
            #expect(lines.first.map { $0.text.utf8.count <= 64 * 1024 && $0.text.hasPrefix("x\u{1B}x\u{1B}") } == true)
            #expect(lines.last?.text == "next")
            #expect(state.truncatedLines == 1)
            #expect(state.buildLogLines == 2)
            #expect(state.otherLines == 0)
        }
    }

    @Test("structured errors keep file, line, column and trace; absent positions are nil")
    func structuredErrors() throws {
        let stream = """
        @nix {"action":"msg","column":45,"file":"/nix/store/x-source/flake.nix","level":0,"line":15,"msg":"\\u001b[31;1merror:\\u001b[0m undefined variable 'x'","raw_msg":"undefined variable '\\u001b[35;1mx\\u001b[0m'","trace":[{"column":20,"file":"/f.nix","line":17,"raw_msg":"while evaluating \\u001b[35;1m'addOne'\\u001b[0m"},{"pos":{"column":1,"file":"/g.nix","line":2},"raw_msg":"from call site"},"bare frame"]}
        @nix {"action":"msg","column":null,"file":null,"level":0,"line":null,"msg":"error: builder for '\(drv)' failed with exit code 1","raw_msg":"builder for '\\u001b[35;1m\(drv)\\u001b[0m' failed with exit code 1"}
        @nix {"action":"msg","level":1,"msg":"warning: shaped","raw_msg":"shaped"}
        """
        let (outputs, state) = decode(stream)
        #expect(outputs.isEmpty)
        let errors = state.errors.kept
        #expect(errors.count == 3)
        #expect(errors[0].message == "error: undefined variable 'x'")
        #expect(errors[0].rawMessage == "undefined variable 'x'")
        #expect(errors[0].file == "/nix/store/x-source/flake.nix")
        #expect(errors[0].line == 15)
        #expect(errors[0].column == 45)
        #expect(errors[0].trace == [
            NixTraceFrame(message: "while evaluating 'addOne'", file: "/f.nix", line: 17, column: 20),
            NixTraceFrame(message: "from call site", file: "/g.nix", line: 2, column: 1),
            NixTraceFrame(message: "bare frame"),
        ])
        #expect(errors[1].file == nil && errors[1].line == nil && errors[1].column == nil && errors[1].trace.isEmpty)
        #expect(state.derivation(path: drv)?.status == .dependencyFailed || state.derivation(path: drv)?.status == .failed)
        #expect(errors[2].level == .warn)
        #expect(state.messages(at: .error).totalCount == 0)

        let json = try reportJSON(state)
        let first = try #require((json["errors"] as? [[String: Any]])?.first)
        #expect(first["message"] as? String == "error: undefined variable 'x'")
        #expect((first["trace"] as? [String])?.count == 3)
        let second = try #require((json["errors"] as? [[String: Any]])?[1])
        #expect(second["file"] is NSNull && second["line"] is NSNull && second["column"] is NSNull)
    }

    @Test("message lists keep their first and last entries and count the rest")
    func messageCaps() {
        var stream = ""
        for i in 0..<10_000 { stream += #"@nix {"action":"msg","level":5,"msg":"m\#(i)"}"# + "\n" }
        let (_, state) = decode(stream)
        let log = state.messages(at: .chatty)
        #expect(log.totalCount == 10_000)
        #expect(log.kept.count == NixProcessState.messageHeadLimit + NixProcessState.messageTailLimit)
        #expect(log.kept.first == "m0")
        #expect(log.kept.last == "m9999")
        #expect(log.omitted == 10_000 - log.kept.count)
    }

    @Test("progress: builds, copies, downloads and expected amounts as Nix reports them")
    func progress() {
        let stream = """
        @nix {"action":"start","id":1,"level":0,"text":"","type":102}
        @nix {"action":"start","id":2,"level":0,"text":"","type":104}
        @nix {"action":"start","id":3,"level":0,"text":"","type":103}
        @nix {"action":"result","fields":[101,5000],"id":1,"type":106}
        @nix {"action":"start","fields":["https://cache/x.nar"],"id":4,"level":4,"text":"downloading","type":101}
        @nix {"action":"result","fields":[1000,5000,0,0],"id":4,"type":105}
        @nix {"action":"result","fields":[5000,5000,0,0],"id":4,"type":105}
        @nix {"action":"stop","id":4}
        @nix {"action":"start","fields":["/nix/store/p","https://cache"],"id":5,"level":4,"text":"","type":108}
        @nix {"action":"result","fields":[2,3,1,0],"id":3,"type":105}
        @nix {"action":"result","fields":[1,4,2,1],"id":2,"type":105}
        @nix {"action":"result","fields":[4096,8],"id":6,"type":100}
        """
        let (_, state) = decode(stream)
        #expect(state.builds == NixProgress(done: 1, expected: 4, running: 2, failed: 1))
        #expect(state.copies == NixProgress(done: 2, expected: 3, running: 1, failed: 0))
        #expect(state.downloads.started == 1 && state.downloads.finished == 1)
        #expect(state.downloads.doneBytes == 5000 && state.downloads.expectedBytes == 5000)
        #expect(state.expectedByActivityType[101] == 5000)
        #expect(state.substitutions == 1)
        #expect(state.filesLinked == 1 && state.bytesLinked == 4096)
    }

    @Test("the state survives a JSON round trip and the report has the documented keys")
    func codable() throws {
        let (_, state) = decode(shortStream)
        let data = try JSONEncoder().encode(state)
        #expect(try JSONDecoder().decode(NixProcessState.self, from: data) == state)
        let json = try reportJSON(state)
        for key in ["errors", "messagesByLevel", "buildLogLines", "builds", "otherLines", "derivations", "downloads", "copies", "truncatedLines"] {
            #expect(json[key] != nil, "missing \(key)")
        }
        let levels = try #require(json["messagesByLevel"] as? [String: [String]])
        #expect(Set(levels.keys) == ["error", "warn", "notice", "info", "talkative", "chatty", "debug", "vomit"])
        #expect(json["builds"] as? [String: Int] == ["done": 1, "expected": 1, "running": 0, "failed": 0])
        let derivation = try #require((json["derivations"] as? [[String: Any]])?.first)
        #expect(derivation["lastLine"] as? String == "hello world")
        #expect(!NixLogReport(state: state).text.isEmpty)
    }

    @Test("the fold does not grow with the number of build log lines")
    func boundedFold() throws {
        var header = """
        @nix {"action":"start","fields":["\(drv)","",1,1],"id":1,"level":3,"text":"","type":105}

        """
        header += ""
        let line = Array(#"@nix {"action":"result","fields":["some build output"],"id":1,"type":101}"#.utf8) + [0x0A]
        var decoder = NixLogDecoder()
        var emitted = 0
        Array(header.utf8).withUnsafeBytes { decoder.feed($0) { _ in } }
        let block = Array((0..<1000).map { _ in line }.joined())
        var sizes: [Int] = []
        for round in 0..<100 {
            block.withUnsafeBytes { decoder.feed($0) { _ in emitted += 1 } }
            if round == 0 || round == 99 { sizes.append(try JSONEncoder().encode(decoder.state).count) }
        }
        #expect(emitted == 100_000)
        #expect(decoder.state.buildLogLines == 100_000)
        #expect(sizes[1] <= sizes[0] + 16)  // only the counters' digits grow
    }
}

/// The `nix-log --json` document of `state`, parsed back.
func reportJSON(_ state: NixProcessState) throws -> [String: Any] {
    let data = try JSONEncoder().encode(NixLogReport(state: state))
    return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
}
