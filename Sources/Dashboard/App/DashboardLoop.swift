import Foundation
import TaskEngine

/// The render thread's work: read keys, apply them to the model, carry out effects, follow
/// the engine, and draw a frame when something changed (at most ~30 a second) or the clock's
/// second did. All terminal calls happen here, on one thread.
final class DashboardLoop {
    static let frameInterval = Duration.milliseconds(33)
    static let pollInterval = Duration.milliseconds(250)
    static let countsInterval = Duration.seconds(1)
    static let statusLifetime = Duration.seconds(6)
    static let idleWait = 50

    let terminal: any Terminal
    private(set) var model: DashboardModel
    private let store: TaskStore
    private let source: TaskListSource
    private let mailbox: Mailbox
    private var connection: EngineConnection
    private let screen: DashboardScreen

    private var detail: TaskDetail?
    private var detailDirty = true
    private var documentCache: (key: DocumentKey, document: any LogDocument)?
    private var detailGeneration = 0
    private var dirty = true
    private var countsDirty = true
    private var isRunning = true
    /// Set when a signal asked us to stop.
    private(set) var stopSignal: Int32?
    private var lastFrame = ContinuousClock.now - .seconds(1)
    private var lastDrawnSecond = -1
    private var lastPoll = ContinuousClock.now
    private var lastCounts = ContinuousClock.now - .seconds(10)
    private var statusShownAt: ContinuousClock.Instant?
    private var pendingSelection: UUID?
    /// Frames drawn, and how long the drawing took (for the benchmark and tests).
    private(set) var framesDrawn = 0
    private(set) var lastFrameDuration: Duration = .zero

    private struct DocumentKey: Equatable {
        var task: UUID
        var tab: DetailTab
        var process: Int
        var nixSource: NixSource
        var generation: Int
    }

    init(terminal: any Terminal, store: TaskStore, model: DashboardModel, mailbox: Mailbox, connection: EngineConnection) {
        self.terminal = terminal
        self.store = store
        self.model = model
        self.mailbox = mailbox
        self.connection = connection
        self.source = TaskListSource(store: store)
        self.screen = DashboardScreen(theme: Theme(terminal: terminal))
    }

    private var isAttached: Bool {
        if case .inProcess = model.mode { return false }
        return true
    }

    /// Runs until quit or a signal; throws only what the store throws at start.
    func run() throws {
        try start()
        while isRunning {
            step(waitLimit: Self.idleWait)
        }
        frameStats?.write()
    }

    /// With `THYMIS_TASKS_FRAME_STATS=FILE`: the work of every turn that drew a frame (reading what
    /// changed from the store, refreshing the detail, drawing), summarised into FILE at exit.
    private let frameStats = ProcessInfo.processInfo.environment["THYMIS_TASKS_FRAME_STATS"].map(FrameStats.init(path:))

    /// Reads the first data and draws the first frame.
    func start() throws {
        model.apply(.resized(terminal.size))
        try source.reload()
        model.apply(.tasksLoaded(source.snapshot))
        refreshCounts()
        render()
    }

    /// One turn: messages, polling, a frame if due, then input (waiting at most `waitLimit` ms).
    func step(waitLimit: Int) {
        let turnStarted = ContinuousClock.now
        frameStats?.turnStarted()
        handleMessages()
        let now = ContinuousClock.now
        if isAttached && now - lastPoll >= Self.pollInterval {
            lastPoll = now
            poll()
        }
        if countsDirty && now - lastCounts >= Self.countsInterval { refreshCounts() }
        if let shown = statusShownAt, now - shown >= Self.statusLifetime {
            statusShownAt = nil
            model.apply(.clearStatus)
            dirty = true
        }
        let second = Int(Date().timeIntervalSince1970)
        let sinceFrame = now - lastFrame
        if (dirty && sinceFrame >= Self.frameInterval) || second != lastDrawnSecond {
            render()
            // Everything this turn did for the frame, the wait for input excluded.
            frameStats?.record(ContinuousClock.now - turnStarted)
        }
        guard isRunning else { return }
        let untilSecond = Int((1 - Date().timeIntervalSince1970.truncatingRemainder(dividingBy: 1)) * 1000) + 1
        var wait = min(waitLimit, untilSecond)
        if dirty { wait = min(wait, max(0, Int((Self.frameInterval - (ContinuousClock.now - lastFrame)) / .milliseconds(1)))) }
        guard let event = terminal.readInput(timeoutMilliseconds: wait) else { return }
        handle(event)
        // Keys typed ahead (a held-down j) are applied together before the next frame.
        var extra = 0
        while extra < 64, let more = terminal.readInput(timeoutMilliseconds: 0) {
            handle(more)
            extra += 1
        }
    }

