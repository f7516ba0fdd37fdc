import Foundation
import TaskEngine

/// Carries out what the model asked for (`DashboardEffect`): task actions through the engine
/// connection, reading more of the task list, and the tab effects (search, clipboard, save,
/// pager). It draws nothing; what the model must learn comes back as actions.
final class EffectRunner {
    static let clipboardLimit = 100_000

    /// What came of the effects: actions for the model, and what the loop must do next.
    struct Outcome {
        var actions: [DashboardAction] = []
        var quit = false
        /// The quit keeps this engine's tasks running (the process becomes the background engine).
        var keepsTasksRunning = false
        /// The list was read again: the selected task may be another one.
        var listReloaded = false
    }

    private let terminal: any Terminal
    private let source: TaskListSource
    private let mailbox: Mailbox
    var connection: EngineConnection
    /// The search running in the background, if any (a new one, or Esc, cancels it).
    private var searchJob: SearchJob?
    var alerter = TaskEndAlerter(mode: .bell)
    /// Where forms remember the last project path (nil: nowhere, e.g. in tests).
    var formMemory: FormMemory?

    init(terminal: any Terminal, source: TaskListSource, mailbox: Mailbox, connection: EngineConnection) {
        self.terminal = terminal
        self.source = source
        self.mailbox = mailbox
        self.connection = connection
    }

    /// Runs `effects` in order; `document` is the shown tab's document for the tab effects.
    func perform(_ effects: [DashboardEffect], model: DashboardModel, document: (any LogDocument)?) -> Outcome {
        var outcome = Outcome()
        func status(_ text: String, isError: Bool = false) { outcome.actions.append(.showStatus(text, isError: isError)) }
        for effect in effects {
            switch effect {
            case .quit:
                outcome.quit = true
            case .quitKeepingTasks:
                outcome.quit = true
                outcome.keepsTasksRunning = true
            case .cancel(let id):
                connection.cancel(id, mailbox: mailbox)
                status("cancelling…")
            case .retry(let id):
                connection.retry(id, mailbox: mailbox)
            case .runNow(let id):
                connection.runNow(id, mailbox: mailbox)
                status("starting now…")
            case .submit(let json):
                connection.submit(json, mailbox: mailbox)
                status("submitting…")
            case .rememberFormValues(let values):
                guard let formMemory else { break }
                do { try formMemory.remember(values) } catch {
                    status("could not remember the form's project path and type in \(formMemory.path): \(error.localizedDescription)", isError: true)
                }
            case .loadMoreTasks:
                do { try source.loadMore() } catch { status("\(error)", isError: true) }
                outcome.actions.append(.tasksLoaded(source.snapshot))
            case .loadAllTasks:
                do { try source.loadAll() } catch { status("\(error)", isError: true) }
                outcome.actions.append(.tasksLoaded(source.snapshot))
            case .reloadTasks:
                source.setFilters(state: model.stateFilter, type: model.typeFilter)
                do { try source.reload() } catch { status("\(error)", isError: true) }
                outcome.actions.append(.tasksLoaded(source.snapshot))
                outcome.listReloaded = true
            case .search(_, let tab, let text, let from, let direction):
                guard let document, tab == model.tab else { break }
                searchJob?.cancel()
                if let stored = document as? StoredStreamDocument {
                    searchJob = startSearch(stored, tab: tab, text: text, from: from, direction: direction)
                } else {
                    outcome.actions.append(Self.search(document, tab: tab, text: text, from: from, direction: direction))
                }
            case .cancelSearch:
                searchJob?.cancel()
                searchJob = nil
            case .copy(_, _, let line):
                guard let document else { break }
                let copied = copy(document, line: line)
                status("copied \(copied) bytes (OSC 52: the terminal must allow clipboard writes)")
            case .save(_, _, let path):
                guard let document else { break }
                do {
                    let written = try TabExport.save(document, to: path)
                    status("saved \(written) bytes to \(path)")
                } catch {
                    status("could not save: \(error)", isError: true)
                }
            case .alert(let notice):
                if let alert = alerter.alert(for: notice) { terminal.alert(alert) }
            case .writeReport(let id):
                writeReport(id)
            case .prepareDeployFromPlan(let id):
                prepareDeployFromPlan(id)
                status("checking the plan…")
            case .copyFile(let path):
                do {
                    let data = try Data(contentsOf: URL(fileURLWithPath: path))
                    let text = String(decoding: data.prefix(Self.clipboardLimit), as: UTF8.self)
                    terminal.copyToClipboard(text)
                    status("copied \(text.utf8.count) bytes of the report (OSC 52: the terminal must allow clipboard writes)")
                } catch {
                    status("could not read \(path): \(error.localizedDescription)", isError: true)
                }
            case .openInPager:
                guard let document else { break }
                do {
                    try TabExport.openInPager(document, terminal: terminal)
                    outcome.actions.append(.clearStatus)
                } catch {
                    status("could not open the pager: \(error)", isError: true)
                }
            }
        }
        return outcome
    }

