import Foundation
import Logging
import NixLog
import Subprocess
#if canImport(System)
import System
#else
import SystemPackage
#endif

/// Runs one process of a task: records it, starts it in a session of its own with stdin /dev/null,
/// pumps its output into the store, and makes sure nothing it started outlives it.
struct ProcessRunner: Sendable {
    let store: TaskStore
    let taskID: UUID
    let index: Int
    let signaller: ProcessGroupSignaller
    let tracker: DescendantTracker
    let grace: Duration
    let logger: Logger?
    let onOutput: @Sendable () -> Void

    func run(_ spec: ProcessSpec) async throws -> ProcessOutcome {
        let program = Self.resolve(spec.program, path: spec.environment["PATH"])
        let record = ProcessRecord(taskID: taskID, index: index, program: program ?? spec.program,
                                   arguments: spec.arguments, environment: spec.redactedEnvironment,
                                   workingDirectory: spec.workingDirectory)
        try store.insertProcess(record)
        var outcome = ProcessOutcome(index: index, capturedStdout: [], stdoutTruncated: false)

        if let problem = Self.spawnProblem(program: program, spec: spec) {
            outcome.spawnError = problem
            try store.markProcessEnded(task: taskID, index: index, exitCode: nil, signal: nil, spawnError: problem, at: Date())
            return outcome
        }

        var stdoutPipe: [Int32] = [-1, -1]
        var stderrPipe: [Int32] = [-1, -1]
        guard systemPipe2(&stdoutPipe, O_CLOEXEC) == 0, systemPipe2(&stderrPipe, O_CLOEXEC) == 0 else {
            let problem = "cannot create pipes: \(String(cString: strerror(errno)))"
            for fd in stdoutPipe + stderrPipe where fd >= 0 { close(fd) }
            try store.markProcessEnded(task: taskID, index: index, exitCode: nil, signal: nil, spawnError: problem, at: Date())
            outcome.spawnError = problem
            return outcome
        }

        // 1 MiB pipes instead of 64 KiB: a chatty child and the pump switch places 16 times less often.
        for fd in [stdoutPipe[0], stderrPipe[0]] { _ = fcntl(fd, Self.setPipeSize, Int32(1 << 20)) }
        let recorder = OutputRecorder(store: store, taskID: taskID, processIndex: index, parsesNixLog: spec.parsesNixLog,
                                      captureLimit: spec.stdoutCaptureLimit, logger: logger, onBatch: onOutput)
        let pump = OutputPump(stdoutFD: stdoutPipe[0], stderrFD: stderrPipe[0])
        pump.start(receive: { stream, bytes in recorder.receive(stream, bytes) },
                   tick: { recorder.tick() },
                   finish: { recorder.finish() })

        var options = PlatformOptions()
        // A session of its own: no controlling terminal for ssh/sudo prompts, and one group to signal.
        options.createSession = true
        // Only reached if the Swift task running this is cancelled; the engine normally stops groups itself.
        options.teardownSequence = [.send(signal: .terminate, toProcessGroup: true, allowedDurationToNextStep: grace)]
        // swift-subprocess strdup()s raw environment entries: each must carry its own NUL, or the
        // child reads heap garbage after the value (seen as `Bad port '22<garbage>'` from NIX_SSHOPTS).
        let environment = Environment.custom(spec.environment.map { Array("\($0.key)=\($0.value)\0".utf8) })
        let store = self.store, taskID = self.taskID, index = self.index, signaller = self.signaller, grace = self.grace
        let tracker = self.tracker
        var groupID: Int32?
        do {
            // Generic over the input: /dev/null, or the spec's bytes through a pipe.
            func spawn(_ input: some InputProtocol) async throws -> (groupID: Int32, status: TerminationStatus) {
                let result = try await Subprocess.run(
                    .path(FilePath(program!)),
                    arguments: Arguments(spec.arguments),
                    environment: environment,
                    workingDirectory: spec.workingDirectory.map { FilePath($0) },
                    platformOptions: options,
                    input: input,
                    output: .fileDescriptor(FileDescriptor(rawValue: stdoutPipe[1]), closeAfterSpawningProcess: true),
                    error: .fileDescriptor(FileDescriptor(rawValue: stderrPipe[1]), closeAfterSpawningProcess: true)
                ) { execution -> Int32 in
                    let pid = execution.processIdentifier.value
                    try? store.markProcessStarted(task: taskID, index: index, pid: pid,
                                                  startTicks: ProcessTable.startTicks(of: pid), at: Date())
                    signaller.attach(pgid: pid, grace: grace)
                    tracker.watch(task: taskID, processIndex: index, pid: pid, store: store)
                    return pid
                }
                return (result.closureResult, result.terminationStatus)
            }
            let result: (groupID: Int32, status: TerminationStatus)
            if let bytes = spec.standardInput, let input = StandardInputFeed(bytes) {
                input.start()
                result = try await spawn(FileDescriptorInput.fileDescriptor(FileDescriptor(rawValue: input.readEnd), closeAfterSpawningProcess: true))
            } else {
                result = try await spawn(NoInput.none)
            }
            groupID = result.groupID
            switch result.status {
            case .exited(let code): outcome.exitCode = code
            case .signaled(let signal): outcome.signal = signal
            }
        } catch {
            outcome.spawnError = "\(error)"
        }
        signaller.detach()
        // The leader is gone; anything left in its group (a daemonised grandchild) goes too, so nothing outlives the task.
        if let groupID, groupID > 1 {
            tracker.unwatch(pid: groupID)
            kill(-groupID, SIGKILL)
            // And what it started in sessions of its own (a builder nix did not stop).
            if let descendants = try? store.descendants(task: taskID, processIndex: index) {
                await DescendantTracker.stop(descendants, grace: .seconds(1))
            }
        }
        // Whatever still holds a pipe now escaped the group (e.g. a setsid'd grandchild): stop waiting for it.
        if !(await pump.waitUntilFinished(timeout: .seconds(3))) {
            pump.abort()
        }
        await pump.waitUntilFinished()

        outcome.capturedStdout = recorder.capturedStdout
        outcome.stdoutTruncated = recorder.stdoutTruncated
        outcome.nixState = recorder.nixState
        outcome.lastStderrLine = recorder.lastStderrLine
        if let state = outcome.nixState {
            let built = state.derivations.compactMap { derivation -> (name: String, seconds: Double)? in
                guard derivation.status == .built, let start = derivation.startedAt, let end = derivation.endedAt else { return nil }
                return (derivation.name, end - start)
            }
            try? store.recordDerivationDurations(built)
        }
        // The process' own result is the outcome, whatever the store did (issue 16): a store that kept
        // failing is reported next to it, and a next engine's recovery ends a row left unended.
        outcome.storeProblem = recorder.storeProblem
        do {
            try store.markProcessEnded(task: taskID, index: index, exitCode: outcome.exitCode, signal: outcome.signal,
                                       spawnError: outcome.spawnError, at: Date())
        } catch {
            outcome.storeProblem = outcome.storeProblem ?? "\(TaskEngine.storeFault(error)) when its process \(index) ended"
        }
        return outcome
    }

