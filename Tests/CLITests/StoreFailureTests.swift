import Foundation
import Testing

/// Mounts a small tmpfs for a test (root only); nil where mounting is not allowed.
func mountTmpfs(at path: String, size: String, readOnly: Bool = false) -> Bool {
    try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    let options = "size=\(size)" + (readOnly ? ",ro" : "")
    return runQuietly("/bin/mount", ["-t", "tmpfs", "-o", options, "tmpfs", path]) == 0
}

func unmount(_ path: String) { _ = runQuietly("/bin/umount", ["-l", path]) }

func runQuietly(_ program: String, _ arguments: [String]) -> Int32 {
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    for fd: Int32 in [0, 1, 2] { posix_spawn_file_actions_addopen(&actions, fd, "/dev/null", fd == 0 ? O_RDONLY : O_WRONLY, 0) }
    let words = [program] + arguments
    let argv: [UnsafeMutablePointer<CChar>?] = words.map { word in strdup(word) } + [nil]
    defer { for pointer in argv { free(pointer) } }
    var pid: pid_t = 0
    guard posix_spawn(&pid, program, &actions, nil, argv, environ) == 0 else { return -1 }
    var status: Int32 = 0
    waitpid(pid, &status, 0)
    return status
}

@Suite("a state directory that cannot be used: a clear error, a non-zero exit, never a crash or a half-written task",
       .serialized, .enabled(if: FileManager.default.isExecutableFile(atPath: CLIRunner.executable)))
struct StoreFailureTests {
    let cli: CLIRunner
    init() throws { cli = try CLIRunner() }

    @Test("a state directory that is a file")
    func notADirectory() async throws {
        defer { cli.cleanUp() }
        let file = cli.scratch + "/plain-file"
        try "x".write(toFile: file, atomically: true, encoding: .utf8)
        let project = try cli.makeProject("p", configurations: ["c": "mkdir -p $out"])
        let result = try await cli.run(["submit", "build-project", "--project", project, "--state-dir", file])
        #expect(result.status == 4)
        #expect(result.stderr == "thymis-tasks: cannot create the state directory \(file): a file of that name exists; choose another with --state-dir or THYMIS_TASKS_STATE_DIR\n")
        let list = try await cli.run(["list", "--state-dir", file])
        #expect(list.stderr.contains("there is no task store in \(file)"), "\(list.stderr)")
    }

