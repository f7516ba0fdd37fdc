// libFuzzer target for StreamBuffer, the line splitter of stored output: whatever is appended and
// whenever chunks are taken, the chunks put back together are the input, with the right line numbers.
//
// The input is a script: each step's first byte picks an operation and a length, the following bytes
// are the data. Operations: append bytes, append a run of one byte (2 MB at most, to reach lines
// longer than `maxHeldBytes` without megabyte inputs), append a line, take a chunk. A clock that jumps
// at every third step gives lines times of their own inside a chunk.

import Foundation

private func check(_ condition: Bool, _ message: @autoclosure () -> String) {
    if !condition { fatalError("invariant broken: \(message())") }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let input = UnsafeBufferPointer(start: data, count: size)
    var buffer = StreamBuffer(name: .stderr)
    var expected: [UInt8] = []  // every byte appended, in order
    var stored: [UInt8] = []  // every chunk's bytes, in order
    var storedNewlines: Int64 = 0
    var expectedNewlines: Int64 = 0

    func take(final: Bool) {
        let before = buffer.lineCount
        guard let chunk = buffer.takeChunk(final: final) else {
            check(!final || buffer.byteCount == 0, "a final take left \(buffer.byteCount) bytes")
            return
        }
        check(!chunk.bytes.isEmpty, "an empty chunk")
        check(chunk.stream == .stderr, "chunk of stream \(chunk.stream)")
        check(chunk.firstLine == storedNewlines, "chunk starts at line \(chunk.firstLine), \(storedNewlines) newlines stored before it")
        let newlines = Int64(chunk.bytes.count { $0 == 10 })
        check(chunk.newlineCount == newlines, "chunk says \(chunk.newlineCount) newlines, holds \(newlines)")
        // Every line has a time: the chunk's, then later ones at lines inside it, ascending in line and time.
        check(chunk.arrivedAt != nil, "a chunk without a time")
        var previous = (line: Int64(0), at: chunk.arrivedAt ?? .distantPast)
        for entry in chunk.laterLineTimes {
            check(entry.line > previous.line && entry.line <= newlines, "later time at line \(entry.line) after \(previous.line), \(newlines) newlines")
            check(entry.at > previous.at, "times not ascending")
            previous = (entry.line, entry.at)
        }
        // A chunk taken before the end ends at a newline unless an unfinished line grew too long.
        if !final && chunk.bytes.last != 10 {
            check(chunk.bytes.count >= StreamBuffer.maxHeldBytes, "a \(chunk.bytes.count)-byte chunk cut mid-line")
        }
        stored += chunk.bytes
        storedNewlines += newlines
        check(buffer.storedNewlines == storedNewlines, "storedNewlines \(buffer.storedNewlines) != \(storedNewlines)")
        check(buffer.lineCount == before, "taking a chunk changed lineCount from \(before) to \(buffer.lineCount)")
    }

    // A clock that jumps past StreamBuffer.timeResolution at every third step, so lines are cut into time segments.
    var clock = Date(timeIntervalSince1970: 1_000_000)
    var i = 0
    while i < size {
        clock += i % 3 == 0 ? 0.06 : 0.001
        let op = input[i]
        i += 1
        // Appends take up to 62 bytes of data, 63 meaning "the rest of the input"; a run takes one
        // byte (what it repeats); a take none.
        let n = Int(op >> 2)
        var length: Int
        switch op & 0x03 {
        case 1: length = 1
        case 3: length = 0
        default: length = n == 63 ? size - i : n
        }
        length = min(length, size - i)
        let piece = UnsafeBufferPointer(rebasing: input[i..<i + length])
        i += length
        switch op & 0x03 {
        case 0:
            buffer.append(UnsafeRawBufferPointer(piece), at: clock)
            expected += piece
            expectedNewlines += Int64(piece.count { $0 == 10 })
        case 1:
            // Mostly short runs; the longest length asks for 2 MB, past `maxHeldBytes` in one step
            // but rare enough to keep the fuzzer fast.
            let fill = piece.first ?? 0
            let run = [UInt8](repeating: fill, count: n == 63 ? 2 << 20 : n << 6)
            run.withUnsafeBytes { buffer.append($0, at: clock) }
            expected += run
            if fill == 10 { expectedNewlines += Int64(run.count) }
        case 2:
            buffer.appendLine(piece, at: clock)
            expected += piece
            expected.append(10)
            expectedNewlines += Int64(piece.count { $0 == 10 }) + 1
        default:
            take(final: false)
        }
        check(buffer.totalBytes == Int64(expected.count), "totalBytes \(buffer.totalBytes) != \(expected.count)")
        check(Int64(buffer.byteCount) + Int64(stored.count) == buffer.totalBytes, "held + stored != total bytes")
        let reference = expectedNewlines + (expected.last.map { $0 != 10 } ?? false ? 1 : 0)
        check(buffer.lineCount == reference, "lineCount \(buffer.lineCount), reference \(reference)")
    }
    take(final: true)
    check(buffer.byteCount == 0, "\(buffer.byteCount) bytes left after the final take")
    check(stored == expected, "chunks do not put back together to the input")
    return 0
}
