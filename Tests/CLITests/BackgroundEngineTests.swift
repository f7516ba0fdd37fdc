import Foundation
import Testing
@testable import TaskEngine

/// The engine a client starts on demand: `submit` with no engine returns at once, a detached
/// `serve --on-demand` runs the work, and it goes away by itself when idle (issue 11).
@Suite("an engine started on demand in the background", .serialized,
       .enabled(if: FileManager.default.isExecutableFile(atPath: CLIRunner.executable)))
struct BackgroundEngineTests {
    let cli: CLIRunner
    init() throws { cli = try CLIRunner() }

    @Test("a submit of a never-ending task with no engine returns at once; the task runs; cancel stops it; the engine exits when idle and leaves no process")
    func submitReturnsAtOnce() async throws {
        defer { cli.cleanUp() }
        let marker = "thymis-bg-forever-\(UUID().uuidString.prefix(8))"
        let project = try cli.makeProject("forever", configurations: ["vm": "echo \(marker); while true; do sleep 1; done"])
        let started = ContinuousClock.now
        let submitted = try await cli.run(["submit", "build-project", "--project", project], timeout: .seconds(30))
        let took = ContinuousClock.now - started
        #expect(submitted.status == 0, "\(submitted.stderr)")
        // ~0.2 s on an idle machine (measured); the bound allows for a loaded one. What matters: it does not
        // wait for a task that never ends.
        #expect(took < .seconds(6), "returned after \(took)")
        #expect(submitted.stderr.contains("started one in the background"))
        let id = submitted.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(UUID(uuidString: id) != nil)
        _ = try await cli.waitForState(id, ["running"])
        #expect(await waitUntil { !commandLines(containing: marker).isEmpty }, "the builder never started")

        // The engine is a session of its own, not the submit (which has exited).
        let engine = try await cli.enginePID()
        #expect(getsid(engine) == engine, "the background engine leads its own session")
        let command = String(decoding: (FileManager.default.contents(atPath: "/proc/\(engine)/cmdline") ?? Data()).map { $0 == 0 ? 32 : $0 }, as: UTF8.self)
        #expect(command.contains("serve --state-dir \(cli.stateDirectory)"), "\(command)")
        #expect(FileManager.default.destinationOfSymbolicLinkSafe("/proc/\(engine)/fd/1") == "/dev/null")

        let cancel = try await cli.run(["cancel", id])
        #expect(cancel.status == 0, "\(cancel.stderr)")
        #expect(try await cli.task(id)["display_state"] as? String == "cancelled")
        #expect(await waitUntil(timeout: .seconds(10)) { commandLines(containing: marker).isEmpty }, "the builder outlived the cancel")

        // THYMIS_TASKS_IDLE_EXIT=2 here: gone a little after that, taking nothing with it.
        #expect(await waitUntil(timeout: .seconds(20)) { kill(engine, 0) != 0 }, "the idle engine exited")
        #expect(await cli.waitForNoEngine())
        #expect(commandLines(containing: "serve --state-dir \(cli.stateDirectory)").isEmpty)
        let log = (try? String(contentsOfFile: cli.stateDirectory + "/thymis-tasks.log", encoding: .utf8)) ?? ""
        #expect(log.contains("idle; the engine exits"))
        // Every answer was read and deleted: the request table does not grow.
        #expect(try TaskStore(directory: StateDirectory(path: cli.stateDirectory)).requestCount() == 0)
    }

    @Test("ten concurrent first submits: exactly one engine, ten tasks, each carried out once")
    func tenAtOnce() async throws {
        defer { cli.cleanUp() }
        let project = try cli.makeProject("many", configurations: ["c": "sleep 1; mkdir -p $out"])
        _ = try await cli.run(["list"])  // the database exists, so the ten race only for the engine
        let started = try (0..<10).map { _ in try cli.start(["submit", "build-project", "--project", project]) }
        var ids: [String] = []
        for submit in started {
            let result = try await cli.wait(submit, timeout: .seconds(60))
            #expect(result.status == 0, "\(result.stderr)")
            ids.append(result.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
        }
        #expect(Set(ids).count == 10)
        // Losers of the lock race exit at once; one engine remains.
        try await Task.sleep(for: .seconds(1))
        let engines = commandLines(containing: "serve --state-dir \(cli.stateDirectory)")
        #expect(engines.count == 1, "\(engines)")
        for id in ids { _ = try await cli.waitForState(id, ["completed"], timeout: .seconds(120)) }
        let tasks = try await cli.tasks()
        #expect(tasks.count == 10, "each request carried out once")
        #expect(tasks.allSatisfy { $0["state"] as? String == "completed" })
        #expect(await cli.waitForNoEngine())
    }

    @Test("the engine's refusal crosses as a typed code: retry of a running task exits 2, its row is deleted once read")
    func typedRefusal() async throws {
        defer { cli.cleanUp() }
        let project = try cli.makeProject("long", configurations: ["c": "sleep 60; mkdir -p $out"])
        let submitted = try await cli.run(["submit", "build-project", "--project", project])
        let id = submitted.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        _ = try await cli.waitForState(id, ["running"])
        let retry = try await cli.run(["retry", id])
        #expect(retry.status == 2, "\(retry.stderr)")
        #expect(retry.stderr == "thymis-tasks: task \(id) is still running; wait for it to end or cancel it first\n")
        let store = try TaskStore(directory: StateDirectory(path: cli.stateDirectory))
        #expect(try store.requestCount() == 0)
        _ = try await cli.run(["cancel", id])
    }

    @Test("serve exits with 4 and says why when its state directory is deleted")
    func stateDirectoryGone() async throws {
        defer { cli.cleanUp() }
        let serve = try cli.start(["serve"])
        _ = try await cli.enginePID()
        try FileManager.default.removeItem(atPath: cli.stateDirectory)
        let result = try await cli.wait(serve, timeout: .seconds(15))
        #expect(result.status == 4, "\(result.stderr)")
        #expect(result.stderr.contains("the state directory cannot be used any more"), "\(result.stderr)")
        #expect(result.stderr.contains(" is gone"), "\(result.stderr)")
    }

    @Test("serve exits with 4 and says why when the store's WAL is deleted or the database replaced under it", arguments: ["wal", "database"])
    func storeFileGone(_ which: String) async throws {
        defer { cli.cleanUp() }
        let serve = try cli.start(["serve"])
        _ = try await cli.enginePID()
        let log = cli.stateDirectory + "/thymis-tasks.log"
        #expect(await waitUntil(timeout: .seconds(20)) { ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").contains("serving") })
        let database = cli.stateDirectory + "/tasks.sqlite"
        if which == "wal" {
            try FileManager.default.removeItem(atPath: database + "-wal")
        } else {
            // What a restore from a backup does: another file moved over the one the engine has open.
            try FileManager.default.copyItem(atPath: database, toPath: database + ".copy")
            #expect(rename(database + ".copy", database) == 0)
        }
        let result = try await cli.wait(serve, timeout: .seconds(15))
        #expect(result.status == 4, "\(result.stderr)")
        let expected = which == "wal" ? "the task database's write-ahead log \(database)-wal is gone" : "the task database \(database) was replaced by another file"
        #expect(result.stderr.contains("the state directory cannot be used any more (\(expected)"), "\(result.stderr)")
        let logged = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        #expect(logged.contains("the state directory cannot be used any more; the engine stops") && logged.contains(expected), "\(logged)")
    }
}

extension FileManager {
    func destinationOfSymbolicLinkSafe(_ path: String) -> String? { try? destinationOfSymbolicLink(atPath: path) }
}
