import Foundation
import GRDB
import Testing
@_spi(StoreWriting) @testable import TaskEngine

@Suite("stores made by earlier releases")
struct StoreLayoutTests {
    /// A store as the release before issue 12 made it: 64 KiB pages, no auto-vacuum, schema up to v3,
    /// output chunks as LZ4 blocks (and raw ones), written with the previous encoder.
    static func makePreviousReleaseStore(at path: String, task: UUID, lines: [String]) throws {
        let queue = try DatabaseQueue(path: path)
        try queue.writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA page_size = 65536")
            try db.execute(sql: "VACUUM")
            try db.execute(sql: "PRAGMA journal_mode = WAL")
        }
        try StoreSchema.migrator.migrate(queue, upTo: "v3: a change counter for front ends that poll")
        try queue.write { db in
            var firstLine: Int64 = 0
            for piece in stride(from: 0, to: lines.count, by: 50).map({ Array(lines[$0..<min($0 + 50, lines.count)]) }) {
                let bytes = Array(piece.map { $0 + "\n" }.joined().utf8)
                let stored = ChunkCodec.encodeLZ4(bytes)
                try db.execute(sql: """
                    INSERT INTO output (task_id, process_idx, stream, first_line, newline_count, codec, raw_size, bytes)
                    VALUES (?, 0, 'stdout', ?, ?, ?, ?, ?)
                    """, arguments: [task.uuidString, firstLine, piece.count, stored.codec.rawValue, bytes.count, stored.data])
                firstLine += Int64(piece.count)
            }
        }
        try queue.close()
    }

    @Test("LZ4 and raw chunks of a store made by the previous release read back after the upgrade to zstd and 4 KiB pages")
    func readsPreviousRelease() throws {
        let directory = StateDirectory(path: FileManager.default.temporaryDirectory.appendingPathComponent("thymis-old-\(UUID().uuidString.prefix(8))").path)
        try directory.create()
        defer { try? FileManager.default.removeItem(atPath: directory.path) }
        let task = UUID()
        // Repetitive lines compress (LZ4 chunks); the last piece is one short line and stays raw.
        let lines = (0..<1_001).map { "[\($0 % 100)%] Building C object src/CMakeFiles/thymis.dir/file_\($0).c.o" }
        try Self.makePreviousReleaseStore(at: directory.databasePath, task: task, lines: lines)
        let codecs = try DatabaseQueue(path: directory.databasePath).read { db in
            try Int.fetchSet(db, sql: "SELECT DISTINCT codec FROM output")
        }
        #expect(codecs == [ChunkCodec.lz4.rawValue, ChunkCodec.raw.rawValue])

        let store = try TaskStore(directory: directory)
        let read = try store.lines(task: task, processIndex: 0, stream: .stdout, range: 0..<Int64(lines.count + 10))
        #expect(read.map { String(decoding: $0, as: UTF8.self) } == lines)
        #expect(try store.lines(task: task, processIndex: 0, stream: .stdout, range: 777..<779)
            .map { String(decoding: $0, as: UTF8.self) } == Array(lines[777..<779]))
        // The layout was rewritten once: 4 KiB pages (small batches cost little) and incremental vacuum.
        let layout = try store.database.read { db in
            (try Int.fetchOne(db, sql: "PRAGMA page_size"), try Int.fetchOne(db, sql: "PRAGMA auto_vacuum"),
             try String.fetchOne(db, sql: "PRAGMA journal_mode"))
        }
        #expect(layout.0 == 4096 && layout.1 == 2 && layout.2 == "wal")

        // New output in the same store is zstd; old and new read side by side.
        let newBytes = Array(lines.map { $0 + "\n" }.joined().utf8)
        let other = UUID()
        try store.appendOutput(task: other, processIndex: 0,
                               chunks: [OutputChunk(stream: .stdout, firstLine: 0, newlineCount: Int64(lines.count), bytes: newBytes)],
                               counters: OutputCounters(), nixStateJSON: nil, progress: nil)
        let newCodec = try store.database.read { db in
            try Int.fetchOne(db, sql: "SELECT codec FROM output WHERE task_id = ?", arguments: [other.uuidString])
        }
        #expect(newCodec == ChunkCodec.zstd.rawValue)
        #expect(try store.lines(task: other, processIndex: 0, stream: .stdout, range: 990..<1_001)
            .map { String(decoding: $0, as: UTF8.self) } == Array(lines[990..<1_001]))
    }

    @Test("a chunk with a codec this version does not know reads as a note, not a crash")
    func unknownCodec() {
        let bytes = ChunkCodec.decode(Data([1, 2, 3]), codec: 9, rawSize: 3)
        #expect(String(decoding: bytes, as: UTF8.self).contains("codec 9"))
    }
}