    // MARK: - Input and effects

    func handle(_ event: InputEvent) {
        dirty = true
        if event == .hangup {
            // As if SIGHUP had arrived: record final states, exit with 128 + 1.
            stopSignal = SIGHUP
            isRunning = false
            return
        }
        if event == .resize {
            model.apply(.resized(terminal.size))
            return
        }
        if !DashboardLayout(size: terminal.size).isUsable {
            if event == .character("q") || event == .ctrl("c") { perform(model.apply(.quit)) }
            return
        }
        // Keys typed ahead of a frame (G then d) must see the selected task's processes.
        if detailDirty { _ = currentDocument() }
        let before = (model.selectedID, model.status)
        let effects = model.handle(event)
        if model.selectedID != before.0 { detailDirty = true }
        if model.status != before.1 { statusShownAt = model.status == nil ? nil : ContinuousClock.now }
        perform(effects)
    }

    private func perform(_ effects: [DashboardEffect]) {
        for effect in effects {
            switch effect {
            case .quit:
                isRunning = false
            case .cancel(let id):
                connection.cancel(id, mailbox: mailbox)
                setStatus("cancelling…")
            case .retry(let id):
                connection.retry(id, mailbox: mailbox)
            case .submit(let json):
                connection.submit(json, mailbox: mailbox)
                setStatus("submitting…")
            case .loadMoreTasks:
                attempt { try source.loadMore() }
                model.apply(.tasksLoaded(source.snapshot))
            case .reloadTasks:
                source.setFilters(state: model.stateFilter, type: model.typeFilter)
                attempt { try source.reload() }
                model.apply(.tasksLoaded(source.snapshot))
                detailDirty = true
            case .search(_, let tab, let text, let from, let direction):
                guard let document = currentDocument(), tab == model.tab else { break }
                let (line, searched) = document.find(text, from: from, direction: direction)
                let message: String?
                if let line {
                    message = "\"\(text)\" at line \(line + 1)"
                } else if searched < document.lineCount {
                    message = "\"\(text)\" not in the \(searched) lines searched; n searches on"
                } else {
                    message = "\"\(text)\" not found"
                }
                model.apply(.searchFinished(tab, line: line, message: message))
                statusShownAt = ContinuousClock.now
            case .copy(_, _, let line):
                guard let document = currentDocument() else { break }
                let text: String
                if let line {
                    text = document.lines(line..<(line + 1)).first?.plainText ?? ""
                } else {
                    text = document.plainText(limitBytes: Self.clipboardLimit)
                }
                let clipped = text.utf8.count > Self.clipboardLimit ? String(decoding: Array(text.utf8.prefix(Self.clipboardLimit)), as: UTF8.self) : text
                terminal.copyToClipboard(clipped)
                setStatus("copied \(clipped.utf8.count) bytes (OSC 52: the terminal must allow clipboard writes)")
            case .save(_, _, let path):
                guard let document = currentDocument() else { break }
                do {
                    let written = try TabExport.save(document, to: path)
                    setStatus("saved \(written) bytes to \(path)")
                } catch {
                    setStatus("could not save: \(error)", isError: true)
                }
            case .openInPager:
                guard let document = currentDocument() else { break }
                do {
                    try TabExport.openInPager(document, terminal: terminal)
                    setStatus("")
                    model.apply(.clearStatus)
                } catch {
                    setStatus("could not open the pager: \(error)", isError: true)
                }
            }
        }
    }

    static let clipboardLimit = 100_000

    private func setStatus(_ text: String, isError: Bool = false) {
        model.apply(.showStatus(text, isError: isError))
        statusShownAt = ContinuousClock.now
        dirty = true
    }

    private func attempt(_ body: () throws -> Void) {
        do { try body() } catch { setStatus("\(error)", isError: true) }
    }

