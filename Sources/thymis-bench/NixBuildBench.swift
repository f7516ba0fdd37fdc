import Foundation
import TaskEngine

/// End to end: a Build Project whose derivation prints LINES lines (default 1,000,000), through the
/// engine (every line parsed and stored), beside the same `nix build` run alone with its stderr
/// going to /dev/null, in the same run. Each side builds a fresh derivation (a nonce in its name).
func runNixBuildBench(arguments: [String]) async {
    let lines = arguments.first.flatMap(Int.init) ?? 1_000_000
    let root = NSTemporaryDirectory() + "thymis-nixbuild-bench-\(getpid())"
    defer { try? FileManager.default.removeItem(atPath: root) }
    func project(_ name: String) throws -> String {
        let directory = root + "/" + name
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let nonce = UUID().uuidString.prefix(8)
        let script = "seq 1 \(lines) | sed 's/^/build output line number /; s/$/ with some padding text/'; mkdir -p $out"
        let flake = """
            { outputs = { self }: { nixosConfigurations.bench.config.system.build.toplevel = derivation {
              name = "bench-\(nonce)"; system = "x86_64-linux"; builder = "/bin/sh"; PATH = "/usr/bin:/bin";
              args = [ "-c" "\(script)" ]; }; }; }
            """
        try flake.write(toFile: directory + "/flake.nix", atomically: true, encoding: .utf8)
        return directory
    }
    var environment = EngineConfiguration.childEnvironment()
    if ProcessInfo.processInfo.environment["THYMIS_TASKS_NIX_CONFIG"] == nil {
        environment["NIX_CONFIG"] = (environment["NIX_CONFIG"] ?? "") + "\nsubstituters =\nsandbox = false"
    }
    do {
        let alone = try project("alone")
        let baselineStart = ContinuousClock.now
        let status = spawnAndWait("/usr/bin/nix", ["build", "--log-format", "internal-json", "-v", "--no-link",
                                                   "\(alone)#nixosConfigurations.bench.config.system.build.toplevel"],
                                  environment: environment)
        let baseline = ContinuousClock.now - baselineStart

        let directory = StateDirectory(path: root + "/state")
        let store = try TaskStore(directory: directory)
        let engine = TaskEngine(store: store, configuration: EngineConfiguration(baseEnvironment: environment))
        try await engine.start(watchRequests: false)
        let viaEngine = try project("engine")
        let start = ContinuousClock.now
        let record = try await engine.submit(Data(#"{"type": "build_project_task", "project_path": "\#(viaEngine)"}"#.utf8))
        await engine.waitUntilIdle()
        let engineTime = ContinuousClock.now - start
        let final = try store.task(record.id)
        let build = try store.processes(of: record.id).last
        let stored = try store.outputStreams(task: record.id).filter { $0.stream.isBuildLog }
        var storedLines: Int64 = 0
        for (index, name) in stored {
            var after: Int64 = 0
            while true {
                let chunks = try store.outputChunks(task: record.id, processIndex: index, stream: name, afterID: after)
                if chunks.isEmpty { break }
                for chunk in chunks { storedLines += Int64(chunk.bytes.reduce(0) { $0 + ($1 == 10 ? 1 : 0) }) }
                after = chunks.last!.id
            }
        }
        await engine.shutdown()
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        print("lines: \(lines); plain nix build exit \(status); engine task \(final?.state.rawValue ?? "?") (\(final?.failureReason ?? "ok"))")
        print(String(format: "nix build alone:          %.2f s", seconds(baseline)))
        print(String(format: "Build Project via engine: %.2f s  (%.2fx; includes nix eval of the configuration list)",
                     seconds(engineTime), seconds(engineTime) / seconds(baseline)))
        print("build log lines stored: \(storedLines); stderr lines: \(build?.stderrLines ?? 0); peak RSS of the engine process: \(usage.ru_maxrss / 1024) MiB")
    } catch {
        print("nix build benchmark failed: \(error)")
    }
}

private func seconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
}

/// Runs a program with stdout/stderr to /dev/null and waits.
func spawnAndWait(_ program: String, _ arguments: [String], environment: [String: String]) -> Int32 {
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
    let words = [program] + arguments
    let argv: [UnsafeMutablePointer<CChar>?] = words.map { word in strdup(word) } + [nil]
    let envp: [UnsafeMutablePointer<CChar>?] = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
    defer { for pointer in argv + envp { free(pointer) } }
    var pid: pid_t = 0
    guard posix_spawn(&pid, program, &actions, nil, argv, envp) == 0 else { return -1 }
    var status: Int32 = 0
    waitpid(pid, &status, 0)
    return status
}