    /// Writes the report of task `id` on a thread of its own (it runs `nix --version` and reads the
    /// failing log) to `<state dir>/reports/`, posting `.reportWritten` or an error status when done.
    private func writeReport(_ id: UUID) {
        let store = source.store
        let mailbox = self.mailbox
        let thread = Thread {
            do {
                guard let record = try store.task(id) else { throw StoreError.notFound(id.uuidString.lowercased()) }
                let text = try TaskReport.markdown(record, store: store, nixVersion: TaskReport.nixVersion(),
                                                   version: ThymisTasksVersion.current)
                let path = try TaskReport.save(text, for: record, stateDirectory: URL(fileURLWithPath: store.path).deletingLastPathComponent().path)
                mailbox.post(.action(.reportWritten(path: path, bytes: text.utf8.count)))
            } catch {
                mailbox.post(.action(.showStatus("could not write the report: \(error)", isError: true)))
            }
        }
        thread.name = "dashboard report"
        thread.start()
    }

    /// Builds the deploy of plan `id` on a thread of its own (it reads the project's HEAD with git),
    /// posting `.planDeploymentReady` or, when it is no plan to deploy, the refusal as an error status.
    private func prepareDeployFromPlan(_ id: UUID) {
        let store = source.store
        let mailbox = self.mailbox
        let thread = Thread {
            do {
                guard let plan = try store.task(id) else { throw StoreError.notFound(id.uuidString.lowercased()) }
                let head = PlanDeployment.projectPath(of: plan).flatMap(PlanDeployment.projectHead)
                let fields = try PlanDeployment.fields(plan: plan, children: store.children(of: id), head: head)
                let json = JSONValue.object(fields).canonicalText()
                // The registry's check now, so the dialog never offers what the engine would refuse.
                _ = try TaskKindRegistry.standard.validate(Data(json.utf8))
                let devices = plan.result(as: FleetPlan.self)?.devices ?? 0
                let commit = (fields["commit"]?.stringValue).map { String($0.prefix(12)) } ?? "?"
                let summary = "Deploy commit \(commit) to the \(devices) device\(devices == 1 ? "" : "s") of plan \(TaskFormat.shortID(id))?"
                mailbox.post(.action(.planDeploymentReady(plan: id, json: json, summary: summary)))
            } catch {
                mailbox.post(.action(.showStatus("cannot deploy from this task: \(error)", isError: true)))
            }
        }
        thread.name = "dashboard plan deploy"
        thread.start()
    }

    /// Searches a stored stream on a thread of its own (it may read a million lines), posting
    /// its progress and result to the mailbox as actions; the returned job cancels it.
    private func startSearch(_ document: StoredStreamDocument, tab: DetailTab, text: String, from: Int, direction: Int) -> SearchJob {
        let job = SearchJob()
        let search = StoredLogSearch(store: document.store, task: document.task, processIndex: document.processIndex,
                                     stream: document.stream, lineCount: document.lineCount)
        let mailbox = self.mailbox
        let thread = Thread {
            var lastPercent = -1
            let started = ContinuousClock.now
            let result = search.run(text, from: from, direction: direction, isCancelled: { job.isCancelled }) { share in
                let percent = Int(share * 100)
                // Only a search that takes a moment says how far it got.
                guard percent != lastPercent, ContinuousClock.now - started > .milliseconds(200) else { return }
                lastPercent = percent
                mailbox.post(.action(.searchProgress(tab, percent: percent)))
            }
            guard !result.cancelled, !job.isCancelled else { return }
            let column = result.line.map { document.lines($0..<($0 + 1)).first.map { Self.column(of: text, in: $0) } ?? 0 } ?? 0
            mailbox.post(.action(Self.finished(tab, text: text, line: result.line, column: column, searchedAll: true)))
        }
        thread.name = "dashboard search"
        thread.start()
        return job
    }

    /// Looks for `text` in a document the dashboard made (short: searched right away).
    static func search(_ document: any LogDocument, tab: DetailTab, text: String, from: Int, direction: Int) -> DashboardAction {
        let (line, searched) = document.find(text, from: from, direction: direction, budget: .max)
        let column = line.map { document.lines($0..<($0 + 1)).first.map { Self.column(of: text, in: $0) } ?? 0 } ?? 0
        return finished(tab, text: text, line: line, column: column, searchedAll: searched >= document.lineCount)
    }

    static func finished(_ tab: DetailTab, text: String, line: Int?, column: Int, searchedAll: Bool) -> DashboardAction {
        let message: String
        if let line {
            message = "\"\(text)\" at line \(line + 1)"
        } else {
            message = "\"\(text)\" not found"
        }
        return .searchFinished(tab, line: line, column: column, message: message)
    }

    /// The display column where `text` first appears in `line` (case-insensitive), 0 if not.
    static func column(of text: String, in line: LogLine) -> Int {
        let plain = line.plainText
        guard let found = plain.range(of: text, options: .caseInsensitive) else { return 0 }
        return TerminalText.displayWidth(of: String(plain[..<found.lowerBound]))
    }

    /// Copies one line (nil: the whole document, up to `clipboardLimit` bytes); returns the bytes copied.
    private func copy(_ document: any LogDocument, line: Int?) -> Int {
        let text: String
        if let line {
            text = document.lines(line..<(line + 1)).first?.plainText ?? ""
        } else {
            text = document.plainText(limitBytes: Self.clipboardLimit)
        }
        let clipped = text.utf8.count > Self.clipboardLimit
            ? String(decoding: Array(text.utf8.prefix(Self.clipboardLimit)), as: UTF8.self) : text
        terminal.copyToClipboard(clipped)
        return clipped.utf8.count
    }
}
