// The bounded summary of one `nix` process' log, and the fold that updates it event by event.

/// A structured error (a `msg` event carrying `raw_msg`), ANSI escapes stripped.
public struct NixErrorSummary: Sendable, Codable, Equatable {
    public var level: NixLevel
    /// The full `msg` (with Nix's "error:" prefix, code excerpt and, with `--show-trace`, the trace).
    public var message: String
    /// `raw_msg`: the message alone.
    public var rawMessage: String
    public var file: String?
    public var line: Int?
    public var column: Int?
    /// `--show-trace` frames, innermost first as Nix sends them.
    public var trace: [NixTraceFrame]
}

/// An activity that has started and not yet stopped.
public struct NixRunningActivity: Sendable, Codable, Equatable {
    public var id: UInt64
    public var type: NixActivityType
    public var parent: UInt64?
    /// The `start` text, ANSI-stripped and cut to `NixProcessState.lastLineLimit` bytes.
    public var text: String
    /// The derivation it builds or runs a hook for (Build, PostBuildHook, BuildWaiting).
    public var derivationPath: String?
    /// Index into `NixProcessState.derivations`, when the derivation is tracked there.
    var derivationIndex: Int?
    /// Latest Progress of this activity (bytes for FileTransfer/CopyPath).
    public var progress = NixProgress()
    /// A Build activity the remote daemon of an `ssh-ng://` builder forwarded for a derivation this
    /// process is already building there: the same build seen from the builder, so it neither
    /// changes the derivation's machine nor counts as a build of its own. Optional so that
    /// snapshots written before it existed still decode.
    var mirrorsRemoteBuild: Bool?
}

/// Everything the engine keeps in memory about one `nix` process' stderr. Bounded: message lists keep
/// their first and last entries (see the limits), build log lines are only counted (each derivation keeps
/// its last line), and derivations beyond `derivationLimit` are counted, not listed.
public struct NixProcessState: Sendable, Codable, Equatable {
    /// Messages kept per level: the first `messageHeadLimit` and the last `messageTailLimit`.
    public static let messageHeadLimit = 100
    public static let messageTailLimit = 100
    /// Longest message text kept (UTF-8 bytes); errors are bounded by the decoder's line limit instead.
    public static let messageTextLimit = 8 * 1024
    public static let errorHeadLimit = 50
    public static let errorTailLimit = 50
    public static let derivationLimit = 5_000
    public static let activityLimit = 10_000
    /// Longest `lastLine` / activity text kept (UTF-8 bytes).
    public static let lastLineLimit = 1_024

