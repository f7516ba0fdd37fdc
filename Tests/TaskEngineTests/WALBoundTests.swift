import Foundation
import Testing
@_spi(StoreWriting) @testable import TaskEngine

@Suite("the files on disk stay close to the data")
struct WALBoundTests {
    func fileSize(_ path: String) -> Int {
        (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
    }

    @Test("the WAL never grows past its 4 MiB bound plus the batch being written")
    func walBound() throws {
        let environment = try TestEnvironment()
        let store = environment.store
        let urandom = try #require(FileHandle(forReadingAtPath: "/dev/urandom"))
        let task = UUID()
        let batch = 1 << 20
        var stored = 0
        // Random bytes do not compress: 16 MiB of them reach the database as they are.
        for index in 0..<16 {
            let bytes = [UInt8](urandom.readData(ofLength: batch))
            try store.appendOutput(task: task, processIndex: 0,
                                   chunks: [OutputChunk(stream: .stdout, firstLine: Int64(index), newlineCount: 0, bytes: bytes)],
                                   counters: OutputCounters(), nixStateJSON: nil, progress: nil)
            stored += batch
            let wal = fileSize(store.path + "-wal")
            #expect(wal <= TaskStore.walBytes + 2 * batch, "WAL \(wal) bytes after batch \(index)")
        }
        let total = fileSize(store.path) + fileSize(store.path + "-wal") + fileSize(store.path + "-shm")
        #expect(total <= stored + TaskStore.walBytes + 3 * batch, "files \(total) bytes for \(stored) bytes of output")
        let before = try store.lines(task: task, processIndex: 0, stream: .stdout, range: 0..<1)
        #expect(before.first?.count ?? 0 > 0)
    }
}