    @Test("readers never create a store: a mistyped --state-dir says there is none and leaves nothing behind")
    func readersCreateNothing() async throws {
        defer { cli.cleanUp() }
        let root = cli.scratch + "/typo"
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        for directory in [root, root + "/not/yet"] {
            let list = try await cli.run(["list", "--state-dir", directory])
            #expect(list.status == 0, "\(list.stderr)")
            #expect(list.stdout.isEmpty)
            #expect(list.stderr == "thymis-tasks: no tasks: there is no task store in \(directory) (no tasks.sqlite): nothing was submitted with this state directory; check --state-dir or THYMIS_TASKS_STATE_DIR (the first submit creates the store)\n")
            let json = try await cli.run(["list", "--json", "--state-dir", directory])
            #expect(json.status == 0 && json.stdout == "[]\n", "scripts still get a JSON array: \(json.stdout)")
            for reader in [["show", "abc"], ["logs", "abc"], ["show", "abc", "--json"]] {
                let result = try await cli.run(reader + ["--state-dir", directory])
                #expect(result.status == 3, "\(reader): \(result.status) \(result.stderr)")
                #expect(result.stderr.contains("there is no task store in \(directory)"), "\(reader): \(result.stderr)")
                #expect(result.stderr.split(separator: "\n").count == 1)
            }
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: root).isEmpty, "nothing created in \(root)")
    }

    @Test("a damaged database file")
    func corrupt() async throws {
        defer { cli.cleanUp() }
        try FileManager.default.createDirectory(atPath: cli.stateDirectory, withIntermediateDirectories: true)
        try Data(repeating: 0x42, count: 8192).write(to: URL(fileURLWithPath: cli.stateDirectory + "/tasks.sqlite"))
        let result = try await cli.run(["list"])
        #expect(result.status == 4)
        #expect(result.stderr.contains("not a valid task database"))
        #expect(result.stderr.split(separator: "\n").count == 1)
        let submit = try await cli.run(["submit", "--file", "-"], stdin: #"{"type": "build_project_task", "project_path": "/tmp"}"#)
        #expect(submit.status == 2 || submit.status == 4)
    }

    @Test("a read-only file system", .enabled(if: getuid() == 0))
    func readOnly() async throws {
        defer { cli.cleanUp() }
        let mountPoint = cli.scratch + "/ro"
        guard mountTmpfs(at: mountPoint, size: "1m", readOnly: true) else { return }
        defer { unmount(mountPoint) }
        let project = try cli.makeProject("p", configurations: ["c": "mkdir -p $out"])
        let result = try await cli.run(["submit", "build-project", "--project", project, "--state-dir", mountPoint + "/state"])
        #expect(result.status == 4)
        #expect(result.stderr.hasPrefix("thymis-tasks: cannot create the state directory"), "\(result.stderr)")
    }

    @Test("a full disk while a build writes its log: exit 4 naming the full disk; the store stays readable", .enabled(if: getuid() == 0))
    func fullDisk() async throws {
        defer { cli.cleanUp() }
        let mountPoint = cli.scratch + "/small"
        guard mountTmpfs(at: mountPoint, size: "5m") else { return }
        defer { unmount(mountPoint) }
        let state = mountPoint + "/state"
        let project = try cli.makeProject("noisy", configurations: [
            "noisy": "head -c 30000000 /dev/urandom | base64 -w 100; mkdir -p $out",
        ])
        let result = try await cli.run(["submit", "build-project", "--project", project, "--wait", "--state-dir", state],
                                       timeout: .seconds(120))
        #expect(result.status != 0 && result.status < 128, "no crash: \(result.status)")
        #expect(result.stderr.contains("disk is full"), "\(result.stderr)")
        // Room again: everything that was stored is consistent and readable.
        #expect(runQuietly("/bin/mount", ["-o", "remount,size=64m", mountPoint]) == 0)
        let list = try await cli.run(["list", "--json", "--state-dir", state])
        #expect(list.status == 0, "\(list.stderr)")
        let tasks = (try JSONSerialization.jsonObject(with: Data(list.stdout.utf8)) as? [[String: Any]]) ?? []
        #expect(tasks.count == 1)
        let next = try await cli.run(["submit", "build-project", "--project", try cli.makeProject("quick", configurations: ["q": "mkdir -p $out"]),
                                      "--wait", "--state-dir", state])
        #expect(next.status == 0, "\(next.stderr)")
        let after = try await cli.run(["show", (tasks.first?["id"] as? String) ?? "-", "--json", "--state-dir", state])
        let record = (try JSONSerialization.jsonObject(with: Data(after.stdout.utf8)) as? [String: Any]) ?? [:]
        #expect(record["state"] as? String == "failed", "after recovery the task is failed, never left running")
    }

    @Test("a database another process keeps locked: readers still work, a submit gives up after the busy timeout with exit 4",
          .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/python3")))
    func locked() async throws {
        defer { cli.cleanUp() }
        let first = try await cli.run(["submit", "build-project", "--project", try cli.makeProject("first", configurations: ["c": "mkdir -p $out"]), "--wait"])
        #expect(first.status == 0, "creates the database: \(first.stderr)")
        // Another process holds SQLite's exclusive write lock (killed below).
        let script = "import sqlite3, time; c = sqlite3.connect('\(cli.stateDirectory)/tasks.sqlite', isolation_level=None); c.execute('BEGIN EXCLUSIVE'); print('locked', flush=True); time.sleep(60)"
        let holder = try cli.start(["-c", script], program: "/usr/bin/python3")
        #expect(await waitUntil(timeout: .seconds(10)) { ((try? String(contentsOfFile: holder.stdout, encoding: .utf8)) ?? "").contains("locked") })
        try await Task.sleep(for: .milliseconds(300))
        let list = try await cli.run(["list"])
        #expect(list.status == 0, "WAL readers are not blocked: \(list.stderr)")
        let project = try cli.makeProject("locked", configurations: ["c": "mkdir -p $out"])
        let submit = try await cli.run(["submit", "build-project", "--project", project], timeout: .seconds(60))
        kill(holder.pid, SIGKILL)
        _ = try? await cli.wait(holder)
        #expect(submit.status == 4, "\(submit.stderr)")
        #expect(submit.stderr.contains("locked by another process"), "\(submit.stderr)")
        // One error line (after the notice that this submit hosts the engine itself).
        #expect(submit.stderr.split(separator: "\n").filter { !$0.contains("no engine was running") }.count == 1, "\(submit.stderr)")
        // Once the lock is gone, nothing is half-written and the next submit works.
        let next = try await cli.run(["submit", "build-project", "--project", project, "--wait"])
        #expect(next.status == 0, "\(next.stderr)")
    }
}

@Suite("store errors are plain sentences with the documented exit code 4", .serialized,
       .enabled(if: FileManager.default.isExecutableFile(atPath: CLIRunner.executable)))
struct StoreExitCodeTests {
    let cli: CLIRunner
    init() throws { cli = try CLIRunner() }

    @Test("a state directory under a file: the level that failed in words, not NSCocoaErrorDomain error 512")
    func underAFile() async throws {
        defer { cli.cleanUp() }
        let project = try cli.makeProject("p", configurations: ["c": "mkdir -p $out"])
        let result = try await cli.run(["submit", "build-project", "--project", project, "--state-dir", "/dev/null/x"])
        #expect(result.status == 4)
        #expect(result.stderr == "thymis-tasks: cannot create the state directory /dev/null/x: /dev/null is not a directory; choose another with --state-dir or THYMIS_TASKS_STATE_DIR\n")
    }

    @Test("a read-only (immutable) database file: exit 4, one sentence", .enabled(if: getuid() == 0 && FileManager.default.isExecutableFile(atPath: "/usr/bin/chattr")))
    func immutableDatabase() async throws {
        defer { cli.cleanUp() }
        let project = try cli.makeProject("p", configurations: ["c": "mkdir -p $out"])
        let first = try await cli.run(["submit", "build-project", "--project", project, "--wait"])
        #expect(first.status == 0, "\(first.stderr)")
        let database = cli.stateDirectory + "/tasks.sqlite"
        guard runQuietly("/usr/bin/chattr", ["+i", database]) == 0 else { return }  // file system without attributes
        defer { _ = runQuietly("/usr/bin/chattr", ["-i", database]) }
        let result = try await cli.run(["submit", "build-project", "--project", project])
        #expect(result.status == 4, "\(result.stderr)")
        #expect(result.stderr.contains("permission denied or read-only"), "\(result.stderr)")
        #expect(!result.stderr.contains("(see --help)"), "not shown as a usage problem")
    }

    @Test("a full disk while an engine runs: submit exits 4 naming the full disk, not 5", .enabled(if: getuid() == 0))
    func fullDiskWithEngine() async throws {
        defer { cli.cleanUp() }
        let mountPoint = cli.scratch + "/small"
        guard mountTmpfs(at: mountPoint, size: "8m") else { return }
        defer { unmount(mountPoint) }
        let state = mountPoint + "/state"
        let project = try cli.makeProject("p", configurations: ["c": "mkdir -p $out"])
        #expect(try await cli.run(["submit", "build-project", "--project", project, "--wait", "--state-dir", state]).status == 0)
        let serve = try cli.start(["serve", "--state-dir", state])
        defer { kill(serve.pid, SIGTERM); _ = try? FileManager.default.removeItem(atPath: mountPoint + "/fill") }
        #expect(await waitUntil(timeout: .seconds(20)) { FileManager.default.fileExists(atPath: state + "/engine.lock")
            && ((try? String(contentsOfFile: state + "/thymis-tasks.log", encoding: .utf8)) ?? "").contains("serving") })
        _ = runQuietly("/bin/dd", ["if=/dev/zero", "of=" + mountPoint + "/fill", "bs=64k"])
        let result = try await cli.run(["submit", "build-project", "--project", project, "--state-dir", state])
        #expect(result.status == 4, "\(result.stderr)")
        #expect(result.stderr.contains("the disk is full"), "\(result.stderr)")
        kill(serve.pid, SIGTERM)
        _ = try? await cli.wait(serve)
    }
}