    /// Plain `msg` events (without `raw_msg`), ANSI-stripped, one log per level: index with `messages(at:)`.
    public internal(set) var messagesByLevel: [BoundedLog<String>]
    /// `msg` events carrying `raw_msg`.
    public internal(set) var errors = BoundedLog<NixErrorSummary>(headLimit: errorHeadLimit, tailLimit: errorTailLimit)
    /// Last Progress of the Builds activity (derivations done/expected/running/failed): of this
    /// process' own one, not of those an `ssh-ng://` builder forwards (they count only its share).
    public internal(set) var builds = NixProgress()
    /// Last Progress of the CopyPaths activity (paths), of this process' own one like `builds`.
    public internal(set) var copies = NixProgress()
    /// FileTransfer activities (downloads), in bytes.
    public internal(set) var downloads = NixTransferTotals()
    /// CopyPath activities (single store paths copied or substituted), in bytes.
    public internal(set) var copiedPaths = NixTransferTotals()
    /// Substitute activities started.
    public internal(set) var substitutions = 0
    /// SetExpected results: expected amount by activity type raw value (e.g. 101: bytes to download).
    public internal(set) var expectedByActivityType: [Int: Int] = [:]
    /// Derivations in the order their builds started (or failures were reported).
    public internal(set) var derivations: [NixDerivationState] = []
    /// Derivations not listed because `derivationLimit` was reached.
    public internal(set) var derivationsOmitted = 0
    /// Build log (101) and post-build log (107) results.
    public internal(set) var buildLogLines = 0
    /// Lines that are not well-formed `@nix` events (plain stderr lines and malformed `@nix` lines).
    public internal(set) var otherLines = 0
    /// Lines longer than the decoder's `maxLineBytes`: only their first `maxLineBytes` were parsed/kept.
    public internal(set) var truncatedLines = 0
    /// Well-formed events folded.
    public internal(set) var events = 0
    /// Activities and results of types this parser does not know (or with fields of an unexpected shape).
    public internal(set) var otherEvents = 0
    /// Activities that started and have not stopped.
    public internal(set) var runningActivities: [UInt64: NixRunningActivity] = [:]
    /// Activities not tracked because `activityLimit` were running.
    public internal(set) var activitiesOmitted = 0
    public internal(set) var filesLinked = 0
    public internal(set) var bytesLinked = 0
    public internal(set) var untrustedPaths = BoundedLog<String>(headLimit: 10, tailLimit: 10)
    public internal(set) var corruptedPaths = BoundedLog<String>(headLimit: 10, tailLimit: 10)
    /// Last FetchStatus result (Nix 2.20 and later).
    public internal(set) var fetchStatus: String?
    /// The current time (seconds, any epoch) as the engine sees it; nil when unknown (e.g. reading a
    /// captured file). Used to stamp derivation start/end and first/last event.
    public var clock: Double?
    public internal(set) var firstEventAt: Double?
    public internal(set) var lastEventAt: Double?
    /// Set once the nix process' stderr ended (`NixLogDecoder.finish`): derivations still building
    /// were interrupted, planned ones were not built. Optional so older snapshots still decode.
    public internal(set) var streamEnded: Bool?
    /// The most derivations Nix planned to build at once (the largest expected + done + failed of
    /// the Builds activity): Nix lowers `expected` when it drops goals, so the peak is the plan.
    public internal(set) var plannedBuilds: Int?

    private var derivationIndex: [String: Int] = [:]
    /// Builds' done/failed counts already attributed to derivations.
    private var doneAttributed = 0
    private var failedAttributed = 0
    /// Which derivations Builds counted done before their Build activity stopped (`attributeFinishedBuilds`).
    private var attribution = DoneAttribution()
    /// The Builds and CopyPaths activities `builds` and `copies` follow: the first started while none
    /// was running. Nix 2.8 sends no `parent`, so this is how the remote daemon's ones are told apart.
    private var primaryBuildsActivity: UInt64?
    private var primaryCopiesActivity: UInt64?
    /// The last message was Nix's plan header ("these N derivations will be built:"): the messages
    /// that follow list the derivations, one `  /nix/store/...drv` each.
    private var readingPlan: Bool?

    public init() {
        messagesByLevel = NixLevel.allCases.map { _ in
            BoundedLog(headLimit: Self.messageHeadLimit, tailLimit: Self.messageTailLimit)
        }
    }

    /// Plain messages at `level`.
    public func messages(at level: NixLevel) -> BoundedLog<String> { messagesByLevel[level.rawValue] }

    /// The tracked derivation with this `.drv` path.
    public func derivation(path: String) -> NixDerivationState? {
        derivationIndex[path].map { derivations[$0] }
    }

    /// Folds one event into the summary.
    public mutating func apply(_ event: NixEvent) {
        events += 1
        if let clock {
            if firstEventAt == nil { firstEventAt = clock }
            lastEventAt = clock
        }
        switch event {
        case .message(let message): applyMessage(message)
        case .start(let activity): applyStart(activity)
        case .stop(let id): applyStop(id)
        case .result(let id, let result): applyResult(id: id, result)
        }
    }

    /// Counts a build log line of activity `id` and returns the derivation it belongs to.
    /// The decoder's hot path: one dictionary lookup, no copy of `text` unless it becomes the last line.
    mutating func recordBuildLogLine(activity id: UInt64, text: String) -> String? {
        buildLogLines += 1
        guard let activity = runningActivities[id] else { return nil }
        if let index = activity.derivationIndex {
            if attribution.watching { noteActive(index) }
            derivations[index].logLines += 1
            let line = text.utf8.count > Self.lastLineLimit ? text.truncated(toUTF8Bytes: Self.lastLineLimit) : text
            derivations[index].lastLine = line
            if derivations[index].recentLines == nil { derivations[index].recentLines = [] }
            derivations[index].recentLines!.append(line)
            if derivations[index].recentLines!.count > NixDerivationState.recentLineLimit {
                derivations[index].recentLines!.removeFirst()
            }
        }
        return activity.derivationPath
    }

