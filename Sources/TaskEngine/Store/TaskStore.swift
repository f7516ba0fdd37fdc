import Foundation
import GRDB

/// The single source of truth: every task, process and byte of output, in one SQLite file (WAL).
///
/// All calls are synchronous GRDB calls: they never throw `CancellationError`, so a final state is
/// recorded even while the Swift task that records it is being cancelled.
///
/// Outside TaskEngine the store is read-only: reads are public, every write (tasks, processes, requests,
/// estimates) is internal, so front ends change things only through the engine (`TaskEngine`, or
/// `EngineClient`'s request rows). The one exception, `appendOutput`, is behind `@_spi(StoreWriting)` for
/// the store benchmark and tests.
public final class TaskStore: Sendable {
    public let path: String
    let database: DatabasePool
    /// Tests make output writes fail through this (see `StoreFaultInjection`).
    let faultInjection = StoreFaultInjection()

    /// Opens (creating if needed, mode 0600) and migrates the database of a state directory.
    /// `readOnly` (list, show, logs) opens an existing, up-to-date database without taking SQLite's
    /// write lock at all, so readers work while another process holds it; it never creates a
    /// directory or a database (`StoreError.noStore`): a mistyped `--state-dir` must not leave one behind.
    public convenience init(directory: StateDirectory, readOnly: Bool = false) throws {
        if readOnly {
            // A directory the user may not enter (or one under such a directory) is not "no store".
            var info = stat()
            if stat(directory.path, &info) != 0 ? errno == EACCES
                : (info.st_mode & S_IFMT == S_IFDIR && access(directory.path, R_OK | X_OK) != 0) {
                throw StoreError.permissionDenied(directory: directory.path)
            }
            guard FileManager.default.fileExists(atPath: directory.databasePath) else {
                throw StoreError.noStore(directory: directory.path)
            }
            try directory.checkTrusted()
            if let store = try? TaskStore(readingExisting: directory.databasePath) {
                self.init(path: directory.databasePath, database: store.database)
                return
            }
        }
        try directory.create()
        try self.init(path: directory.databasePath)
    }

    private init(path: String, database: DatabasePool) {
        self.path = path
        self.database = database
    }

    /// A read-only pool on an existing database whose migrations are all applied; throws otherwise.
    private convenience init(readingExisting path: String) throws {
        guard FileManager.default.fileExists(atPath: path) else { throw StoreError.notFound(path) }
        var configuration = Configuration()
        configuration.readonly = true
        configuration.busyMode = .timeout(10)
        let pool = try DatabasePool(path: path, configuration: configuration)
        guard try pool.read({ try StoreSchema.migrator.hasCompletedMigrations($0) }) else { throw StoreError.notFound(path) }
        self.init(path: path, database: pool)
    }

    public init(path: String) throws {
        self.path = path
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        configuration.label = "thymis-tasks"
        configuration.prepareDatabase { db in
            // WAL + NORMAL: a commit survives a crash of this process; fsync happens at checkpoints.
            // The WAL is checkpointed every `walBytes` and cut back to that size when it restarts, so
            // the files on disk exceed the data by at most that plus the batch being written.
            let pageSize = try Int.fetchOne(db, sql: "PRAGMA page_size") ?? Self.pageSize
            try db.execute(sql: """
                PRAGMA synchronous = NORMAL; PRAGMA wal_autocheckpoint = \(max(16, Self.walBytes / pageSize));
                PRAGMA journal_size_limit = \(Self.walBytes)
                """)
        }
        // Creating and migrating happen under a file lock: several processes (a dashboard, CLI
        // commands) may open a new state directory at the same moment.
        let setupLock = openInStateDirectory(path + ".setup-lock", O_RDWR | O_CREAT)
        if setupLock >= 0 { flock(setupLock, LOCK_EX) }
        defer {
            if setupLock >= 0 {
                flock(setupLock, LOCK_UN)
                close(setupLock)
            }
        }
        do {
            if FileManager.default.fileExists(atPath: path) { Self.upgradeLayoutIfAlone(path: path) } else { try Self.create(path: path) }
            database = try DatabasePool(path: path, configuration: configuration)
            // Migrating takes the write lock; a store that is up to date is only read, so readers
            // (list, show, logs) work even while another process holds the write lock.
            let migrator = StoreSchema.migrator
            if try !database.read({ try migrator.hasCompletedMigrations($0) }) {
                try migrator.migrate(database)
            }
        } catch let error as DatabaseError {
            throw StoreError.cannotOpen(path: path, reason: Self.describe(error))
        } catch {
            throw StoreError.cannotOpen(path: path, reason: "\(error)")
        }
    }

