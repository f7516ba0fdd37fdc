import Foundation
import TaskEngine

/// The render thread's work, in order: follow the engine (messages, polls), read keys and
/// apply them to the model, hand effects to the `EffectRunner`, and at most ~30 times a second
/// (or when the clock's second changes) settle the model with the `DetailLoader`'s facts and
/// draw it. The loop decides only when and in which order; it reads no store and draws nothing
/// itself. All terminal calls happen on this one thread.
final class DashboardLoop {
    static let frameInterval = Duration.milliseconds(33)
    static let pollInterval = Duration.milliseconds(250)
    static let outsideChangeInterval = Duration.seconds(1)
    static let countsInterval = Duration.seconds(1)
    static let statusLifetime = Duration.seconds(6)
    static let idleWait = 50

    let terminal: any Terminal
    private(set) var model: DashboardModel
    private let source: TaskListSource
    private let loader: DetailLoader
    private let effects: EffectRunner
    private let mailbox: Mailbox
    private let screen: DashboardScreen

    /// Something the screen shows changed since the last frame.
    private var dirty = true
    private var countsDirty = true
    private var isRunning = true
    /// Set when a signal asked us to stop.
    private(set) var stopSignal: Int32?
    /// Set when the user chose to keep this engine's tasks running after quitting.
    private(set) var keepsTasksRunning = false
    private var lastFrame = ContinuousClock.now - .seconds(1)
    private var lastDrawnSecond = -1
    private var lastPoll = ContinuousClock.now
    private var lastCounts = ContinuousClock.now - .seconds(10)
    private var statusShownAt: ContinuousClock.Instant?
    private var endNoticeShownAt: ContinuousClock.Instant?
    /// How long the header says which long task just ended.
    static let endNoticeLifetime = Duration.seconds(5)
    private var pendingSelection: UUID?
    /// Frames drawn, and how long the drawing took (for the benchmark and tests).
    private(set) var framesDrawn = 0
    private(set) var lastFrameDuration: Duration = .zero

    init(terminal: any Terminal, store: TaskStore, model: DashboardModel, mailbox: Mailbox, connection: EngineConnection) {
        self.terminal = terminal
        self.model = model
        self.mailbox = mailbox
        self.source = TaskListSource(store: store)
        self.loader = DetailLoader(store: store)
        self.effects = EffectRunner(terminal: terminal, source: source, mailbox: mailbox, connection: connection)
        self.screen = DashboardScreen(theme: Theme(terminal: terminal))
    }

    /// Submitted forms' project paths go to `memory` (the state directory's form file).
    func rememberFormsIn(_ memory: FormMemory) { effects.formMemory = memory }