    /// The stream ended: builds whose activity never stopped were interrupted (nix was killed or
    /// exited), planned derivations never reached are not built.
    mutating func endOfStream() {
        streamEnded = true
        readingPlan = nil
        for index in derivations.indices {
            switch derivations[index].status {
            case .building:
                derivations[index].status = .interrupted
                derivations[index].endedAt = derivations[index].endedAt ?? clock
            case .planned:
                derivations[index].status = .notBuilt
            default:
                break
            }
        }
    }

    /// Derivations Nix planned that are not listed (Nix 2.8's `nix build` never names them before
    /// building): once the stream ended, the ones never reached; before, the ones still waiting.
    /// Nix raises `expected` for every goal, then lowers it for the outputs it finds valid already:
    /// with nothing failed, what is still expected is the plan (a build of what is built already
    /// leaves none); after a failure it also drops the goals it gave up, so the peak is the plan then.
    public var unlistedNotBuilt: Int {
        let planned = builds.failed == 0 && !derivations.contains(where: { $0.status == .failed })
            ? builds.expected : (plannedBuilds ?? 0)
        return max(0, planned - derivations.count - derivationsOmitted)
    }

    /// How many log lines a failure reason quotes: what `nix build` prints ("last 10 log lines:").
    public static let failureTailLimit = 10

    /// The first derivation whose own builder failed and its last `limit` build log lines (ANSI
    /// stripped), the builder's error that Nix's one-line message leaves out: in JSON mode Nix
    /// 2.8 sends no log tail at all, later versions quote one (kept from the message when the log
    /// lines were not seen). Nil when no builder failed or it printed nothing.
    public func failedBuilderTail(limit: Int = failureTailLimit) -> (derivation: NixDerivationState, lines: [String])? {
        guard let failed = derivations.first(where: { $0.status == .failed && $0.failure != nil }),
              let recent = failed.recentLines, !recent.isEmpty else { return nil }
        return (failed, recent.suffix(limit).map(\.strippingANSIEscapes))
    }

    /// The derivations with this outcome.
    public func count(_ status: NixDerivationState.Status) -> Int {
        derivations.reduce(0) { $0 + ($1.status == status ? 1 : 0) }
    }

    mutating func countOtherLine(truncated: Bool) {
        otherLines += 1
        if truncated { truncatedLines += 1 }
    }

    mutating func countTruncatedEvent() { truncatedLines += 1 }

    private mutating func applyMessage(_ message: NixMessage) {
        guard let error = message.error else {
            let text = message.text.strippingANSIEscapes
            let inPlan = notePlan(text)
            let level = Self.level(of: text, sentAt: message.level, inPlan: inPlan)
            messagesByLevel[level.rawValue].append(text.truncated(toUTF8Bytes: Self.messageTextLimit))
            // A remote build's failure comes first as a plain message naming the machine and the real
            // exit code; the structured error after it only says "exit code 1".
            if message.level == .error, text.hasPrefix("error: ") { noteFailure(in: String(text.dropFirst(7))) }
            return
        }
        readingPlan = nil
        let raw = error.rawMessage.strippingANSIEscapes
        let position = NixPosition(file: error.file, line: error.line, column: error.column)
        errors.append(NixErrorSummary(
            level: message.level,
            message: message.text.strippingANSIEscapes,
            rawMessage: raw,
            file: position.file,
            line: position.line,
            column: position.column,
            trace: error.trace.map {
                let frame = NixPosition(file: $0.file, line: $0.line, column: $0.column)
                return NixTraceFrame(message: $0.message.strippingANSIEscapes, file: frame.file, line: frame.line, column: frame.column)
            }))
        if message.level == .error { noteFailure(in: raw) }
    }