    // MARK: - Engine and store

    private func handleMessages() {
        var changed = Set<UUID>()
        // Output only moves a row's progress text: its state, and so the header counts, stay.
        var progressed = Set<UUID>()
        for message in mailbox.drain() {
            switch message {
            case .taskChanged(let id):
                changed.insert(id)
            case .outputAppended(let id):
                if id == model.selectedID || id == detail?.record.parentID { detailDirty = true; dirty = true }
                // The list shows each running task's Nix progress, which arrives with its output.
                progressed.insert(id)
            case .engineStopped:
                break
            case .status(let text, let isError):
                setStatus(text, isError: isError)
            case .submitted(let id):
                changed.insert(id)
                pendingSelection = id
            case .signal(let number):
                stopSignal = number
                isRunning = false
            case .tookOverEngine(let engine):
                connection = .inProcess(engine)
                model.mode = .inProcess
                setStatus("the engine's process exited: this dashboard runs the engine now")
                countsDirty = true
            }
        }
        if !changed.isEmpty || !progressed.isEmpty {
            attempt { try source.refresh(changed.union(progressed)) }
            model.apply(.tasksLoaded(source.snapshot))
            dirty = true
        }
        if !changed.isEmpty {
            if let selected = model.selectedID, changed.contains(selected) { detailDirty = true }
            if let detail, !detail.children.isEmpty, changed.contains(where: { id in detail.children.contains { $0.id == id } }) {
                detailDirty = true
            }
            countsDirty = true
        }
        if let id = pendingSelection, model.rows.contains(where: { $0.id == id }) {
            pendingSelection = nil
            while model.selectedID != id, let index = model.rows.firstIndex(where: { $0.id == id }), let current = model.selectedIndex {
                model.apply(.moveSelection(index - current))
            }
            detailDirty = true
        }
    }

    /// Attached to another process' engine: no events, so read what can have changed.
    private func poll() {
        let before = source.snapshot
        attempt { try source.poll() }
        if source.snapshot != before {
            model.apply(.tasksLoaded(source.snapshot))
            countsDirty = true
            dirty = true
        }
        if let detail, !detail.record.state.isFinal || detail.processes.contains(where: { $0.endedAt == nil }) {
            detailDirty = true
            dirty = true
        }
    }

    private func refreshCounts() {
        lastCounts = ContinuousClock.now
        countsDirty = false
        if let counts = try? store.stateCounts() {
            model.apply(.countsLoaded(counts))
            dirty = true
        }
    }

    // MARK: - Frames

    private func currentDocument() -> (any LogDocument)? {
        if detailDirty {
            detailDirty = false
            detailGeneration += 1
            if let id = model.selectedID {
                detail = try? TaskDetail.load(id, store: store, previous: detail)
            } else {
                detail = nil
            }
            if let detail {
                model.apply(.processesMeasured(derivationsPerProcess: detail.processes.indices.map {
                    detail.nixState($0)?.derivations.count ?? 0
                }))
            }
        }
        guard let detail, detail.record.id == model.selectedID else { return nil }
        let key = DocumentKey(task: detail.record.id, tab: model.tab, process: model.shownProcess,
                              nixSource: model.nixSource, generation: detailGeneration)
        if let cache = documentCache, cache.key == key { return cache.document }
        let document: any LogDocument
        if model.tab == .nix && model.nixSource == .summary {
            let summary = detail.nixSummaryDocument(processIndex: model.shownProcess)
            model.apply(.nixSectionsMeasured(summary.sections))
            document = summary.document
        } else {
            document = detail.document(for: model.tab, processIndex: model.shownProcess, nixSource: model.nixSource, store: store)
        }
        documentCache = (key, document)
        model.apply(.contentMeasured(model.tab, lineCount: document.lineCount))
        return document
    }

    func render() {
        let started = ContinuousClock.now
        let document = currentDocument()
        let now = Date()
        screen.draw(on: terminal, model: model, detail: model.selectedID == detail?.record.id ? detail : nil,
                    document: document, now: now)
        lastDrawnSecond = Int(now.timeIntervalSince1970)
        lastFrame = ContinuousClock.now
        lastFrameDuration = lastFrame - started
        framesDrawn += 1
        dirty = false
    }
}
