import Foundation
import Testing
@testable import TaskEngine

@Suite("StreamBuffer counts lines exactly and cuts chunks at line ends")
struct StreamBufferTests {
    @Test("the word-at-a-time newline count equals a byte-by-byte count on random bytes near 0x0a")
    func newlineCount() {
        var generator = SystemRandomNumberGenerator()
        let alphabet: [UInt8] = [0x0a, 0x0b, 0x09, 0x8a, 0x0a, 0x00, 0xff, 0x7f, 0x80, 0x61, 0x2a, 0x1a]
        for length in [0, 1, 7, 8, 9, 15, 16, 17, 63, 64, 65, 1000, 4096 + 3] {
            for _ in 0..<20 {
                let bytes = (0..<length).map { _ in alphabet[Int.random(in: 0..<alphabet.count, using: &generator)] }
                let expected = bytes.filter { $0 == 10 }.count
                #expect(bytes.withUnsafeBytes { StreamBuffer.countNewlines($0) } == expected, "length \(length)")
            }
        }
    }

    @Test("chunks end at a newline, carry their first line number, and reassemble the input")
    func chunks() {
        var buffer = StreamBuffer(name: .stdout)
        let input = Array("one\ntwo\nthree-without-end".utf8)
        input.withUnsafeBytes { buffer.append($0) }
        let first = buffer.takeChunk(final: false)
        #expect(first.map { String(decoding: $0.bytes, as: UTF8.self) } == "one\ntwo\n")
        #expect(first?.firstLine == 0 && first?.newlineCount == 2)
        #expect(buffer.lineCount == 3)
        let last = buffer.takeChunk(final: true)
        #expect(last.map { String(decoding: $0.bytes, as: UTF8.self) } == "three-without-end")
        #expect(last?.firstLine == 2 && last?.newlineCount == 0)
    }

    @Test("lines that arrive apart keep their own times in one chunk; an unfinished line keeps its start's time")
    func timeSegments() throws {
        var buffer = StreamBuffer(name: .stdout)
        let start = Date(timeIntervalSince1970: 1_700_000_000)
        func append(_ text: String, after seconds: TimeInterval) {
            Array(text.utf8).withUnsafeBytes { buffer.append($0, at: start + seconds) }
        }
        append("a1\na2\n", after: 0)
        append("a3\n", after: 0.01)         // within the resolution: a1's time
        append("b1\nb2-par", after: 1)      // a later segment, ending in an unfinished line
        append("t\nc1\n", after: 2)        // finishes b2 (keeps 1 s), c1 starts a segment at 2 s
        append("d-unfinished", after: 3)
        let chunkTaken = buffer.takeChunk(final: false)
        let chunk = try #require(chunkTaken)
        #expect(String(decoding: chunk.bytes, as: UTF8.self) == "a1\na2\na3\nb1\nb2-part\nc1\n", "one row per batch")
        #expect(chunk.firstLine == 0 && chunk.newlineCount == 6)
        #expect(chunk.arrivedAt == start)
        #expect(chunk.laterLineTimes == [LineTime(line: 3, at: start + 1), LineTime(line: 5, at: start + 2)])
        let times = (0..<6).map { LineTime.time(ofLine: Int64($0), arrivedAt: chunk.arrivedAt, later: chunk.laterLineTimes)?.timeIntervalSince(start) }
        #expect(times == [0, 0, 0, 1, 1, 2])
        // What the store keeps of them reads back the same, to the millisecond.
        let stored = LineTime.encode(chunk.laterLineTimes, after: chunk.arrivedAt)
        #expect(stored?.count == 16)
        #expect(LineTime.decode(stored, after: chunk.arrivedAt) == chunk.laterLineTimes)
        #expect(LineTime.encode([], after: start) == nil)
        append("-end\n", after: 4)
        let lastTaken = buffer.takeChunk(final: false)
        let last = try #require(lastTaken)
        #expect(String(decoding: last.bytes, as: UTF8.self) == "d-unfinished-end\n")
        #expect(last.arrivedAt == start + 3)
        #expect(last.laterLineTimes.isEmpty)
        #expect(last.firstLine == 6)
    }

    @Test("the rest of a line cut into pieces (longer than maxHeldBytes) is kept, with the time of its piece")
    func restOfLongLine() throws {
        var buffer = StreamBuffer(name: .stdout)
        let start = Date(timeIntervalSince1970: 1_700_000_000)
        let piece = [UInt8](repeating: 65, count: StreamBuffer.maxHeldBytes)
        piece.withUnsafeBytes { buffer.append($0, at: start) }
        let firstTaken = buffer.takeChunk(final: false)
        let first = try #require(firstTaken)
        #expect(first.bytes.count == StreamBuffer.maxHeldBytes)
        Array("tail\nnext".utf8).withUnsafeBytes { buffer.append($0, at: start + 1) }
        buffer.appendLine("line".utf8, at: start + 2)
        let restTaken = buffer.takeChunk(final: true)
        let rest = try #require(restTaken)
        // "next" arrived with "tail\n" (one read), so its line has that read's time, as "tail" has.
        #expect(String(decoding: rest.bytes, as: UTF8.self) == "tail\nnextline\n")
        #expect(rest.arrivedAt == start + 1)
        #expect(rest.laterLineTimes.isEmpty)
        #expect(rest.firstLine == 0)
    }
}