    /// Nix's plan: "these N derivations will be built:" (or "this derivation will be built:"), then
    /// one message per derivation. Nix 2.8's `nix build` prints it only with --dry-run; nix-build and
    /// newer Nix print it before building.
    /// Whether `text` is part of such a plan (its header, one of its paths, or a path of the
    /// "will be fetched" list that may follow).
    @discardableResult
    private mutating func notePlan(_ text: String) -> Bool {
        if text.hasSuffix("will be built:") && (text.hasPrefix("these ") || text.hasPrefix("this derivation")) {
            readingPlan = true
            return true
        }
        if text.hasPrefix("these ") || text.hasPrefix("this path"), text.contains("will be fetched") {
            readingPlan = false  // the fetch list: paths, not derivations to build
            return true
        }
        guard let reading = readingPlan else { return false }
        let path = String(text.trimmingSpaces)
        guard path.hasPrefix("/nix/store/") || path.hasPrefix("/"), !path.contains(" ") else {
            readingPlan = nil
            return false
        }
        if reading, path.hasSuffix(".drv"), derivationIndex[path] == nil { _ = appendDerivation(path: path, status: .planned) }
        return true
    }

    /// The level a plain message belongs to by its own words. Nix sends at error level what is no
    /// error of the build: a download's retry (`warning: …; retrying in N ms`), `builtins.trace`
    /// output (`trace: …`), and the plan of `--dry-run` (`this derivation will be built:` and its
    /// paths). Counted as errors, they read as failures of a build that succeeded.
    static func level(of text: String, sentAt level: NixLevel, inPlan: Bool) -> NixLevel {
        guard level == .error else { return level }
        if text.hasPrefix("warning: ") { return .warn }
        if text.hasPrefix("trace: ") || inPlan { return .notice }
        return level
    }

    /// Which derivation an error message says failed, and how (see `NixFailureMessage` for the
    /// wordings of each Nix version). Only this tells a failed builder from an interrupted one when
    /// several builds stop at once; the derivation's own Build activity decides everything else.
    private mutating func noteFailure(in raw: String) {
        guard let failure = NixFailureMessage(raw) else { return }
        let path = failure.derivation
        let index = derivationIndex[path] ?? appendDerivation(path: path, status: .dependencyFailed)
        guard let index else { return }
        var derivation = derivations[index]
        switch failure.kind {
        case .dependencyFailed:
            // Only a derivation that never started: one whose build ran says more about itself.
            if derivation.status == .planned || derivation.status == .dependencyFailed {
                derivation.status = .dependencyFailed
                if derivation.failure == nil { derivation.failure = raw }
            }
        case .ownFailure:
            derivation.status = .failed
            // The remote build's own account (machine, real exit code, last lines) says more than what follows it.
            if derivation.failure?.hasPrefix("build of '") != true {
                derivation.failure = raw
                derivation.exitCode = failure.exitCode ?? derivation.exitCode
            }
            if derivation.recentLines?.isEmpty != false, !failure.logTail.isEmpty { derivation.recentLines = failure.logTail }
        }
        derivations[index] = derivation
        if failure.kind == .ownFailure { takeFailedCount(for: index) }
    }

    /// Makes sure a derivation Nix named as failed carries one of the Builds activity's failed counts:
    /// the one a derivation that merely stopped took when it stopped first (it is interrupted, then),
    /// or a count not attributed yet. While its Build activity runs, its stop attributes it.
    private mutating func takeFailedCount(for index: Int) {
        guard derivations[index].countedFailure != true else { return }
        if let other = derivations.indices.first(where: {
            $0 != index && derivations[$0].countedFailure == true && derivations[$0].status == .failed && derivations[$0].failure == nil
        }) {
            derivations[other].status = .interrupted
            derivations[other].countedFailure = nil
            derivations[index].countedFailure = true
        } else if builds.failed > failedAttributed {
            failedAttributed += 1
            derivations[index].countedFailure = true
        }
    }

