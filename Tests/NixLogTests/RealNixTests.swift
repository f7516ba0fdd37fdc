// Fixtures made by the real `nix` (offline, input-less flakes in temp dirs), decoded as the engine would.
import Foundation
import NixLog
import Testing

/// Path of `nix` on PATH, nil when it is not installed.
private let nixPath: String? = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")
    .split(separator: ":")
    .map { "\($0)/nix" }
    .first { FileManager.default.isExecutableFile(atPath: $0) }

/// A captured `nix build --log-format internal-json -v` run.
struct NixRun {
    var stderr: [UInt8]
    var status: Int32
}

/// Writes a flake whose `packages.<system>` is `packages` (a Nix attrset body that may use
/// `mk name script`), then runs `nix build` on `attribute`. Every flake gets a random salt so
/// nothing is served from an earlier run's store paths.
func runNixBuild(packages: String, attribute: String = "default", extraArguments: [String] = [],
                 setUp: (URL) async throws -> Void = { _ in }) async throws -> NixRun {
    let salt = UUID().uuidString
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("nixlog-test-\(salt)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    let flake = """
    {
      outputs = { self }:
        let
          system = builtins.currentSystem or "x86_64-linux";
          mk = name: script: derivation {
            inherit name system;
            builder = "/bin/sh";
            args = [ "-c" script ];
            PATH = "/usr/bin:/bin";
            salt = "\(salt)";
          };
        in {
          packages.${system} = rec {
            \(packages)
          };
        };
    }

    """
    try flake.write(to: directory.appendingPathComponent("flake.nix"), atomically: true, encoding: .utf8)
    try await setUp(directory)
    let arguments = ["build", "--no-link", "--log-format", "internal-json", "-v"] + extraArguments + [".#\(attribute)"]
    let (stderr, status) = try await runProgram(nixPath ?? "nix", arguments, in: directory)
    return NixRun(stderr: stderr, status: status)
}

/// Runs a program with stdin and stdout on /dev/null and returns its stderr and exit status.
/// The blocking wait happens on a thread of its own: tests share Swift's small cooperative pool
/// with the engine tests, whose timing assertions must not starve.
func runProgram(_ program: String, _ arguments: [String], in directory: URL) async throws -> ([UInt8], Int32) {
    try await withCheckedThrowingContinuation { continuation in
        let thread = Thread {
            continuation.resume(with: Result { try runProgramBlocking(program, arguments, in: directory) })
        }
        thread.start()
    }
}

private func runProgramBlocking(_ program: String, _ arguments: [String], in directory: URL) throws -> ([UInt8], Int32) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: program)
    process.arguments = arguments
    process.currentDirectoryURL = directory
    var environment = ProcessInfo.processInfo.environment
    environment["NIX_CONFIG"] = "experimental-features = nix-command flakes\nsandbox = false\nsubstituters ="
    environment["GIT_CONFIG_NOSYSTEM"] = "1"
    process.environment = environment
    process.standardInput = FileHandle.nullDevice
    process.standardOutput = FileHandle.nullDevice
    let pipe = Pipe()
    process.standardError = pipe
    try process.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return ([UInt8](data), process.terminationStatus)
}

/// Decodes a capture in uneven chunks, as pipes deliver it.
func decodeCapture(_ run: NixRun) -> (outputs: [NixLogOutput], state: NixProcessState) {
    decode(run.stderr, chunkSizes: [4096, 77, 65536, 1, 1000])
}

@Suite("real nix", .enabled(if: nixPath != nil, "nix is not installed: install it (apt-get install nix-bin) to run these tests"))
struct RealNixTests {
    @Test("a successful build: lines from stdout and stderr, a last line without newline, progress done")
    func success() async throws {
        let run = try await runNixBuild(packages: #"""
            default = mk "ok-both" ''
              echo "to stdout"
              echo "to stderr" >&2
              echo 'looks like json: {"action":"msg","level":0,"msg":"no"}'
              mkdir $out
              printf 'no newline at the end'
            '';
        """#)
        #expect(run.status == 0)
        let (outputs, state) = decodeCapture(run)
        #expect(outputs.logLines.map(\.text) == ["to stdout", "to stderr", #"looks like json: {"action":"msg","level":0,"msg":"no"}"#, "no newline at the end"])
        #expect(outputs.logLines.allSatisfy { $0.derivation?.hasSuffix("-ok-both.drv") == true })
        #expect(outputs.plainTexts.isEmpty)
        #expect(state.otherLines == 0)
        // Concurrent nix runs may log "SQLite database ... is busy" through logWarning: it carries
        // raw_msg, so it is listed with the errors, at level warn.
        #expect(state.errors.kept.filter { $0.level == .error }.isEmpty, "\(state.errors.kept.map(\.message))")
        #expect(state.builds.done == 1 && state.builds.expected == 1 && state.builds.failed == 0)
        #expect(state.derivations.map(\.status) == [.built])
        #expect(state.derivations.first?.logLines == 4)
        #expect(state.derivations.first?.lastLine == "no newline at the end")
        #expect(state.messages(at: .talkative).totalCount + state.messages(at: .info).totalCount > 0)
    }

    @Test("a failing build: the error names the derivation, which is marked failed")
    func failingBuild() async throws {
        let run = try await runNixBuild(packages: #"""
            default = mk "fails-42" ''
              echo "compiling"
              echo "src/main.c:42: error: boom" >&2
              exit 42
            '';
        """#)
        #expect(run.status != 0)
        let (outputs, state) = decodeCapture(run)
        #expect(outputs.logLines.map(\.text) == ["compiling", "src/main.c:42: error: boom"])
        let error = try #require(state.errors.kept.last)
        #expect(error.rawMessage.contains("failed with exit code 42"))
        #expect(error.message.hasPrefix("error:"))
        #expect(!error.message.contains("\u{1B}"))
        #expect(error.file == nil && error.line == nil && error.column == nil)
        #expect(state.builds.failed == 1)
        #expect(state.derivations.map(\.status) == [.failed])
        #expect(state.derivations.first?.failure?.contains("exit code 42") == true)
        let json = try reportJSON(state)
        let first = try #require((json["errors"] as? [[String: Any]])?.last)
        #expect(first["line"] is NSNull)
        #expect((json["builds"] as? [String: Int])?["failed"] == 1)
    }

    struct EvalCase: Sendable, CustomTestStringConvertible {
        var name: String
        var packages: String
        var attribute = "default"
        var expected: String
        var hasPosition: Bool
        var testDescription: String { name }
    }

    static let evalCases: [EvalCase] = [
        EvalCase(name: "undefined variable", packages: #"default = mk "c1" (undefinedThing + "echo hi");"#,
                 expected: "undefined variable 'undefinedThing'", hasPosition: true),
        EvalCase(name: "throw", packages: #"default = throw "c2: deliberately broken";"#,
                 expected: "c2: deliberately broken", hasPosition: false),
        EvalCase(name: "assert", packages: #"default = assert 1 == 2; mk "c3" "mkdir $out";"#,
                 expected: "assertion", hasPosition: true),
        EvalCase(name: "abort", packages: #"default = abort "c4: aborting";"#,
                 expected: "c4: aborting", hasPosition: false),
        EvalCase(name: "syntax error", packages: #"default = let x = 1 in x;"#,
                 expected: "syntax error", hasPosition: true),
        EvalCase(name: "type error", packages: #"""
            default = let addOne = x: x + 1; twice = f: x: f (f x); in mk "c7" (toString (twice addOne "nan"));
            """#, expected: "cannot", hasPosition: true),
        EvalCase(name: "missing attribute", packages: #"default = mk "c8" "mkdir $out";"#, attribute: "does-not-exist",
                 expected: "does not provide attribute", hasPosition: false),
    ]

    @Test("evaluation errors become structured errors", arguments: evalCases, [false, true])
    func evaluationError(_ c: EvalCase, showTrace: Bool) async throws {
        let run = try await runNixBuild(packages: c.packages, attribute: c.attribute, extraArguments: showTrace ? ["--show-trace"] : [])
        #expect(run.status != 0)
        let (outputs, state) = decodeCapture(run)
        #expect(outputs.isEmpty, "every line of \(c.name) is a well-formed event")
        let error = try #require(state.errors.kept.last, "no error for \(c.name)")
        #expect(error.level == .error)
        #expect(error.rawMessage.contains(c.expected), "\(error.rawMessage)")
        #expect(error.message.contains(c.expected))
        #expect(!error.message.contains("\u{1B}") && !error.rawMessage.contains("\u{1B}"))
        if c.hasPosition {
            #expect(error.file?.hasSuffix("flake.nix") == true)
            #expect(error.line != nil && error.column != nil)
        }
        if !showTrace { #expect(error.trace.isEmpty) }
        if showTrace && c.name == "type error" {
            #expect(!error.trace.isEmpty)
            #expect(error.trace.allSatisfy { !$0.message.isEmpty && $0.line != nil })
        }
        #expect(state.builds == NixProgress())
    }

    @Test("dependent derivations with one failing: failed, built and never-built derivations are told apart")
    func dependentFailure() async throws {
        let run = try await runNixBuild(packages: #"""
            dep-a = mk "dep-a" ''echo "building dep-a"; mkdir $out'';
            bad-dep = mk "bad-dep" ''echo "bad-dep: going to fail"; exit 1'';
            default = mk "top-bad" ''echo "never built: ${bad-dep} ${dep-a}"; mkdir $out'';
        """#, extraArguments: ["--keep-going"])
        #expect(run.status != 0)
        let (outputs, state) = decodeCapture(run)
        #expect(outputs.plainTexts.isEmpty)
        let byName = Dictionary(uniqueKeysWithValues: state.derivations.map { ($0.name, $0) })
        #expect(byName["dep-a"]?.status == .built)
        #expect(byName["bad-dep"]?.status == .failed)
        #expect(byName["top-bad"]?.status == .dependencyFailed)
        #expect(byName["bad-dep"]?.lastLine == "bad-dep: going to fail")
        #expect(outputs.logLines.contains { $0.derivation?.hasSuffix("-dep-a.drv") == true && $0.text == "building dep-a" })
        #expect(state.builds.failed == 1 && state.builds.done == 1)
        #expect(state.errors.kept.contains { $0.rawMessage.contains("dependencies of derivation") })
    }

    @Test("one derivation fails while another builds and a third waits on it: failed, interrupted, dependency failed; counts agree")
    func failedInterruptedDependencyFailed() async throws {
        let run = try await runNixBuild(packages: #"""
            bad = mk "rn-bad" ''echo "about to fail"; sleep 0.5; echo "rn-bad: error: firmware-blob missing" >&2; exit 3'';
            slow = mk "rn-slow" ''echo "slow started"; sleep 30; mkdir $out'';
            top = mk "rn-top" ''echo ${bad}; mkdir $out'';
            default = mk "rn-all" ''echo ${top} ${slow}; mkdir $out'';
        """#, extraArguments: ["--max-jobs", "2"])
        #expect(run.status != 0)
        let state = decodeCapture(run).state
        let byName = Dictionary(uniqueKeysWithValues: state.derivations.map { ($0.name, $0) })
        #expect(byName["rn-bad"]?.status == .failed)
        #expect(byName["rn-bad"]?.exitCode == 3)
        #expect(byName["rn-bad"]?.recentLines == ["about to fail", "rn-bad: error: firmware-blob missing"])
        #expect(byName["rn-slow"]?.status == .interrupted)
        #expect(byName["rn-top"]?.status == .dependencyFailed)
        #expect(state.count(.failed) == 1 && state.count(.built) == 0)
        try expectAgreement(state)
    }

    /// Issue 30: Build Project of three configurations, two done in under a second, one slow, watched
    /// while it runs. Nix 2.8 stops every Build activity only when the whole build ends; the finished
    /// ones must read built as soon as Builds counts them, serial or in parallel.
    @Test("while a slow build runs, the quick ones that finished read built; outcomes add up to the derivations; cut off, the slow one is interrupted",
          arguments: ["1", "3"])
    func finishedWhileOthersRun(maxJobs: String) async throws {
        let run = try await runNixBuild(packages: #"""
            quick-a = mk "ow-quick-a" ''echo quick a; mkdir $out'';
            quick-b = mk "ow-quick-b" ''echo quick b; sleep 0.3; mkdir $out'';
            slow = mk "ow-slow" ''for i in 1 2 3 4; do echo slow step $i; sleep 0.5; done; mkdir $out'';
        """#, attribute: "slow", extraArguments: ["--max-jobs", maxJobs, ".#quick-a", ".#quick-b"])
        #expect(run.status == 0)
        // The log up to the slow builder's third line: the moment an operator looks at it.
        let text = String(decoding: run.stderr, as: UTF8.self)
        let cut = try #require(text.range(of: "slow step 3\"]")).upperBound
        let prefix = Array(text[..<cut].utf8) + Array(text[cut...].prefix { $0 != "\n" }.utf8) + [10]
        var decoder = NixLogDecoder()
        prefix.withUnsafeBytes { decoder.feed($0) { _ in } }
        let live = decoder.state
        let byName = Dictionary(uniqueKeysWithValues: live.derivations.map { ($0.name, $0.status) })
        #expect(byName == ["ow-quick-a": .built, "ow-quick-b": .built, "ow-slow": .building], "\(byName)")
        #expect(live.builds.done == 2 && live.builds.running == 1 && live.plannedBuilds == 3 && live.unlistedNotBuilt == 0)
        #expect(NixLogReport.outcomeLine(live) == "1 building, 2 built")
        #expect(live.derivations.first { $0.name == "ow-quick-a" }?.endedAt != nil || live.clock == nil)
        // nix killed there (the stream just ends): the slow one interrupted, the others still built.
        decoder.finish { _ in }
        #expect(NixLogReport.outcomeLine(decoder.state) == "1 interrupted, 2 built")
        // The whole run: three built, nothing unnamed.
        let whole = decodeCapture(run).state
        #expect(NixLogReport.outcomeLine(whole) == "3 built" && whole.unlistedNotBuilt == 0)
        try expectAgreement(whole)
    }

    @Test("a dirty git tree gives a warning message")
    func dirtyGitTree() async throws {
        let run = try await runNixBuild(packages: #"default = mk "git-dirty" "echo from git; mkdir $out";"#) { dir in
            let git = ["-c", "user.name=t", "-c", "user.email=t@example.invalid"]
            for args in [["init", "-q"], git + ["add", "flake.nix"], git + ["commit", "-q", "-m", "init"]] {
                let (err, status) = try await runProgram("/usr/bin/git", args, in: dir)
                #expect(status == 0, "git \(args): \(String(decoding: err, as: UTF8.self))")
            }
            try ("# uncommitted change\n").appendLine(to: dir.appendingPathComponent("flake.nix"))
        }
        #expect(run.status == 0)
        let (_, state) = decodeCapture(run)
        let warnings = state.messages(at: .warn).kept
        #expect(warnings.contains { $0.hasPrefix("warning: Git tree '") && $0.hasSuffix("' is dirty") }, "\(warnings)")
        #expect(state.derivations.map(\.status) == [.built])
    }

    @Test("a builder printing invalid UTF-8 and ANSI sequences: replacement characters, colours kept in the log")
    func invalidUTF8AndANSI() async throws {
        let run = try await runNixBuild(packages: #"""
            default = mk "bytes" ''
              printf 'bad \377\376 bytes\n'
              printf '\033[31mred\033[0m and \033[1;32mgreen\033[0m\n'
              printf 'ctl \001 bell \007\n' >&2
              mkdir $out
            '';
        """#)
        #expect(run.status == 0)
        let (outputs, state) = decodeCapture(run)
        let texts = outputs.logLines.map(\.text)
        #expect(texts.count == 3)
        #expect(texts.first?.hasPrefix("bad \u{FFFD}") == true)
        #expect(texts.dropFirst().first == "\u{1B}[31mred\u{1B}[0m and \u{1B}[1;32mgreen\u{1B}[0m")
        #expect(texts.last == "ctl \u{01} bell \u{07}")
        #expect(state.otherLines == 0)
        let json = try reportJSON(state)
        let derivation = try #require((json["derivations"] as? [[String: Any]])?.first)
        #expect(derivation["lastLine"] as? String == "ctl \u{01} bell \u{07}")
    }

    @Test("a builder printing 100,000 lines: every line attributed, in order, the state stays small")
    func hundredThousandLines() async throws {
        let run = try await runNixBuild(packages: #"""
            default = mk "lines100k" "seq 1 100000 | sed 's/^/line /'; mkdir $out";
        """#)
        #expect(run.status == 0)
        var decoder = NixLogDecoder()
        var count = 0
        var inOrder = true
        var attributed = true
        run.stderr.withUnsafeBytes { all in
            var offset = 0
            while offset < all.count {
                let end = min(offset + 65536, all.count)
                decoder.feed(UnsafeRawBufferPointer(rebasing: all[offset..<end])) { output in
                    guard case .buildLogLine(let derivation, let text) = output else { return }
                    count += 1
                    if text != "line \(count)" { inOrder = false }
                    if derivation?.hasSuffix("-lines100k.drv") != true { attributed = false }
                }
                offset = end
            }
        }
        decoder.finish { _ in }
        #expect(count == 100_000)
        #expect(inOrder && attributed)
        #expect(decoder.state.buildLogLines == 100_000)
        #expect(decoder.state.derivations.first?.logLines == 100_000)
        #expect(decoder.state.derivations.first?.lastLine == "line 100000")
        #expect(try JSONEncoder().encode(decoder.state).count < 16 * 1024)
    }
}

extension String {
    fileprivate func appendLine(to url: URL) throws {
        let handle = try FileHandle(forWritingTo: url)
        defer { try? handle.close() }
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(utf8))
    }
}
