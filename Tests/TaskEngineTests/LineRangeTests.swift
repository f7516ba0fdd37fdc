import Foundation
import Testing
@_spi(StoreWriting) @testable import TaskEngine

@Suite("reading a stream back by line range matches splitting the whole stream")
struct LineRangeTests {
    let environment: TestEnvironment
    init() throws { environment = try TestEnvironment() }

    /// Stores `text` through StreamBuffer with flushes at the given byte offsets, as the recorder would.
    func store(_ bytes: [UInt8], flushingAt cuts: [Int], task: UUID) throws {
        var buffer = StreamBuffer(name: .stdout)
        var start = 0
        for cut in (cuts + [bytes.count]).sorted() where cut >= start && cut <= bytes.count {
            bytes[start..<cut].withUnsafeBytes { buffer.append($0) }
            start = cut
            if let chunk = buffer.takeChunk(final: false) {
                try environment.store.appendOutput(task: task, processIndex: 0, chunks: [chunk], counters: OutputCounters(),
                                                   nixStateJSON: nil, progress: nil)
            }
        }
        if let chunk = buffer.takeChunk(final: true) {
            try environment.store.appendOutput(task: task, processIndex: 0, chunks: [chunk], counters: OutputCounters(),
                                               nixStateJSON: nil, progress: nil)
        }
    }

    @Test("every window of a stream with short lines, empty lines, a line longer than a chunk and no final newline")
    func windows() throws {
        var text: [UInt8] = []
        var expected: [[UInt8]] = []
        for index in 0..<40 {
            let line: [UInt8] = index == 17 ? [UInt8](repeating: 0x61, count: StreamBuffer.maxHeldBytes + 5)
                : index % 7 == 3 ? [] : Array("line \(index)".utf8)
            expected.append(line)
            text += line
            if index < 39 { text.append(10) }
        }
        let task = UUID()
        var cuts: [Int] = []
        var position = 0
        var generator = SystemRandomNumberGenerator()
        while position < text.count {
            position += Int.random(in: 1...(StreamBuffer.maxHeldBytes / 2), using: &generator)
            cuts.append(min(position, text.count))
        }
        try store(text, flushingAt: cuts + [3, 4, 5, 100], task: task)
        // Windows that start before, inside and after the long line 17 (each read is real SQLite + LZ4).
        for lower in [0, 1, 2, 3, 15, 16, 17, 18, 19, 38, 39, 40, 41] {
            for upper in [lower + 1, lower + 5] {
                let lines = try environment.store.lines(task: task, processIndex: 0, stream: .stdout,
                                                        range: Int64(lower)..<Int64(upper))
                let want = Array(expected[min(lower, expected.count)..<min(upper, expected.count)])
                #expect(lines == want, "lines \(lower)..<\(upper)")
            }
        }
    }
}