    /// Failed counts not attributed yet and not owed to a derivation Nix already named as failed.
    private var unclaimedFailedCount: Int {
        let named = derivations.reduce(0) { $0 + ($1.status == .failed && $1.failure != nil && $1.countedFailure != true ? 1 : 0) }
        return builds.failed - failedAttributed - named
    }

    private mutating func appendDerivation(path: String, status: NixDerivationState.Status) -> Int? {
        guard derivations.count < Self.derivationLimit else {
            derivationsOmitted += 1
            return nil
        }
        derivations.append(NixDerivationState(path: path, status: status, logLines: 0))
        derivationIndex[path] = derivations.count - 1
        return derivations.count - 1
    }

    private mutating func applyStart(_ activity: NixActivity) {
        guard runningActivities.count < Self.activityLimit else {
            activitiesOmitted += 1
            return
        }
        var running = NixRunningActivity(
            id: activity.id,
            type: activity.type,
            parent: activity.parent,
            text: activity.text.strippingANSIEscapes.truncated(toUTF8Bytes: Self.lastLineLimit),
            derivationPath: activity.derivationPath)
        switch activity.type {
        case .build:
            if let path = running.derivationPath, let index = derivationIndex[path] ?? appendDerivation(path: path, status: .building) {
                if derivations[index].status == .planned { derivations[index].status = .building }
                running.derivationIndex = index
                let host = activity.fields.count > 1 ? activity.fields[1].string : nil
                if derivations[index].status == .building, derivations[index].host != nil, host?.isEmpty != false {
                    running.mirrorsRemoteBuild = true
                    break
                }
                derivations[index].status = .building
                derivations[index].host = host?.isEmpty == false ? host : nil
                derivations[index].round = activity.fields.count > 2 ? activity.fields[2].integer.map { Int(clamping: $0) } : nil
                derivations[index].rounds = activity.fields.count > 3 ? activity.fields[3].integer.map { Int(clamping: $0) } : nil
                derivations[index].startedAt = clock
                derivations[index].endedAt = nil
            }
        case .postBuildHook, .buildWaiting:
            running.derivationIndex = running.derivationPath.flatMap { derivationIndex[$0] }
        case .builds:
            if !isRunning(primaryBuildsActivity) { primaryBuildsActivity = activity.id }
        case .copyPaths:
            if !isRunning(primaryCopiesActivity) { primaryCopiesActivity = activity.id }
        case .fileTransfer:
            downloads.started += 1
        case .copyPath:
            copiedPaths.started += 1
        case .substitute:
            substitutions += 1
        default:
            if !activity.type.isKnown { otherEvents += 1 }
        }
        runningActivities[activity.id] = running
    }

    private mutating func applyStop(_ id: UInt64) {
        guard let activity = runningActivities.removeValue(forKey: id) else { return }
        switch activity.type {
        case .build:
            guard let index = activity.derivationIndex, activity.mirrorsRemoteBuild != true else { return }
            // Marked built earlier (`attributeFinishedBuilds`): it ended then, not now.
            guard derivations[index].status != .built else { return }
            derivations[index].endedAt = clock
            if derivations[index].status == .failed {
                // Named by an error message before its activity stopped: that is the failure Builds counted.
                if derivations[index].countedFailure != true, builds.failed > failedAttributed {
                    failedAttributed += 1
                    derivations[index].countedFailure = true
                }
                return
            }
            guard derivations[index].status == .building else { return }
            // Nix counts a build done (or failed) before the goal's Build activity ends; a build it
            // stops for another's failure, or on cancel, ends with neither count moving.
            if builds.done > doneAttributed {
                doneAttributed += 1
                derivations[index].status = .built
                derivations[index].recentLines = nil
            } else if unclaimedFailedCount > 0 {
                failedAttributed += 1
                derivations[index].status = .failed
                derivations[index].countedFailure = true
            } else {
                derivations[index].status = .interrupted
            }
        case .fileTransfer:
            downloads.finished += 1
        case .copyPath:
            copiedPaths.finished += 1
        default:
            break
        }
    }