    /// Linux's F_SETPIPE_SZ, which Glibc's Swift module does not export.
    static let setPipeSize: Int32 = 1031

    /// The absolute path of `program`, looked up in `path` when it has no slash.
    static func resolve(_ program: String, path: String?) -> String? {
        if program.contains("/") { return program }
        for directory in (path ?? "/usr/local/bin:/usr/bin:/bin").split(separator: ":") {
            let candidate = "\(directory)/\(program)"
            if access(candidate, X_OK) == 0 { return candidate }
        }
        return nil
    }

    /// Why the process cannot start, checked before spawning so the reason is one a person understands.
    static func spawnProblem(program: String?, spec: ProcessSpec) -> String? {
        guard let program else {
            return "program \"\(spec.program)\" was not found in PATH (\(spec.environment["PATH"] ?? "unset")); install it or fix PATH"
        }
        if access(program, X_OK) != 0 { return "program \(program) does not exist or is not executable" }
        if let directory = spec.workingDirectory {
            var isDirectory: ObjCBool = false
            if !FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory) || !isDirectory.boolValue {
                return "working directory \(directory) does not exist"
            }
        }
        return nil
    }
}

/// Glibc's pipe2, which Swift's Glibc module does not export: the pipe must be close-on-exec from
/// the start, or a process spawned concurrently by another task could inherit it and hold it open.
@_silgen_name("pipe2")
private func systemPipe2(_ fds: UnsafeMutablePointer<Int32>, _ flags: Int32) -> Int32
