// libFuzzer target for NixLog: arbitrary stderr bytes, fed in data-derived chunks, must decode to the
// same lines and state as when fed whole, and the state must stay consistent and encodable.
import Foundation

/// Everything one decoder run produced, for comparing two ways of feeding the same bytes.
private struct Decoded: Equatable {
    var outputs: [NixLogOutput] = []
    var state = NixProcessState()
}

private func decode(_ input: UnsafeRawBufferPointer, maxLineBytes: Int, cuts: [Int]) -> Decoded {
    var decoder = NixLogDecoder(maxLineBytes: maxLineBytes)
    var result = Decoded()
    var start = 0
    for cut in cuts + [input.count] where cut >= start {
        decoder.feed(UnsafeRawBufferPointer(rebasing: input[start..<cut])) { result.outputs.append($0) }
        start = cut
    }
    decoder.finish { result.outputs.append($0) }
    result.state = decoder.state
    return result
}

private func check(_ condition: Bool, _ message: @autoclosure () -> String) {
    if !condition { fatalError("invariant broken: \(message())") }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let input = UnsafeRawBufferPointer(start: data, count: size)
    // Chunk boundaries from the data itself: after every byte whose low three bits are 0, so the
    // fuzzer controls them, plus splits inside the UTF-8 and escape sequences it mutates.
    var cuts: [Int] = []
    for i in 0..<size where input[i] & 0x07 == 0 { cuts.append(i + 1) }
    // 256 is the decoder's smallest line limit: small enough for the fuzzer to reach truncation.
    let limit = 256

    let whole = decode(input, maxLineBytes: limit, cuts: [])
    let chunked = decode(input, maxLineBytes: limit, cuts: cuts)
    let byteWise = decode(input, maxLineBytes: limit, cuts: Array(0..<size))
    check(whole == chunked, "chunked feeding differs from feeding the whole input")
    check(whole == byteWise, "byte-by-byte feeding differs from feeding the whole input")

    let state = whole.state
    var lines = 0
    for i in 0..<size where input[i] == 10 { lines += 1 }
    if size > 0 && input[size - 1] != 10 { lines += 1 }
    check(state.events + state.otherLines == lines, "events \(state.events) + other lines \(state.otherLines) != \(lines) lines")
    check(state.truncatedLines >= 0 && state.truncatedLines <= lines, "truncated lines \(state.truncatedLines)")
    check(state.otherEvents >= 0 && state.otherEvents <= state.events, "other events \(state.otherEvents)")
    check(state.derivations.count <= NixProcessState.derivationLimit, "derivations \(state.derivations.count)")
    check(state.runningActivities.count <= NixProcessState.activityLimit, "activities \(state.runningActivities.count)")
    check(state.downloads.started >= 0 && state.downloads.finished >= 0 && state.downloads.running >= 0,
          "downloads \(state.downloads)")
    check(state.copiedPaths.running >= 0, "copied paths \(state.copiedPaths)")
    check(state.substitutions >= 0 && state.derivationsOmitted >= 0 && state.activitiesOmitted >= 0, "counters")

    var plainLines = 0
    var buildLogLines = 0
    for output in whole.outputs {
        switch output {
        case .plainLine(let bytes):
            plainLines += 1
            check(!bytes.contains(10), "a plain line holds a newline")
            check(bytes.count <= limit, "a plain line of \(bytes.count) bytes is longer than the limit")
        case .buildLogLine:
            buildLogLines += 1
        }
    }
    check(plainLines == state.otherLines, "\(plainLines) plain lines emitted, \(state.otherLines) counted")
    check(buildLogLines == state.buildLogLines, "\(buildLogLines) build log lines emitted, \(state.buildLogLines) counted")

    // The engine stores the state as JSON: it must always encode and come back equal.
    do {
        let json = try JSONEncoder().encode(state)
        let decoded = try JSONDecoder().decode(NixProcessState.self, from: json)
        check(decoded == state, "state changes on a JSON round trip")
    } catch {
        fatalError("state does not round-trip through JSON: \(error)")
    }

    // The one-line entry point must agree with the decoder on whether a whole `@nix` line is an event.
    let firstLine = UnsafeRawBufferPointer(rebasing: input[0..<(input.firstIndex(of: 10) ?? size)])
    if firstLine.starts(with: "@nix ".utf8) && firstLine.count <= limit {
        let asEvent = NixEvent(line: firstLine) != nil
        let decodedAsEvent = decode(firstLine, maxLineBytes: limit, cuts: []).state.events == 1
        check(asEvent == decodedAsEvent, "NixEvent(line:) says \(asEvent), the decoder \(decodedAsEvent)")
    }
    return 0
}