@Suite("a full disk when a task ends: it ends failed with disk full once the end can be written", .serialized,
       .enabled(if: FileManager.default.isExecutableFile(atPath: CLIRunner.executable) && getuid() == 0))
struct FullDiskEndTests {
    let cli: CLIRunner
    init() throws { cli = try CLIRunner() }

    @Test("the end is retried until space is freed; submit --wait is told; the task is never left running")
    func endRetried() async throws {
        defer { cli.cleanUp() }
        let mountPoint = cli.scratch + "/small"
        guard mountTmpfs(at: mountPoint, size: "8m") else { return }
        defer { unmount(mountPoint) }
        let state = mountPoint + "/state"
        let quick = try cli.makeProject("quick", configurations: ["q": "mkdir -p $out"])
        #expect(try await cli.run(["submit", "build-project", "--project", quick, "--wait", "--state-dir", state]).status == 0)
        let serve = try cli.start(["serve", "--state-dir", state])
        defer { kill(serve.pid, SIGTERM) }
        let log = state + "/thymis-tasks.log"
        #expect(await waitUntil(timeout: .seconds(20)) { ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").contains("serving") })
        let noisy = try cli.makeProject("noisy", configurations: ["n": "head -c 20000000 /dev/urandom | base64 -w 100; mkdir -p $out"])
        let waiting = try cli.start(["submit", "build-project", "--project", noisy, "--wait", "--state-dir", state])
        let endFailed = await waitUntil(timeout: .seconds(90)) {
            ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").contains("could not record the end of a task")
        }
        #expect(endFailed, "the disk filled before the end was written")
        #expect(runQuietly("/bin/mount", ["-o", "remount,size=256m", mountPoint]) == 0)
        let result = try await cli.wait(waiting, timeout: .seconds(60))
        #expect(result.status == 1, "\(result.stderr)")
        let tasks = try await cli.run(["list", "--json", "--state-dir", state])
        let records = (try JSONSerialization.jsonObject(with: Data(tasks.stdout.utf8)) as? [[String: Any]]) ?? []
        let record = records.first { ($0["submission"] as? [String: Any])?["project_path"] as? String == noisy } ?? [:]
        #expect(record["state"] as? String == "failed")
        #expect((record["failure_reason"] as? String ?? "").contains("disk full"), "\(record["failure_reason"] ?? "-")")
        kill(serve.pid, SIGTERM)
        _ = try? await cli.wait(serve)
    }
}
