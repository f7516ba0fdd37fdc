import Foundation
import NixLog
import Testing
@testable import TaskEngine

/// A project flake in a temp dir: input-less, derivations built with /bin/sh (MACHINE.md).
func makeFlake(in directory: String, configurations: [String: String]) throws {
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    let nonce = UUID().uuidString.prefix(8)
    let entries = configurations.map { name, script in
        """
            "\(name)" = { config.system.build.toplevel = derivation {
              name = "\(name)-\(nonce)"; system = "x86_64-linux"; builder = "/bin/sh"; PATH = "/usr/bin:/bin";
              args = [ "-c" ''\(script)'' ];
            }; };
        """
    }.joined(separator: "\n")
    let flake = "{\n  outputs = { self }: {\n    nixosConfigurations = {\n\(entries)\n    };\n  };\n}\n"
    try flake.write(toFile: directory + "/flake.nix", atomically: true, encoding: .utf8)
}

@Suite("Build Project and Update Nix Flake run the real nix", .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/nix")))
struct NixTaskTests {
    let environment: TestEnvironment
    init() throws { environment = try TestEnvironment() }

    @Test("a project builds: configurations evaluated, all built in one nix build, build log stored per derivation")
    func buildProject() async throws {
        let project = environment.path("project")
        try makeFlake(in: project, configurations: [
            "kiosk-1": "echo building kiosk one; echo warn-line >&2; mkdir -p $out",
            "kiosk-2": "echo building kiosk two; mkdir -p $out",
        ])
        let engine = environment.makeEngine()
        try await engine.start(watchRequests: false)
        let record = try await engine.submit(Data(#"{"type": "build_project_task", "project_path": "\#(project)"}"#.utf8))
        let final = try await environment.store.waitFor(record.id, toBe: [.completed, .failed], timeout: .seconds(60))
        #expect(final.state == .completed, "\(final.failureReason ?? "")")
        #expect(final.progress == "built kiosk-1, kiosk-2")
        let processes = try environment.store.processes(of: record.id)
        #expect(processes.count == 2)
        #expect(processes[0].arguments.starts(with: ["eval", "--log-format", "internal-json", "-v", "--json"]))
        #expect(processes[1].arguments.filter { $0.hasSuffix(".config.system.build.toplevel") }.count == 2)
        let state = try #require(NixStateSnapshot.decode(processes[1].nixStateJSON))
        #expect(state.builds.done == 2)
        let streams = try environment.store.outputStreams(task: record.id).filter { $0.stream.isBuildLog }
        #expect(streams.count == 2)
        let buildLog = try streams.map { try environment.store.allText(record.id, process: $0.processIndex, stream: $0.stream) }.joined()
        #expect(buildLog.contains("building kiosk one"))
        #expect(buildLog.contains("warn-line"))
        #expect(buildLog.contains("building kiosk two"))
        // The @nix lines are not stderr: they were parsed.
        #expect(try !environment.store.allText(record.id, process: 1, stream: .stderr).contains("@nix"))
    }

    @Test("a failing build fails the task with Nix's own error")
    func failingBuild() async throws {
        let project = environment.path("failing")
        try makeFlake(in: project, configurations: ["broken": "echo about to fail; exit 42"])
        let engine = environment.makeEngine()
        try await engine.start(watchRequests: false)
        let record = try await engine.submit(Data(#"{"type": "build_project_task", "project_path": "\#(project)"}"#.utf8))
        let final = try await environment.store.waitFor(record.id, toBe: [.completed, .failed], timeout: .seconds(60))
        #expect(final.state == .failed)
        let reason = final.failureReason ?? ""
        #expect(reason.hasPrefix("build failed: nix exited with 1: "))
        #expect(reason.contains("builder for") && reason.contains("failed with exit code 42"), "\(reason)")
        let cause = try #require(try environment.store.failureCause(of: final))
        #expect(cause.kind == .builder && cause.step == "build" && cause.exitCode == 42)
        #expect(cause.derivation?.hasSuffix(".drv") == true && cause.headline.hasPrefix("broken-"))
        #expect(cause.headline.hasSuffix(": builder failed with exit code 42"), "\(cause.headline)")
        #expect(cause.lastLines == ["about to fail"])
        #expect(cause.processIndex == 1 && cause.command?.contains("build") == true)
    }

    @Test("a make failure's compiler error, 8 lines above the end, is in the reason: the builder's last 10 lines as nix build prints them")
    func builderErrorAboveTheEnd() async throws {
        let project = environment.path("make-failure")
        let script = "echo cc -c main.c; echo 'main.c:42:7: error: foo undeclared (first use in this function)'; "
            + (1...7).map { "echo note \($0) of 7;" }.joined(separator: " ") + " echo 'make: *** [Makefile:12: main.o] Error 2'; exit 2"
        try makeFlake(in: project, configurations: ["broken": script])
        let engine = environment.makeEngine()
        try await engine.start(watchRequests: false)
        let record = try await engine.submit(Data(#"{"type": "build_project_task", "project_path": "\#(project)"}"#.utf8))
        let final = try await environment.store.waitFor(record.id, toBe: [.completed, .failed], timeout: .seconds(60))
        let reason = try #require(final.failureReason)
        let lines = reason.split(separator: "\n").map(String.init)
        #expect(lines[0].hasPrefix("build failed: nix exited with 1: builder for '") && lines[0].hasSuffix("failed with exit code 2;"), "\(reason)")
        #expect(lines[1] == "  last 10 log lines:", "\(reason)")
        #expect(lines.dropFirst(2).first == "  > cc -c main.c", "\(reason)")
        #expect(lines.dropFirst(3).first == "  > main.c:42:7: error: foo undeclared (first use in this function)", "\(reason)")
        #expect(lines.last == "  > make: *** [Makefile:12: main.o] Error 2")
        #expect(lines.count == 12)
        #expect(final.failureHeadline == lines[0], "lists show the first line")
    }

    @Test("in newer Nix's wording the reason quotes the log tail once, from Nix's own message")
    func newerNixWording() {
        let bad = "/nix/store/0v4m3yq3wq4ljz4y0c8lqzk2lvw8kq5f-bad.drv"
        let raw = "Cannot build '\(bad)'.\nReason: builder failed with exit code 2.\nOutput paths:\n  /nix/store/0v4m3yq3wq4ljz4y0c8lqzk2lvw8kq5f-bad\nLast 3 log lines:\n> cc: error: boom\n> note\n> make: *** Error 2\nFor full logs, run:\n  nix log \(bad)"
        let message = String(decoding: try! JSONEncoder().encode(raw), as: UTF8.self)
        let text = [
            #"@nix {"action":"start","id":2,"level":0,"parent":0,"text":"","type":104}"#,
            #"@nix {"action":"start","fields":["\#(bad)","",1,1],"id":10,"level":3,"parent":2,"text":"","type":105}"#,
            #"@nix {"action":"result","fields":[0,1,0,1],"id":2,"type":105}"#,
            #"@nix {"action":"stop","id":10}"#,
            #"@nix {"action":"msg","level":0,"msg":\#(message),"raw_msg":\#(message)}"#,
        ].joined(separator: "\n") + "\n"
        var decoder = NixLogDecoder()
        Array(text.utf8).withUnsafeBytes { decoder.feed($0) { _ in } }
        decoder.finish { _ in }
        let error = NixStateSnapshot.firstError(decoder.state) ?? ""
        #expect(error == "Cannot build '\(bad)'. Reason: builder failed with exit code 2. Output paths: /nix/store/0v4m3yq3wq4ljz4y0c8lqzk2lvw8kq5f-bad", "\(error)")
        #expect(NixStateSnapshot.builderLogTail(decoder.state) == ["  last 3 log lines:", "  > cc: error: boom", "  > note", "  > make: *** Error 2"])
    }

    @Test("an evaluation error is reported with its location")
    func evaluationError() async throws {
        let project = environment.path("eval-error")
        try FileManager.default.createDirectory(atPath: project, withIntermediateDirectories: true)
        try "{ outputs = { self }: { nixosConfigurations = undefinedThing; }; }\n"
            .write(toFile: project + "/flake.nix", atomically: true, encoding: .utf8)
        let engine = environment.makeEngine()
        try await engine.start(watchRequests: false)
        let record = try await engine.submit(Data(#"{"type": "build_project_task", "project_path": "\#(project)"}"#.utf8))
        let final = try await environment.store.waitFor(record.id, toBe: [.completed, .failed], timeout: .seconds(60))
        #expect(final.failureReason?.hasPrefix("evaluate configurations failed") == true)
        #expect(final.failureReason?.contains("undefined variable 'undefinedThing'") == true, "\(final.failureReason ?? "")")
        let cause = try #require(try environment.store.failureCause(of: final))
        #expect(cause.kind == .nixError && cause.step == "evaluate configurations")
        #expect(cause.headline == "undefined variable 'undefinedThing'", "\(cause.headline)")
        #expect(cause.location?.range(of: #"flake\.nix:1:\d+$"#, options: .regularExpression) != nil, "\(cause.location ?? "no location")")
        #expect(cause.textLines.first == "cause: evaluate configurations: undefined variable 'undefinedThing'")
    }

    @Test("cancelling a running nix build stops nix and its builder; the finished configuration stays built and the progress ends with the task")
    func cancelBuild() async throws {
        let project = environment.path("slow")
        let marker = "thymis-slow-\(UUID().uuidString.prefix(8))"
        try makeFlake(in: project, configurations: ["quick": "echo quick; mkdir -p $out", "slow": "sleep 0.5; echo \(marker); sleep 120; echo done"])
        let engine = environment.makeEngine(grace: .seconds(3))
        try await engine.start(watchRequests: false)
        let record = try await engine.submit(Data(#"{"type": "build_project_task", "project_path": "\#(project)"}"#.utf8))
        #expect(await eventually(timeout: .seconds(30)) { builderPIDs(containing: marker).count > 0 }, "the builder never started")
        // Watched live (issue 30): the quick one reads built while the slow one runs.
        #expect(await eventually(timeout: .seconds(10)) {
            let state = (try? environment.store.processes(of: record.id).last?.nixStateJSON).flatMap { NixStateSnapshot.decode($0) }
            return state.map { NixLogReport.outcomeLine($0) } == "1 building, 1 built"
        }, "the quick configuration read built while the slow one built")
        #expect(try await engine.cancel(record.id) == .cancelled)
        #expect(await eventually { builderPIDs(containing: marker).isEmpty }, "the builder outlived the cancelled task")
        let final = try await environment.store.waitFor(record.id, toBe: [.failed], timeout: .seconds(10))
        #expect(final.progress?.contains("running") == false && final.progress?.hasPrefix("builds 1/2, 1 interrupted") == true,
                "a cancelled task's progress says how it ended: \(final.progress ?? "none")")
        let state = try #require(try environment.store.processes(of: record.id).last?.nixStateJSON.flatMap { NixStateSnapshot.decode($0) })
        #expect(NixLogReport.outcomeLine(state) == "1 interrupted, 1 built")
    }

    @Test("a flake update says which inputs changed")
    func flakeUpdate() async throws {
        let input = environment.path("input")
        try FileManager.default.createDirectory(atPath: input, withIntermediateDirectories: true)
        try "{ outputs = { self }: { value = 1; }; }\n".write(toFile: input + "/flake.nix", atomically: true, encoding: .utf8)
        let project = environment.path("with-input")
        try FileManager.default.createDirectory(atPath: project, withIntermediateDirectories: true)
        try "{ inputs.dep.url = \"path:\(input)\"; outputs = { self, dep }: { }; }\n"
            .write(toFile: project + "/flake.nix", atomically: true, encoding: .utf8)
        let engine = environment.makeEngine()
        try await engine.start(watchRequests: false)
        let record = try await engine.submit(Data(#"{"type": "project_flake_update_task", "project_path": "\#(project)"}"#.utf8))
        let final = try await environment.store.waitFor(record.id, toBe: [.completed, .failed], timeout: .seconds(60))
        #expect(final.state == .completed, "\(final.failureReason ?? "")")
        #expect(final.progress == "added dep")
        #expect(FileManager.default.fileExists(atPath: project + "/flake.lock"))
    }
}

/// Pids of processes whose command line contains `marker` (the test's builder).
func builderPIDs(containing marker: String) -> [Int32] {
    guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return [] }
    return entries.compactMap { entry -> Int32? in
        guard let pid = Int32(entry), pid != getpid(),
              let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return nil }
        let text = String(decoding: data.map { $0 == 0 ? 32 : $0 }, as: UTF8.self)
        return text.contains(marker) && ProcessTable.processState(of: pid) != "Z" ? pid : nil
    }
}
