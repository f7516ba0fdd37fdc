// Inputs the fuzz targets in Fuzz/ found, kept as tests of the behaviour they broke.
import NixLog
import Testing
@testable import TaskEngine

@Suite("inputs found by fuzzing the line splitter")
struct FuzzRegressionTests {
    /// Fuzz/run.sh streambuffer found `appendLine` counting one newline for a line that held one
    /// (crash input 1e 70 ed 61 0d 0a 6e 6c 72 00 20 69 03: lineCount 1, 2 expected). A Nix build
    /// log line is such a line: its JSON text may hold `\n`, and the recorder stores it with
    /// `appendLine`, so every later chunk of that build log started at the wrong line number.
    @Test("a build log line with a newline in its text moves the next chunk's first line by two")
    func buildLogLineWithNewline() throws {
        var decoder = NixLogDecoder()
        var texts: [String] = []
        let stderr = #"@nix {"action":"result","fields":["first\nsecond"],"id":1,"type":101}"# + "\n"
        Array(stderr.utf8).withUnsafeBytes { bytes in
            decoder.feed(bytes) { if case .buildLogLine(_, let text) = $0 { texts.append(text) } }
        }
        #expect(texts == ["first\nsecond"])

        var buffer = StreamBuffer(name: .buildLog(nil))
        buffer.appendLine(texts[0].utf8)
        #expect(buffer.lineCount == 2)
        let firstChunk = buffer.takeChunk(final: false)
        let first = try #require(firstChunk)
        #expect(first.firstLine == 0)
        #expect(first.newlineCount == 2)
        #expect(first.bytes == Array("first\nsecond\n".utf8))

        buffer.appendLine("third".utf8)
        let secondChunk = buffer.takeChunk(final: true)
        let second = try #require(secondChunk)
        #expect(second.firstLine == 2)
        #expect(second.newlineCount == 1)
        #expect(buffer.lineCount == 3)
    }
}