    /// 4 KiB pages: every batch rewrites whole pages (the output table's last leaf, its index, the
    /// process row), so the page size is the floor of what a small batch costs on disk. 64 KiB pages
    /// made one 30-byte line cost ~197 KB of WAL (issue 15); zstd keeps the large-blob writes fast.
    static let pageSize = 4096
    /// The WAL's bound: checkpoint threshold and the size it is cut back to (`journal_size_limit`).
    static let walBytes = 4 << 20

    /// Creates an empty database file (0600) with 4 KiB pages and incremental auto-vacuum (pruned
    /// output gives its pages back to the file system). Both can only be chosen before WAL mode.
    private static func create(path: String) throws {
        let fd = openInStateDirectory(path, O_CREAT | O_EXCL | O_WRONLY)
        if fd < 0 {
            if errno == EEXIST { return }
            throw StoreError.cannotOpen(path: path, reason: String(cString: strerror(errno)))
        }
        close(fd)
        let queue = try DatabaseQueue(path: path)
        try queue.writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA page_size = \(pageSize); PRAGMA auto_vacuum = INCREMENTAL")
            try db.execute(sql: "VACUUM")
            try db.execute(sql: "PRAGMA journal_mode = WAL")
        }
        try queue.close()
    }

    /// Rewrites a store made before issue 12 (64 KiB pages, no auto-vacuum) into the current layout
    /// with one VACUUM. That needs the file to itself (WAL mode can only be left by the only
    /// connection), so it runs only when nobody else has it open, and otherwise waits for a later
    /// open; a failure (e.g. no room for the copy VACUUM makes) leaves the old layout working.
    private static func upgradeLayoutIfAlone(path: String) {
        guard let queue = try? DatabaseQueue(path: path) else { return }
        defer { try? queue.close() }
        try? queue.writeWithoutTransaction { db in
            let pageSize = try Int.fetchOne(db, sql: "PRAGMA page_size") ?? 0
            let autoVacuum = try Int.fetchOne(db, sql: "PRAGMA auto_vacuum") ?? 0
            guard pageSize != Self.pageSize || autoVacuum != 2 else { return }
            // Fails ("database is locked") while another process has the file open: try next time.
            guard (try? String.fetchOne(db, sql: "PRAGMA journal_mode = DELETE")) == "delete" else { return }
            defer { _ = try? String.fetchOne(db, sql: "PRAGMA journal_mode = WAL") }
            try db.execute(sql: "PRAGMA page_size = \(Self.pageSize); PRAGMA auto_vacuum = INCREMENTAL")
            try db.execute(sql: "VACUUM")
        }
    }

    static func describe(_ error: DatabaseError) -> String {
        switch error.resultCode {
        case .SQLITE_NOTADB, .SQLITE_CORRUPT:
            return "the file is not a valid task database (damaged or foreign); move it away to start with an empty one"
        case .SQLITE_FULL: return "the disk is full"
        case .SQLITE_BUSY, .SQLITE_LOCKED:
            return "the database is locked by another process for too long (a stuck thymis-tasks or sqlite3?); try again when it is released"
        case .SQLITE_READONLY, .SQLITE_PERM, .SQLITE_CANTOPEN: return "permission denied or read-only file system"
        case .SQLITE_IOERR: return "an I/O error (\(error.message ?? "no detail"))"
        default: return error.message ?? "\(error.resultCode)"
        }
    }

    /// Runs a write transaction, turning SQLite's errors into a `StoreError` that says what to do.
    func write<T>(_ body: (Database) throws -> T) throws -> T {
        do {
            return try database.write(body)
        } catch let error as DatabaseError {
            throw StoreError.writeFailed(path: path, reason: Self.describe(error))
        }
    }

    func read<T>(_ body: (Database) throws -> T) throws -> T {
        do {
            return try database.read(body)
        } catch let error as DatabaseError {
            throw StoreError.cannotOpen(path: path, reason: Self.describe(error))
        }
    }

    // MARK: - Tasks

    /// Inserts new tasks in one transaction: either all of them are stored or none.
    func insert(_ records: [TaskRecord]) throws {
        try write { db in
            var seq = try Int64.fetchOne(db, sql: "SELECT COALESCE(MAX(seq), 0) FROM task") ?? 0
            for record in records {
                seq += 1
                try db.execute(sql: """
                    INSERT INTO task (id, seq, type, submission, redacted_submission, display_name, target, state,
                        failure_reason, cancelled, submitted_at, started_at, ended_at, parent_id, retry_of, pool, progress)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """, arguments: [
                        record.id.uuidString, seq, record.type, record.submission, record.redactedSubmission,
                        record.displayName, record.target, record.state.rawValue, record.failureReason,
                        record.cancelled, record.submittedAt.timeIntervalSince1970,
                        record.startedAt?.timeIntervalSince1970, record.endedAt?.timeIntervalSince1970,
                        record.parentID?.uuidString, record.retryOf?.uuidString, record.pool, record.progress,
                    ])
            }
        }
    }

    public func task(_ id: UUID) throws -> TaskRecord? {
        try read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM task WHERE id = ?", arguments: [id.uuidString]).map(Self.taskRecord)
        }
    }

    /// The store's change counter: it grows with every task inserted or changed.
    public func taskVersion() throws -> Int64 {
        try read { db in try Int64.fetchOne(db, sql: "SELECT value FROM task_version") ?? 0 }
    }

    /// One task's change stamp (nil when there is no such task): a front end's cheap "did it change?".
    public func version(of id: UUID) throws -> Int64? {
        try read { db in try Int64.fetchOne(db, sql: "SELECT version FROM task WHERE id = ?", arguments: [id.uuidString]) }
    }

    /// Tasks inserted or changed after `version` (at most `limit`), and the counter they bring it to.
    public func tasksChanged(since version: Int64, limit: Int = 5000) throws -> (records: [TaskRecord], version: Int64) {
        try read { db in
            let rows = try Row.fetchAll(db, sql: "SELECT * FROM task WHERE version > ? ORDER BY version LIMIT ?",
                                        arguments: [version, limit])
            let latest = rows.last.map { $0["version"] as Int64 } ?? version
            return (rows.map(Self.taskRecord), latest)
        }
    }

    /// Several tasks by id in a few queries (for front ends refreshing what may have changed).
    public func tasks(ids: [UUID]) throws -> [UUID: TaskRecord] {
        var result: [UUID: TaskRecord] = [:]
        for batch in stride(from: 0, to: ids.count, by: 500).map({ Array(ids[$0..<min($0 + 500, ids.count)]) }) {
            let sql = "SELECT * FROM task WHERE id IN (\(batch.map { _ in "?" }.joined(separator: ",")))"
            let rows = try read { db in try Row.fetchAll(db, sql: sql, arguments: StatementArguments(batch.map(\.uuidString))) }
            for row in rows {
                let record = Self.taskRecord(row)
                result[record.id] = record
            }
        }
        return result
    }

    /// Finds a task by its full id or a unique prefix of it (case-insensitive).
    public func resolve(_ idOrPrefix: String) throws -> TaskRecord {
        let needle = idOrPrefix.uppercased()
        let allowed = Set("0123456789ABCDEF-")
        guard !needle.isEmpty, needle.count <= 36, needle.allSatisfy({ allowed.contains($0) }) else {
            throw StoreError.notFound(idOrPrefix)
        }
        let rows = try read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM task WHERE id LIKE ? ORDER BY seq LIMIT 6", arguments: [needle + "%"])
        }
        if rows.isEmpty { throw StoreError.notFound(idOrPrefix) }
        if rows.count > 1 { throw StoreError.ambiguous(prefix: idOrPrefix, matches: rows.map { $0["id"] as String }) }
        return Self.taskRecord(rows[0])
    }

    /// Tasks matching every filter given, newest first; `cancelled` splits failed tasks into
    /// cancelled and really failed. The limit applies after all filters (issue 30).
    public func tasks(states: [TaskState]? = nil, type: String? = nil, parent: UUID?? = nil, cancelled: Bool? = nil,
                      limit: Int? = nil, newestFirst: Bool = true) throws -> [TaskRecord] {
        let (condition, arguments) = Self.taskFilter(states: states, type: type, parent: parent, cancelled: cancelled)
        var sql = "SELECT * FROM task" + condition
        sql += newestFirst ? " ORDER BY seq DESC" : " ORDER BY seq ASC"
        if let limit { sql += " LIMIT \(max(0, limit))" }
        let finalSQL = sql
        return try read { db in
            try Row.fetchAll(db, sql: finalSQL, arguments: arguments).map(Self.taskRecord)
        }
    }

    /// How many tasks `tasks(states:type:parent:cancelled:)` would give without a limit: what a
    /// limited `list` left out (issue 30: 50 rows of 502 with no hint).
    public func taskCount(states: [TaskState]? = nil, type: String? = nil, parent: UUID?? = nil, cancelled: Bool? = nil) throws -> Int {
        let (condition, arguments) = Self.taskFilter(states: states, type: type, parent: parent, cancelled: cancelled)
        return try read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM task" + condition, arguments: arguments) ?? 0 }
    }

    /// The WHERE clause (with its leading space, or empty) of `tasks` and `taskCount`.
    private static func taskFilter(states: [TaskState]?, type: String?, parent: UUID??, cancelled: Bool?) -> (String, StatementArguments) {
        var clauses: [String] = []
        var arguments: [DatabaseValueConvertible?] = []
        if let states {
            clauses.append("state IN (\(states.map { _ in "?" }.joined(separator: ",")))")
            arguments += states.map { $0.rawValue }
        }
        if let type { clauses.append("type = ?"); arguments.append(type) }
        if let cancelled { clauses.append("cancelled = ?"); arguments.append(cancelled) }
        if let parent {
            if let parent { clauses.append("parent_id = ?"); arguments.append(parent.uuidString) }
            else { clauses.append("parent_id IS NULL") }
        }
        return (clauses.isEmpty ? "" : " WHERE " + clauses.joined(separator: " AND "), StatementArguments(arguments))
    }

    public func children(of parent: UUID) throws -> [TaskRecord] {
        try tasks(parent: .some(parent), newestFirst: false)
    }

    public func stateCounts() throws -> [TaskDisplayState: Int] {
        try read { db in
            var counts: [TaskDisplayState: Int] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT state, cancelled, COUNT(*) AS n FROM task GROUP BY state, cancelled") {
                let state = TaskState(rawValue: row["state"]) ?? .failed
                let cancelled: Bool = row["cancelled"]
                let display: TaskDisplayState = state == .failed && cancelled ? .cancelled : TaskDisplayState(rawValue: state.rawValue) ?? .failed
                counts[display, default: 0] += row["n"] as Int
            }
            return counts
        }
    }

    /// `runNowBy`: who started it past its pool's limit, recorded with the start.
    func markStarted(_ id: UUID, at date: Date, runNowBy: String? = nil) throws {
        try write { db in
            try db.execute(sql: "UPDATE task SET state = 'running', started_at = ?, run_now_by = ? WHERE id = ? AND state = 'pending'",
                           arguments: [date.timeIntervalSince1970, runNowBy, id.uuidString])
        }
    }

    /// Records a final state. Only a task that has not ended yet changes; returns whether it did.
    @discardableResult
    func markEnded(_ id: UUID, state: TaskState, reason: String?, cancelled: Bool, at date: Date) throws -> Bool {
        precondition(state.isFinal)
        return try write { db in
            try db.execute(sql: """
                UPDATE task SET state = ?, failure_reason = ?, cancelled = ?, ended_at = ?
                WHERE id = ? AND state IN ('pending', 'running')
                """, arguments: [state.rawValue, reason, cancelled, date.timeIntervalSince1970, id.uuidString])
            return db.changesCount > 0
        }
    }

    func setProgress(_ id: UUID, _ text: String?) throws {
        try write { db in
            try db.execute(sql: "UPDATE task SET progress = ? WHERE id = ?", arguments: [text, id.uuidString])
        }
    }

    func setResult(_ id: UUID, _ json: String) throws {
        try write { db in
            try db.execute(sql: "UPDATE task SET result = ? WHERE id = ?", arguments: [json, id.uuidString])
        }
    }

    static func taskRecord(_ row: Row) -> TaskRecord {
        func date(_ column: String) -> Date? { (row[column] as Double?).map(Date.init(timeIntervalSince1970:)) }
        func uuid(_ column: String) -> UUID? { (row[column] as String?).flatMap(UUID.init(uuidString:)) }
        return TaskRecord(
            id: uuid("id") ?? UUID(), type: row["type"], submission: row["submission"],
            redactedSubmission: row["redacted_submission"], displayName: row["display_name"], target: row["target"],
            state: TaskState(rawValue: row["state"]) ?? .failed, failureReason: row["failure_reason"],
            cancelled: row["cancelled"], submittedAt: date("submitted_at") ?? Date(timeIntervalSince1970: 0),
            startedAt: date("started_at"), endedAt: date("ended_at"), parentID: uuid("parent_id"),
            retryOf: uuid("retry_of"), pool: row["pool"], progress: row["progress"],
            outputPruned: date("output_pruned_at").map { OutputPruned(at: $0, bytes: row["output_pruned_bytes"] ?? 0) },
            result: row["result"], runNowBy: row["run_now_by"])
    }
}
