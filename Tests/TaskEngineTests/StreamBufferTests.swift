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
        let first = buffer.takeChunks(final: false).first
        #expect(first.map { String(decoding: $0.bytes, as: UTF8.self) } == "one\ntwo\n")
        #expect(first?.firstLine == 0 && first?.newlineCount == 2)
        #expect(buffer.lineCount == 3)
        let last = buffer.takeChunks(final: true).first
        #expect(last.map { String(decoding: $0.bytes, as: UTF8.self) } == "three-without-end")
        #expect(last?.firstLine == 2 && last?.newlineCount == 0)
    }

    @Test("lines that arrive apart are chunks of their own, each with its first byte's time; an unfinished line keeps its start's time")
    func timeSegments() {
        var buffer = StreamBuffer(name: .stdout)
        let start = Date(timeIntervalSince1970: 1_700_000_000)
        func append(_ text: String, after seconds: TimeInterval) {
            Array(text.utf8).withUnsafeBytes { buffer.append($0, at: start + seconds) }
        }
        append("a1\na2\n", after: 0)
        append("a3\n", after: 0.01)         // within the resolution: same chunk
        append("b1\nb2-par", after: 1)      // a new segment, ending in an unfinished line
        append("t\nc1\n", after: 2)        // finishes b2 (keeps 1 s), c1 starts a segment at 2 s
        append("d-unfinished", after: 3)
        let chunks = buffer.takeChunks(final: false)
        #expect(chunks.map { String(decoding: $0.bytes, as: UTF8.self) } == ["a1\na2\na3\n", "b1\nb2-part\n", "c1\n"])
        #expect(chunks.map(\.firstLine) == [0, 3, 5])
        #expect(chunks.map(\.newlineCount) == [3, 2, 1])
        #expect(chunks.map { $0.arrivedAt?.timeIntervalSince(start) } == [0, 1, 2])
        append("-end\n", after: 4)
        let last = buffer.takeChunks(final: false)
        #expect(last.map { String(decoding: $0.bytes, as: UTF8.self) } == ["d-unfinished-end\n"])
        #expect(last.first?.arrivedAt?.timeIntervalSince(start) == 3)
        #expect(last.first?.firstLine == 6)
    }

    @Test("the rest of a line cut into pieces (longer than maxHeldBytes) is kept, with the times of its pieces")
    func restOfLongLine() {
        var buffer = StreamBuffer(name: .stdout)
        let start = Date(timeIntervalSince1970: 1_700_000_000)
        let piece = [UInt8](repeating: 65, count: StreamBuffer.maxHeldBytes)
        piece.withUnsafeBytes { buffer.append($0, at: start) }
        let first = buffer.takeChunks(final: false)
        #expect(first.map(\.bytes.count) == [StreamBuffer.maxHeldBytes])
        Array("tail\nnext".utf8).withUnsafeBytes { buffer.append($0, at: start + 1) }
        buffer.appendLine("line".utf8, at: start + 2)
        let rest = buffer.takeChunks(final: true)
        // "next" arrived with "tail\n" (one read), so its line has that read's time, as "tail" has.
        #expect(rest.map { String(decoding: $0.bytes, as: UTF8.self) } == ["tail\nnextline\n"])
        #expect(rest.first?.arrivedAt == start + 1)
        #expect(rest.first?.firstLine == 0)
    }
}