    /// How the end of a long task is told to the terminal (`--notify`).
    func notify(_ mode: NotifyMode) { effects.alerter = TaskEndAlerter(mode: mode) }

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
        } else if !isAttached && now - lastPoll >= Self.outsideChangeInterval {
            // The engine's events say what it changed; what other processes change (prune) shows within a second.
            lastPoll = now
            if loader.checkOutsideChanges(for: model) { dirty = true }
        }
        if countsDirty && now - lastCounts >= Self.countsInterval { refreshCounts() }
        if let shown = statusShownAt, now - shown >= Self.statusLifetime {
            statusShownAt = nil
            apply([.clearStatus])
        }
        if let shown = endNoticeShownAt, now - shown >= Self.endNoticeLifetime {
            endNoticeShownAt = nil
            apply([.clearEndNotice])
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
        let before = (model.selectedID, model.status)
        let requested = model.handle(event)
        if model.status != before.1 { statusShownAt = model.status == nil ? nil : ContinuousClock.now }
        // A key typed ahead of the next frame (G then d) must see the newly selected task's processes.
        if model.selectedID != before.0 { settleDetail() }
        perform(requested)
    }

    private func perform(_ requested: [DashboardEffect]) {
        guard !requested.isEmpty else { return }
        settleDetail()
        let outcome = effects.perform(requested, model: model, document: loader.document(for: model))
        apply(outcome.actions)
        if outcome.listReloaded { loader.markStale() }
        if outcome.quit { isRunning = false }
        if outcome.keepsTasksRunning { keepsTasksRunning = true }
    }

    /// Applies actions that came from outside the model (effects, the engine, the store).
    private func apply(_ actions: [DashboardAction]) {
        var requested: [DashboardEffect] = []
        for action in actions {
            let notice = model.endNotice
            requested += model.apply(action)
            switch action {
            case .showStatus, .searchFinished: statusShownAt = ContinuousClock.now
            default: break
            }
            if model.endNotice != notice, model.endNotice != nil { endNoticeShownAt = ContinuousClock.now }
        }
        if !actions.isEmpty { dirty = true }
        // What the news asks for (a task-end alert) is done at once; effects only come from news
        // that needs them, so this does not loop.
        perform(requested)
    }

    // MARK: - Engine and store

    private func handleMessages() {
        var changed = Set<UUID>()
        // Output only moves a row's progress text: its state, and so the header counts, stay.
        var progressed = Set<UUID>()
        let detail = loader.detail(for: model)
        for message in mailbox.drain() {
            switch message {
            case .taskChanged(let id):
                changed.insert(id)
            case .outputAppended(let id):
                if id == model.selectedID || id == detail?.record.parentID { loader.markStale(); dirty = true }
                // The list shows each running task's Nix progress, which arrives with its output.
                progressed.insert(id)
            case .status(let text, let isError):
                apply([.showStatus(text, isError: isError)])
            case .submitted(let id):
                changed.insert(id)
                pendingSelection = id
            case .signal(let number):
                stopSignal = number
                isRunning = false
            case .tookOverEngine(let engine):
                effects.connection = .inProcess(engine)
                model.mode = .inProcess
                apply([.showStatus("the engine's process exited: this dashboard runs the engine now", isError: false)])
                countsDirty = true
            case .action(let action):
                apply([action])
            }
        }
        if !changed.isEmpty || !progressed.isEmpty {
            attempt { try source.refresh(changed.union(progressed)) }
            apply([.tasksLoaded(source.snapshot)])
        }
        if !changed.isEmpty {
            if let selected = model.selectedID, changed.contains(selected) { loader.markStale() }
            if let detail, !detail.children.isEmpty, changed.contains(where: { id in detail.children.contains { $0.id == id } }) {
                loader.markStale()
            }
            countsDirty = true
        }
        if let id = pendingSelection, model.rows.contains(where: { $0.id == id }) {
            pendingSelection = nil
            while model.selectedID != id, let index = model.rows.firstIndex(where: { $0.id == id }), let current = model.selectedIndex {
                model.apply(.moveSelection(index - current))
            }
        }
    }

    /// Attached to another process' engine: no events, so read what can have changed.
    private func poll() {
        var found = (tasksChanged: false, windowChanged: false)
        attempt { found = try source.poll() }
        if found.windowChanged { apply([.tasksLoaded(source.snapshot)]) }
        // Tasks outside the window change the counts too.
        if found.tasksChanged { countsDirty = true }
        if let detail = loader.detail(for: model), !detail.record.state.isFinal || detail.processes.contains(where: { $0.endedAt == nil }) {
            loader.markStale()
            dirty = true
        }
    }

    private func refreshCounts() {
        lastCounts = ContinuousClock.now
        countsDirty = false
        if let counts = source.counts() { apply([.countsLoaded(counts)]) }
        model.nextAutoUpdate = source.nextAutoUpdate()
    }

    private func attempt(_ body: () throws -> Void) {
        do { try body() } catch { apply([.showStatus("\(error)", isError: true)]) }
    }

    // MARK: - Frames

    /// Gives the model what the loader read of the selected task (processes, line counts).
    private func settleDetail() {
        if let facts = loader.load(for: model) { model.apply(.detailLoaded(facts)) }
    }

    /// Settles the model, then draws it: the frame is a function of the model and the content read.
    func render() {
        let started = ContinuousClock.now
        settleDetail()
        let content = loader.content(for: model)
        if let longest = content?.window.longestLine, longest != model.log.longestLine {
            model.apply(.measured(model.tab, longestLine: longest))
        }
        let now = Date()
        screen.draw(on: terminal, model: model, content: content, now: now)
        lastDrawnSecond = Int(now.timeIntervalSince1970)
        lastFrame = ContinuousClock.now
        lastFrameDuration = lastFrame - started
        framesDrawn += 1
        dirty = false
    }
}
