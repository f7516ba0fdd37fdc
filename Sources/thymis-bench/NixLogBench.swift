// `thymis-bench nixlog FILE [--repeat N] [--stream-copies K]`: NixLogDecoder throughput beside `wc -l`.
import Foundation
import NixLog

/// Decodes FILE (an internal-json stderr capture) from memory in 64 KiB chunks, `repeat` times, and
/// prints MB/s of the best run beside `wc -l` on the same file, plus peak memory. With `--stream-copies K`
/// it then feeds the file K times as one stream, to show the fold's memory does not grow with lines.
func runNixLogBench(arguments: [String]) {
    var path: String?
    var repeats = 10
    var copies = 10
    var i = 0
    while i < arguments.count {
        switch arguments[i] {
        case "--repeat": i += 1; repeats = Int(arguments[i]) ?? repeats
        case "--stream-copies": i += 1; copies = Int(arguments[i]) ?? copies
        default: path = arguments[i]
        }
        i += 1
    }
    guard let path, let data = FileManager.default.contents(atPath: path) else {
        print("usage: thymis-bench nixlog FILE [--repeat N] [--stream-copies K]")
        return
    }
    let bytes = [UInt8](data)
    let megabytes = Double(bytes.count) / 1_000_000
    let chunk = 64 * 1024

    func decode(times: Int) -> (seconds: Double, state: NixProcessState, outputs: Int) {
        var decoder = NixLogDecoder()
        var outputs = 0
        let start = DispatchTime.now().uptimeNanoseconds
        bytes.withUnsafeBytes { all in
            for _ in 0..<times {
                var offset = 0
                while offset < all.count {
                    let end = min(offset + chunk, all.count)
                    decoder.feed(UnsafeRawBufferPointer(rebasing: all[offset..<end])) { _ in outputs += 1 }
                    offset = end
                }
            }
        }
        decoder.finish { _ in outputs += 1 }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        return (seconds, decoder.state, outputs)
    }

    // posix_spawn + waitpid: Foundation's Process.waitUntilExit polls, which can add tens of milliseconds.
    func wcLines() -> Double {
        let argv: [UnsafeMutablePointer<CChar>?] = [strdup("wc"), strdup("-l"), strdup(path), nil]
        defer { argv.forEach { free($0) } }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        defer { posix_spawn_file_actions_destroy(&actions) }
        var pid: pid_t = 0
        let start = DispatchTime.now().uptimeNanoseconds
        guard posix_spawn(&pid, "/usr/bin/wc", &actions, nil, argv, environ) == 0 else { return .infinity }
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    }

    let hwmBefore = peakResidentKiB()
    var best = Double.infinity
    var last: (seconds: Double, state: NixProcessState, outputs: Int)?
    for _ in 0..<repeats {
        let run = decode(times: 1)
        best = min(best, run.seconds)
        last = run
    }
    let hwmOne = peakResidentKiB()
    var wcBest = Double.infinity
    for _ in 0..<repeats { wcBest = min(wcBest, wcLines()) }

    guard let last else { return }
    print("file: \(path) (\(bytes.count) bytes, \(last.state.buildLogLines) build log lines, \(last.outputs) outputs)")
    print(String(format: "NixLogDecoder: %.1f MB/s (best of %d: %.4f s)", megabytes / best, repeats, best))
    print(String(format: "wc -l:         %.1f MB/s (best of %d: %.4f s, process start included)", megabytes / wcBest, repeats, wcBest))
    print("peak RSS: \(hwmBefore) KiB after loading the file, \(hwmOne) KiB after decoding it")

    if copies > 1 {
        let run = decode(times: copies)
        print(String(format: "stream of %d copies (%d build log lines): %.1f MB/s, peak RSS %d KiB",
                     copies, run.state.buildLogLines, megabytes * Double(copies) / run.seconds, peakResidentKiB()))
    }
}

/// VmHWM of this process in KiB (Linux), 0 elsewhere.
private func peakResidentKiB() -> Int {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
    for line in status.split(separator: "\n") where line.hasPrefix("VmHWM:") {
        return Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0
    }
    return 0
}
