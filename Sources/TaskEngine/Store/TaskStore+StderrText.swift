import Foundation

extension TaskStore {
    /// Up to `limit` bytes of one process's stored stderr (without `@nix` lines), for failure reasons
    /// that quote what a tool printed.
    func allStderrText(_ task: UUID, process: Int, limit: Int) throws -> String {
        var bytes: [UInt8] = []
        var after: Int64 = 0
        while bytes.count < limit {
            let chunks = try outputChunks(task: task, processIndex: process, stream: .stderr, afterID: after)
            guard let last = chunks.last else { break }
            for chunk in chunks { bytes += chunk.bytes }
            after = last.id
        }
        return String(decoding: bytes.prefix(limit), as: UTF8.self)
    }
}
