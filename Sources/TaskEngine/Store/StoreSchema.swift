import GRDB

/// The database schema, as migrations from the first version on. Never edit a shipped migration: add one.
enum StoreSchema {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1: tasks, processes, output, requests") { db in
            try db.execute(sql: """
                CREATE TABLE task (
                    id TEXT PRIMARY KEY NOT NULL,
                    seq INTEGER NOT NULL UNIQUE,
                    type TEXT NOT NULL,
                    submission TEXT NOT NULL,
                    redacted_submission TEXT NOT NULL,
                    display_name TEXT NOT NULL,
                    target TEXT,
                    state TEXT NOT NULL CHECK (state IN ('pending','running','completed','failed')),
                    failure_reason TEXT,
                    cancelled INTEGER NOT NULL DEFAULT 0,
                    submitted_at REAL NOT NULL,
                    started_at REAL,
                    ended_at REAL,
                    parent_id TEXT REFERENCES task(id),
                    retry_of TEXT REFERENCES task(id),
                    pool TEXT,
                    progress TEXT
                );
                CREATE INDEX task_by_state ON task(state, seq);
                CREATE INDEX task_by_parent ON task(parent_id, seq);

                CREATE TABLE process (
                    task_id TEXT NOT NULL REFERENCES task(id),
                    idx INTEGER NOT NULL,
                    program TEXT NOT NULL,
                    arguments TEXT NOT NULL,
                    environment TEXT NOT NULL,
                    working_directory TEXT,
                    pid INTEGER,
                    pid_start_ticks INTEGER,
                    started_at REAL,
                    ended_at REAL,
                    exit_code INTEGER,
                    signal INTEGER,
                    spawn_error TEXT,
                    stdout_bytes INTEGER NOT NULL DEFAULT 0,
                    stderr_bytes INTEGER NOT NULL DEFAULT 0,
                    stdout_lines INTEGER NOT NULL DEFAULT 0,
                    stderr_lines INTEGER NOT NULL DEFAULT 0,
                    nix_state TEXT,
                    PRIMARY KEY (task_id, idx)
                );
                CREATE INDEX process_live ON process(ended_at) WHERE ended_at IS NULL;

                -- Descendants a process started in sessions of their own (nix builders), seen while it
                -- ran: a later engine stops them if a crash left them running.
                CREATE TABLE descendant (
                    task_id TEXT NOT NULL,
                    process_idx INTEGER NOT NULL,
                    pid INTEGER NOT NULL,
                    start_ticks INTEGER NOT NULL,
                    PRIMARY KEY (task_id, process_idx, pid, start_ticks)
                );

                -- Output is appended in chunks cut at line ends, never rewritten: cost stays linear.
                CREATE TABLE output (
                    id INTEGER PRIMARY KEY,
                    task_id TEXT NOT NULL,
                    process_idx INTEGER NOT NULL,
                    stream TEXT NOT NULL,
                    first_line INTEGER NOT NULL,
                    newline_count INTEGER NOT NULL,
                    codec INTEGER NOT NULL DEFAULT 0,
                    raw_size INTEGER NOT NULL,
                    bytes BLOB NOT NULL
                );
                CREATE INDEX output_by_line ON output(task_id, process_idx, stream, first_line);

                -- Requests from processes that do not hold the engine lock (CLI, attached dashboards).
                CREATE TABLE request (
                    id INTEGER PRIMARY KEY,
                    kind TEXT NOT NULL CHECK (kind IN ('submit','cancel','retry')),
                    payload TEXT NOT NULL,
                    created_at REAL NOT NULL,
                    status TEXT NOT NULL DEFAULT 'new' CHECK (status IN ('new','done','failed')),
                    result TEXT,
                    finished_at REAL
                );
                CREATE INDEX request_new ON request(status, id);
                """)
        }
        migrator.registerMigration("v2: history for estimates") { db in
            try db.execute(sql: """
                CREATE INDEX task_history ON task(type, target, state, seq);
                -- How long each derivation took to build (by name without hash), for estimates.
                CREATE TABLE derivation_duration (
                    id INTEGER PRIMARY KEY,
                    name TEXT NOT NULL,
                    seconds REAL NOT NULL,
                    recorded_at REAL NOT NULL
                );
                CREATE INDEX derivation_duration_by_name ON derivation_duration(name, id);
                """)
        }
        migrator.registerMigration("v3: a change counter for front ends that poll") { db in
            // Every insert and every change a person can see bumps one counter and stamps the row, so
            // an attached dashboard reads only the rows changed since its last look.
            try db.execute(sql: """
                ALTER TABLE task ADD COLUMN version INTEGER NOT NULL DEFAULT 0;
                CREATE TABLE task_version (value INTEGER NOT NULL);
                INSERT INTO task_version (value) VALUES (0);
                CREATE INDEX task_by_version ON task(version);
                CREATE TRIGGER task_inserted AFTER INSERT ON task BEGIN
                    UPDATE task_version SET value = value + 1;
                    UPDATE task SET version = (SELECT value FROM task_version) WHERE id = NEW.id;
                END;
                CREATE TRIGGER task_changed AFTER UPDATE OF state, progress, started_at, ended_at, failure_reason, cancelled ON task
                BEGIN
                    UPDATE task_version SET value = value + 1;
                    UPDATE task SET version = (SELECT value FROM task_version) WHERE id = NEW.id;
                END;
                """)
        }
        migrator.registerMigration("v4: request answers carry an EngineError code") { db in
            // The client picks its exit code from the code, not from the message's wording (issue 11).
            try db.execute(sql: """
                ALTER TABLE request ADD COLUMN error_code TEXT;
                CREATE INDEX request_answered ON request(finished_at) WHERE status != 'new';
                """)
        }
        migrator.registerMigration("v5: output retention") { db in
            // Pruning drops a finished task's output chunks and keeps everything else (issue 12). The task
            // says when and how much (what it printed), so nothing pretends the log was empty; each process
            // keeps the bytes its chunks take on disk, so the total the size limit is checked against is
            // one small SUM instead of a scan of every blob.
            try db.execute(sql: """
                ALTER TABLE task ADD COLUMN output_pruned_at REAL;
                ALTER TABLE task ADD COLUMN output_pruned_bytes INTEGER;
                ALTER TABLE process ADD COLUMN stored_bytes INTEGER NOT NULL DEFAULT 0;
                UPDATE process SET stored_bytes = (
                    SELECT COALESCE(SUM(length(bytes)), 0) FROM output
                    WHERE output.task_id = process.task_id AND output.process_idx = process.idx);
                CREATE INDEX task_unpruned_by_end ON task(ended_at) WHERE ended_at IS NOT NULL AND output_pruned_at IS NULL;
                CREATE TRIGGER task_output_pruned AFTER UPDATE OF output_pruned_at ON task
                BEGIN
                    UPDATE task_version SET value = value + 1;
                    UPDATE task SET version = (SELECT value FROM task_version) WHERE id = NEW.id;
                END;
                """)
        }
        migrator.registerMigration("v6: when each line arrived") { db in
            // The wall-clock time of a chunk's first byte, and of its later lines where they came later
            // (`LineTime.encode`; NULL when none did): every line has a time (`logs --timestamps`, the
            // dashboard's `t`). NULL for chunks stored before this version.
            try db.execute(sql: "ALTER TABLE output ADD COLUMN arrived_at REAL; ALTER TABLE output ADD COLUMN line_times BLOB")
        }
        migrator.registerMigration("v7: what a task's plan recorded") { db in
            // JSON of the kind's own Codable result (e.g. Deploy to Device's previous and new system);
            // NULL for tasks that record none and for every task stored before this version.
            try db.execute(sql: "ALTER TABLE task ADD COLUMN result TEXT")
        }
        migrator.registerMigration("v8: run now, past the pool's limit") { db in
            // Who started a task at once past its pool's limit (`run-now`, the dashboard), NULL for a task
            // started in its turn. The request table takes the new request kind: SQLite cannot change a
            // CHECK, so the table is rebuilt (requests are short-lived; the rows are copied all the same).
            try db.execute(sql: """
                ALTER TABLE task ADD COLUMN run_now_by TEXT;
                CREATE TABLE request_v8 (
                    id INTEGER PRIMARY KEY,
                    kind TEXT NOT NULL CHECK (kind IN ('submit','cancel','retry','run_now')),
                    payload TEXT NOT NULL,
                    created_at REAL NOT NULL,
                    status TEXT NOT NULL DEFAULT 'new' CHECK (status IN ('new','done','failed')),
                    result TEXT,
                    finished_at REAL,
                    error_code TEXT
                );
                INSERT INTO request_v8 (id, kind, payload, created_at, status, result, finished_at, error_code)
                    SELECT id, kind, payload, created_at, status, result, finished_at, error_code FROM request;
                DROP TABLE request;
                ALTER TABLE request_v8 RENAME TO request;
                CREATE INDEX request_new ON request(status, id);
                CREATE INDEX request_answered ON request(finished_at) WHERE status != 'new';
                """)
        }
        return migrator
    }
}
