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
}