    private mutating func applyResult(id: UInt64, _ result: NixResult) {
        switch result {
        case .buildLogLine(let text), .postBuildLogLine(let text):
            _ = recordBuildLogLine(activity: id, text: text)
        case .setPhase(let phase):
            if let index = runningActivities[id]?.derivationIndex { derivations[index].phase = phase }
        case .progress(let progress):
            guard var activity = runningActivities[id] else { return }
            switch activity.type {
            case .builds:
                if !isRunning(primaryBuildsActivity) { primaryBuildsActivity = id }
                if primaryBuildsActivity == id {
                    if progress.done > builds.done { attribution.doneChangedAt = clock }
                    let changed = progress.done != builds.done || progress.running != builds.running
                    builds = progress
                    // `expected` is what is left plus what is done (the failed drop out of it).
                    plannedBuilds = max(plannedBuilds ?? 0, progress.expected + progress.failed)
                    if changed {
                        attribution.active = []
                        attribution.watching = builds.done > doneAttributed
                    }
                    attributeFinishedBuilds()
                }
            case .copyPaths:
                if !isRunning(primaryCopiesActivity) { primaryCopiesActivity = id }
                if primaryCopiesActivity == id { copies = progress }
            case .fileTransfer: add(progress, replacing: activity.progress, to: &downloads)
            case .copyPath: add(progress, replacing: activity.progress, to: &copiedPaths)
            default: break
            }
            activity.progress = progress
            runningActivities[id] = activity
        case .setExpected(let type, let expected):
            expectedByActivityType[type.rawValue] = expected
        case .fileLinked(let bytes, _):
            filesLinked += 1
            bytesLinked += bytes
        case .untrustedPath(let path):
            untrustedPaths.append(path)
        case .corruptedPath(let path):
            corruptedPaths.append(path)
        case .fetchStatus(let status):
            fetchStatus = status
        case .other:
            otherEvents += 1
        }
    }

    /// A derivation at work while done builds wait to be attributed: perhaps that settles which.
    private mutating func noteActive(_ index: Int) {
        if attribution.active.insert(index).inserted { attributeFinishedBuilds() }
    }

    /// Marks built the derivations Nix counted done but whose Build activity has not stopped (Nix
    /// 2.8 stops them all at the very end). When as many derivations are building as Builds says run,
    /// none finished; when none run, all did; in between, the ones seen at work since the count
    /// changed are the running ones once there are as many of them as Builds says run. Until then
    /// nothing is guessed: a derivation stays building rather than be marked built by chance.
    private mutating func attributeFinishedBuilds() {
        let unattributed = builds.done - doneAttributed
        guard unattributed > 0 else { attribution.watching = false; return }
        let building = derivations.indices.filter { derivations[$0].status == .building }
        guard building.count > builds.running else { return }
        var finished: [Int]
        if builds.running == 0 {
            finished = building
        } else if attribution.watching, attribution.active.count >= builds.running, building.count - builds.running == unattributed {
            finished = building.filter { !attribution.active.contains($0) }
        } else {
            return
        }
        finished = Array(finished.prefix(unattributed))
        for index in finished {
            derivations[index].status = .built
            derivations[index].endedAt = attribution.doneChangedAt ?? clock
            derivations[index].recentLines = nil
            doneAttributed += 1
        }
        if builds.done <= doneAttributed { attribution.watching = false }
    }

    private func isRunning(_ id: UInt64?) -> Bool {
        id.map { runningActivities[$0] != nil } ?? false
    }

    private func add(_ progress: NixProgress, replacing old: NixProgress, to totals: inout NixTransferTotals) {
        totals.doneBytes += progress.done - old.done
        totals.expectedBytes += progress.expected - old.expected
    }
}

/// While the Builds activity counts more done builds than are attributed: the derivations seen at
/// work (a log line) since its last change. Nix 2.8 stops a Build activity only when the whole build
/// ends, so a finished build must be told from the ones still running.
struct DoneAttribution: Sendable, Codable, Equatable {
    var active: Set<Int> = []
    /// Whether `active` is being kept (done builds wait to be attributed).
    var watching = false
    /// When `done` last rose: the end time of the builds it counts.
    var doneChangedAt: Double?
}
