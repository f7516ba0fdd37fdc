import Foundation

/// What a program printed and how it ended.
struct Captured {
    let status: Int32
    let stdout: String
    let stderr: String
}

/// Runs a program to its end (stdin from /dev/null) and returns its status and output; for short
/// commands only (it waits on the calling thread).
func capture(_ program: String, _ arguments: [String]) throws -> Captured {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: program)
    process.arguments = arguments
    let out = Pipe(), err = Pipe()
    process.standardInput = FileHandle.nullDevice
    process.standardOutput = out
    process.standardError = err
    try process.run()
    // Both pipes drained at once: a full stderr pipe must not hold the program while stdout is read.
    nonisolated(unsafe) var said = Data()
    let drained = DispatchSemaphore(value: 0)
    DispatchQueue.global().async {
        said = err.fileHandleForReading.readDataToEndOfFile()
        drained.signal()
    }
    let data = out.fileHandleForReading.readDataToEndOfFile()
    drained.wait()
    process.waitUntilExit()
    return Captured(status: process.terminationStatus, stdout: String(decoding: data, as: UTF8.self),
                    stderr: String(decoding: said, as: UTF8.self))
}
