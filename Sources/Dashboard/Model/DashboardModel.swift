import Foundation
import TaskEngine

/// Whether this dashboard runs the engine or watches one that another process runs.
enum EngineMode: Equatable, Sendable {
    /// The engine runs in this process (it holds the lock).
    case inProcess
    /// Another process (this pid) holds the engine; actions go through the request table.
    case attached(pid: Int32)
    /// No process runs the engine and this one may not (`--read-only`): only the store is read.
    case detached
}

/// Everything the dashboard shows, as a value: the task rows, what is selected and focused,
/// the state of each text tab, filters, folds, the open dialog and the status line.
///
/// Changed only by `apply(_:)` (actions) and `handle(_:)` (keys); both return the effects the
/// app must carry out. No terminal, store or engine here, so it is unit-tested as is.
struct DashboardModel: Sendable {
    var size: TerminalSize { didSet { layout = DashboardLayout(size: size); refitViews() } }
    private(set) var layout: DashboardLayout
    let readOnly: Bool
    let keyMap: KeyMap
    let registry: TaskKindRegistry
    var mode: EngineMode

    private(set) var snapshot = TaskListSnapshot()
    /// The rows shown, after filters and folds.
    private(set) var rows: [TaskRow] = []
    private(set) var selectedID: UUID?
    /// First row shown in the list.
    private(set) var listTop = 0
    private(set) var focus: Focus = .list
    private(set) var tab: DetailTab = .nix { didSet { if oldValue != tab { tabOpenedByType = false } } }
    /// The tab was switched to stdout for an SSH or VM task, not by the user.
    private var tabOpenedByType = false
    private(set) var logs = TabViews()
    /// Process of the selected task the Process, Nix, stdout and stderr tabs show; nil: the last.
    private(set) var processIndex: Int?
    /// Derivations listed by each process' Nix summary (its count is the number of processes).
    private(set) var derivationsPerProcess: [Int] = []
    var processCount: Int { derivationsPerProcess.count }
    /// Derivations of the shown process (their build logs are what `d` cycles through).
    var derivationCount: Int { processCount > 0 ? derivationsPerProcess[shownProcess] : 0 }
    private(set) var nixSource: NixSource = .summary
    private(set) var nixSections: [NixSection: Int] = [:]
    /// Whether text tabs show each line's arrival time (k9s' `t`); one setting for every tab and task.
    private(set) var showsLineTimes = false

    private(set) var textFilter = ""
    private(set) var stateFilter: TaskDisplayState?
    private(set) var typeFilter: String?
    /// Parents whose children are hidden.
    private(set) var folded: Set<UUID> = []
    /// G asked for the oldest task while the window held only the newest: select the last row once
    /// the whole list is loaded (issue 30: G stopped at `400/501`).
    private var selectsLastWhenLoaded = false
    private(set) var counts: TaskCounts = [:]
    /// When the engine's scheduler submits the next Auto-update (header); nil when none is scheduled.
    var nextAutoUpdate: Date?
    /// The last long task that ended while the dashboard watched, said in the header for a few seconds.
    var endNotice: TaskEndNotice?

    var modal: Modal?
    private(set) var status: StatusMessage?
    /// The tab a search runs in (in the background) until it reports back; Esc cancels it.
    private(set) var searching: DetailTab?
    /// The last text searched for: Up in the empty search prompt recalls it.
    private(set) var lastSearch: String?
    /// What new-task forms start with (the project path of the last submitted form, remembered
    /// in the state directory by the app).
    var formDefaults: [String: String] = [:]

    init(size: TerminalSize, readOnly: Bool = false, mode: EngineMode = .inProcess,
         registry: TaskKindRegistry = .standard) {
        self.size = size
        self.layout = DashboardLayout(size: size)
        self.readOnly = readOnly
        self.keyMap = KeyMap(readOnly: readOnly)
        self.registry = registry
        self.mode = mode
        refitViews()
    }

    // MARK: - Derived

    /// Columns the text of a tab has: the screen's, less the time gutter when `t` shows it (as LogView draws).
    var textColumns: Int {
        showsLineTimes && showsStoredOutput ? max(1, size.columns - TaskFormat.lineTimeWidth - 1) : size.columns
    }

    /// Whether the shown tab is a process' stored output (stdout, stderr, a build log): the tabs with line times.
    var showsStoredOutput: Bool {
        tab == .stdout || tab == .stderr || (tab == .nix && nixSource != .summary)
    }

    var selectedRow: TaskRow? { rows.first { $0.id == selectedID } }
    var selectedIndex: Int? { rows.firstIndex { $0.id == selectedID } }
    var log: LogViewState { logs[tab] }
    var listHeight: Int { layout.listRows.count }

    /// The process index the tabs show unless one was picked: the last one, except on the Nix
    /// tab, where it is the last that built something (Build Image's build, not its `cp` step).
    var shownProcess: Int {
        let last = processCount - 1
        if processIndex == nil, tab == .nix, let built = derivationsPerProcess.lastIndex(where: { $0 > 0 }) { return built }
        return min(processIndex ?? last, last)
    }

    /// The types the type filter cycles through.
    var filterTypes: [String] {
        Array(Set(registry.types).union(snapshot.topLevel.map(\.type))).sorted()
    }

    var hasFilter: Bool { !textFilter.isEmpty || stateFilter != nil || typeFilter != nil }

    // MARK: - Keys

    /// Where keys go now: the open dialog, else the focused pane.
    var keyContext: KeyContext {
        switch modal {
        case nil: focus == .list ? .list : .detail
        case .help: .help
        case .confirmCancel: .confirmCancel
        case .confirmDeployPlan: .confirmDeployPlan
        case .confirmRunNow: .confirmRunNow
        case .confirmQuit: .confirmQuit
        case .newTaskMenu: .newTaskMenu
        case .newTaskForm(let form): form.keyContext
        case .prompt: .prompt
        case .reportSaved: .reportSaved
        }
    }

    /// Routes a key through the key map to an action (in the open dialog, or the focused pane).
    mutating func handle(_ event: InputEvent) -> [DashboardEffect] {
        if case .mouse(let mouse) = event { return handleMouse(mouse) }
        guard let action = keyMap.action(for: event, in: keyContext) else { return [] }
        if modal != nil { return applyInDialog(action) }
        return apply(action)
    }

    private mutating func handleMouse(_ mouse: MouseEvent) -> [DashboardEffect] {
        guard modal == nil else { return [] }
        let inList = mouse.row >= layout.listHeaderRow && mouse.row < layout.footerRow
        switch mouse.action {
        case .scrollUp, .scrollDown:
            let delta = mouse.action == .scrollUp ? -3 : 3
            if inList { return apply(.moveSelection(delta)) }
            updateLog { $0.scroll(by: delta) }
        case .click, .press:
            if layout.listRows.contains(mouse.row) {
                focus = .list
                let index = listTop + mouse.row - layout.listRows.lowerBound
                if index < rows.count { select(rows[index].id) }
            } else if layout.contentRows.contains(mouse.row) {
                focus = .detail
            }
        case .release:
            break
        }
        return []
    }

    /// What a dialog action does in the dialog that is open.
    private mutating func applyInDialog(_ action: DashboardAction) -> [DashboardEffect] {
        switch modal {
        case nil:
            return []
        case .help(let offset):
            let page = max(1, size.rows - 4)
            switch action {
            case .dialogMove(let delta): modal = .help(offset: max(0, offset + delta))
            case .dialogPage(let pages): modal = .help(offset: max(0, offset + pages * page))
            case .closeDialog: modal = nil
            case .quit: modal = nil; return apply(.quit)
            default: break
            }
        case .confirmCancel(let id, _):
            switch action {
            case .confirmDialog: modal = nil; return [.cancel(id)]
            case .closeDialog: modal = nil
            default: break
            }
        case .confirmRunNow(let id, _, _):
            switch action {
            case .confirmDialog: modal = nil; return [.runNow(id)]
            case .closeDialog: modal = nil
            default: break
            }
        case .confirmDeployPlan(_, let json, _):
            switch action {
            case .confirmDialog: modal = nil; return [.submit(json)]
            case .closeDialog: modal = nil
            default: break
            }
        case .confirmQuit:
            switch action {
            case .confirmDialog: modal = nil; return [.quit]
            case .keepTasksRunning: modal = nil; return [.quitKeepingTasks]
            case .closeDialog: modal = nil
            default: break
            }
        case .newTaskMenu(let selected):
            let types = registry.types
            switch action {
            case .dialogMove(let delta): modal = .newTaskMenu(selected: max(0, min(selected + delta, types.count - 1)))
            case .confirmDialog:
                guard types.indices.contains(selected) else { break }
                let type = types[selected]
                var form = TaskForms.form(for: type, typeName: registry.typeName(of: type), defaults: formDefaults)
                // With a remembered project, a form that picks from its file starts on the list.
                if form.checklist?.entries.isEmpty == false { form.focusedField = form.checklistStop }
                modal = .newTaskForm(form)
            case .closeDialog: modal = nil
            default: break
            }
        case .reportSaved(let path, _):
            switch action {
            case .confirmDialog: modal = nil; return [.copyFile(path: path)]
            case .closeDialog: modal = nil
            default: break
            }
        case .newTaskForm(var form):
            return apply(action, in: &form)
        case .prompt(var prompt):
            return apply(action, in: &prompt)
        }
        return []
    }

    private mutating func apply(_ action: DashboardAction, in form: inout NewTaskForm) -> [DashboardEffect] {
        let index = form.focusedField
        if form.isChecklistFocused, var checklist = form.checklist {
            switch action {
            case .dialogMove(-1) where checklist.cursor == 0: form.focusedField = index - 1
            case .dialogMove(let delta): checklist.move(by: delta)
            case .toggleChoice: checklist.toggle(); form.error = nil
            case .toggleAllChoices:
                if checklist.single { form.error = "Deploy to Device takes one device: tick it with Space" } else { checklist.toggleAll(); form.error = nil }
            default: break
            }
            form.checklist = checklist
        }
        let field = form.focusedFieldIndex ?? 0
        let isYesNo = !form.isChecklistFocused && form.fields.indices.contains(field) && form.fields[field].kind == .yesNo
        switch action {
        case .type(let c) where isYesNo:
            // A yes/no field is set, not typed into.
            let now = form.fields[field].value
            switch c {
            case "y", "Y": form.fields[field].value = "yes"
            case "n", "N": form.fields[field].value = "no"
            case " ": form.fields[field].value = now == "yes" ? "no" : "yes"
            default: break
            }
            form.error = nil
        case .eraseCharacter where isYesNo, .eraseForward where isYesNo, .clearText where isYesNo:
            break
        case .type(let c) where !form.isChecklistFocused:
            form.fields[field].line.insert(c)
            form.error = nil
        case .eraseCharacter where !form.isChecklistFocused:
            form.fields[field].line.deleteBackward()
        case .eraseForward where !form.isChecklistFocused:
            form.fields[field].line.deleteForward()
        case .moveCursor(let move) where !form.isChecklistFocused:
            form.fields[field].line.move(move)
        case .clearText where !form.isChecklistFocused:
            form.fields[field].value = ""
        case .nextField:
            form.readProjectFileIfNeeded()
            form.focusedField = (index + 1) % form.focusStops
        case .previousField:
            form.readProjectFileIfNeeded()
            form.focusedField = (index + form.focusStops - 1) % form.focusStops
        case .confirmDialog:
            form.readProjectFileIfNeeded()
            if let refusal = Self.pickRefusal(form) {
                form.error = refusal
                if form.checklist?.entries.isEmpty == false { form.focusedField = form.checklistStop }
                break
            }
            let json = form.submissionJSON
            do {
                _ = try registry.validate(Data(json.utf8))
                modal = nil
                // The next menu opens on this type, in this run and the next (issue 30: not on Auto-update).
                var remembered = [Self.rememberedTypeKey: form.type]
                if let path = form.value(of: "project_path"), !path.isEmpty {
                    remembered["project_path"] = URL(fileURLWithPath: path).standardizedFileURL.path
                }
                formDefaults.merge(remembered) { _, new in new }
                return [.submit(json), .rememberFormValues(remembered)]
            } catch {
                form.error = error.description
            }
        case .dialogBack:
            let selected = registry.types.firstIndex(of: form.type) ?? 0
            modal = .newTaskMenu(selected: selected)
            return []
        case .closeDialog:
            modal = nil
            return []
        default:
            break
        }
        modal = .newTaskForm(form)
        return []
    }

    /// Why a form that picks from the project file cannot be submitted yet: the project file's
    /// problem, nothing ticked, or (configurations the file does not list) no name typed.
    private static func pickRefusal(_ form: NewTaskForm) -> String? {
        guard let pick = form.pick else { return nil }
        let what = pick.listing == .devices ? "devices" : "device configurations"
        guard let checklist = form.checklist else { return "give the project path first: its project file lists the \(what)" }
        if case .configuration(let name) = pick {
            guard checklist.entries.isEmpty else { return nil }
            return form.value(of: name)?.isEmpty == false ? nil : "type the configuration's name: the project file gives none to pick"
        }
        if let problem = checklist.problem { return problem }
        if checklist.ticked.isEmpty { return "tick a device with Space" + (checklist.single ? "" : " (a: all)") }
        return nil
    }

    private mutating func apply(_ action: DashboardAction, in prompt: inout Prompt) -> [DashboardEffect] {
        switch action {
        case .type(let c):
            prompt.line.insert(c)
        case .eraseCharacter:
            if prompt.text.isEmpty && prompt.purpose != .savePath {
                modal = nil
                if prompt.purpose == .listFilter { setTextFilter("") }
                return []
            }
            prompt.line.deleteBackward()
        case .eraseForward:
            prompt.line.deleteForward()
        case .moveCursor(let move):
            prompt.line.move(move)
        case .clearText:
            prompt.text = ""
        case .dialogMove(let delta):
            if prompt.purpose == .search, delta < 0, let lastSearch { prompt.text = lastSearch }
        case .closeDialog:
            modal = nil
            if prompt.purpose == .listFilter { setTextFilter("") }
            return []
        case .confirmDialog:
            modal = nil
            return finish(prompt)
        default:
            break
        }
        modal = .prompt(prompt)
        if prompt.purpose == .listFilter { setTextFilter(prompt.text) }  // filter as you type
        return []
    }

    private mutating func finish(_ prompt: Prompt) -> [DashboardEffect] {
        switch prompt.purpose {
        case .listFilter:
            setTextFilter(prompt.text)
            return []
        case .search:
            let text = prompt.text
            updateLog {
                $0.search = text.isEmpty ? nil : text
                $0.currentMatch = nil
            }
            guard !text.isEmpty, let id = selectedID else { return [] }
            lastSearch = text
            searching = tab
            return [.search(task: id, tab: tab, text: text, from: log.top, direction: 1)]
        case .savePath:
            guard let id = selectedID, !prompt.text.isEmpty else { return [] }
            return [.save(task: id, tab: tab, path: prompt.text)]
        }
    }

    // MARK: - Actions

    /// Applies one action and returns what the app must do because of it.
    @discardableResult
    mutating func apply(_ action: DashboardAction) -> [DashboardEffect] {
        switch action {
        case .moveSelection(let delta):
            return moveSelection(by: delta)
        case .selectFirst:
            if let first = rows.first { select(first.id) }
        case .selectLast:
            if let last = rows.last { select(last.id) }
            if snapshot.hasMore {
                selectsLastWhenLoaded = true
                return [.loadAllTasks]
            }
        case .page(let fraction):
            if focus == .list {
                return moveSelection(by: Int((Double(max(1, listHeight)) * fraction).rounded(.towardZero)))
            }
            let lines = Int((Double(max(1, log.viewportHeight)) * fraction).rounded(.towardZero))
            updateLog { $0.scroll(by: lines == 0 ? (fraction < 0 ? -1 : 1) : lines) }
        case .scroll(let delta):
            updateLog { $0.scroll(by: delta) }
        case .scrollHorizontally(let delta):
            let width = textColumns
            updateLog { $0.scrollHorizontally(by: delta, width: width) }
        case .scrollToLineStart:
            updateLog { $0.horizontalOffset = 0 }
        case .scrollToLineEnd:
            let width = textColumns
            updateLog { $0.wrap = false; $0.horizontalOffset = max(0, $0.longestLine - width) }
        case .scrollToStart:
            updateLog { $0.scrollToStart() }
        case .scrollToEnd:
            updateLog { $0.scrollToEnd() }
        case .switchFocus:
            focus = focus == .list ? .detail : .list
        case .focusDetail:
            focus = .detail
        case .back:
            if searching != nil {
                searching = nil
                status = StatusMessage(text: "search cancelled", isError: false)
                return [.cancelSearch]
            }
            return back()
        case .nextTab:
            tab = DetailTab(rawValue: (tab.rawValue + 1) % DetailTab.allCases.count)!
        case .previousTab:
            tab = DetailTab(rawValue: (tab.rawValue + DetailTab.allCases.count - 1) % DetailTab.allCases.count)!
        case .selectTab(let newTab):
            tab = newTab
        case .toggleWrap:
            updateLog { $0.wrap.toggle(); $0.horizontalOffset = 0 }
        case .toggleLineTimes:
            showsLineTimes.toggle()
            if showsLineTimes && !showsStoredOutput {
                status = StatusMessage(text: "times shown in output tabs (stdout, stderr, build logs); this tab has none", isError: false)
            }
        case .nextProcess:
            guard processCount > 1 else {
                status = StatusMessage(text: "this task ran \(processCount == 1 ? "one process" : "no process")", isError: false)
                break
            }
            processIndex = (shownProcess + 1) % processCount
            nixSource = .summary
            resetLogs()
        case .nextBuildLog:
            guard derivationCount > 0 else {
                status = StatusMessage(text: "no derivation was built by this process", isError: false)
                break
            }
            tab = .nix
            if case .buildLog(let index) = nixSource {
                nixSource = index + 1 < derivationCount ? .buildLog(index + 1) : .summary
            } else {
                nixSource = .buildLog(0)
            }
            logs[.nix] = LogViewState(wrap: log.wrap, viewportHeight: layout.contentRows.count)
        case .jumpToNixSection(let section):
            tab = .nix
            if nixSource != .summary {
                nixSource = .summary
                logs[.nix] = LogViewState(viewportHeight: layout.contentRows.count)
            }
            if let line = nixSections[section] {
                updateLog { $0.follow = false; $0.topLine = min(line, $0.lastTop) }
            } else {
                status = StatusMessage(text: "no \(section.rawValue.lowercased()) in this process", isError: false)
            }
        case .startSearch:
            modal = .prompt(Prompt(purpose: .search, text: ""))
        case .searchNext, .searchPrevious:
            guard let text = log.search, let id = selectedID else {
                status = StatusMessage(text: "no search: press / to search", isError: false)
                break
            }
            let direction = action == .searchNext ? 1 : -1
            let from = (log.currentMatch ?? log.top) + direction
            searching = tab
            return [.search(task: id, tab: tab, text: text, from: from, direction: direction)]
        case .startListFilter:
            modal = .prompt(Prompt(purpose: .listFilter, text: textFilter))
        case .cycleStateFilter:
            let cycle: [TaskDisplayState?] = [nil] + TaskDisplayState.allCases.map { $0 }
            let index = cycle.firstIndex(of: stateFilter) ?? 0
            stateFilter = cycle[(index + 1) % cycle.count]
            rebuildRows()
            return [.reloadTasks]
        case .cycleTypeFilter:
            let cycle: [String?] = [nil] + filterTypes.map { $0 }
            let index = cycle.firstIndex(of: typeFilter) ?? 0
            typeFilter = cycle[(index + 1) % cycle.count]
            rebuildRows()
            return [.reloadTasks]
        case .toggleFold:
            guard let row = selectedRow else { break }
            let parent = row.depth > 0 ? row.record.parentID : (row.childCount > 0 ? row.id : nil)
            guard let parent else { break }
            if folded.contains(parent) { folded.remove(parent) } else { folded.insert(parent) }
            if row.depth > 0 { selectedID = parent }
            rebuildRows()
        case .requestCancel:
            guard !readOnly, let row = selectedRow else { break }
            if row.record.state.isFinal {
                status = StatusMessage(text: "\(row.record.displayName) already \(row.record.displayState.rawValue); nothing to cancel", isError: false)
            } else {
                modal = .confirmCancel(taskID: row.id, name: row.record.displayName)
            }
        case .requestRunNow:
            guard !readOnly, let row = selectedRow else { break }
            if row.record.state == .pending {
                modal = .confirmRunNow(taskID: row.id, name: row.record.displayName, pool: row.record.pool)
            } else {
                status = StatusMessage(text: "\(row.record.displayName) is \(row.record.displayState.rawValue); only a pending task can be run now", isError: false)
            }
        case .requestDeployPlan:
            guard !readOnly, let row = selectedRow else { break }
            // On one device's plan: the plan it belongs to (a deploy from a plan deploys all its devices).
            let plan = row.record.type == PlanDeviceKind.type ? row.record.parentID ?? row.id : row.id
            return [.prepareDeployFromPlan(plan)]
        case .retry:
            guard !readOnly, let row = selectedRow else { break }
            guard row.record.state.isFinal else {
                status = StatusMessage(text: "\(row.record.displayName) is still \(row.record.state.rawValue); retry it once it ended", isError: false)
                break
            }
            return [.retry(row.id)]
        case .openNewTaskMenu:
            guard !readOnly else { break }
            modal = .newTaskMenu(selected: newTaskMenuStart)
        case .saveTab:
            guard !readOnly, let row = selectedRow else { break }
            let name = "thymis-\(TaskFormat.shortID(row.id))-\(tab.fileStem).txt"
            modal = .prompt(Prompt(purpose: .savePath, text: name))
        case .openInPager:
            guard let id = selectedID else { break }
            return [.openInPager(task: id, tab: tab)]
        case .copyLine:
            guard let id = selectedID else { break }
            var line = log.currentMatch ?? log.top
            // On a section's heading (`Errors (1)`, where E lands) the line wanted is the first under it.
            if log.currentMatch == nil, tab == .nix, nixSource == .summary, nixSections.values.contains(line), line + 1 < log.lineCount {
                line += 1
            }
            return [.copy(task: id, tab: tab, line: line)]
        case .copyTab:
            guard let id = selectedID else { break }
            return [.copy(task: id, tab: tab, line: nil)]
        case .writeReport:
            guard let id = selectedID else { break }
            status = StatusMessage(text: "writing the report…", isError: false)
            return [.writeReport(id)]
        case .reportWritten(let path, let bytes):
            status = nil
            modal = .reportSaved(path: path, bytes: bytes)
        case .planDeploymentReady(let plan, let json, let summary):
            // Only over the plain dashboard: a dialog opened since keeps the keys.
            guard modal == nil else { break }
            status = nil
            modal = .confirmDeployPlan(plan: plan, json: json, summary: summary)
        case .showHelp:
            modal = .help(offset: 0)
        case .quit:
            let running = counts[.running] ?? 0
            if mode == .inProcess && running > 0 {
                modal = .confirmQuit(running: running)
                return []
            }
            return [.quit]

        case .dialogMove, .dialogPage, .confirmDialog, .keepTasksRunning, .closeDialog, .dialogBack, .nextField, .previousField, .toggleChoice, .toggleAllChoices,
             .type, .eraseCharacter, .eraseForward, .moveCursor, .clearText:
            return applyInDialog(action)

        case .resized(let newSize):
            size = newSize
            keepSelectionVisible()
        case .tasksLoaded(let newSnapshot):
            let ended = TaskEndNotice.ended(before: snapshot.topLevel, after: newSnapshot.topLevel)
            snapshot = newSnapshot
            rebuildRows()
            if selectsLastWhenLoaded {
                selectsLastWhenLoaded = false
                if let last = rows.last { select(last.id) }
            }
            if let last = ended.last {
                endNotice = last
                return [.alert(ended.first(where: \.failed) ?? last)]
            }
        case .clearEndNotice:
            endNotice = nil
        case .countsLoaded(let newCounts):
            counts = newCounts
        case .detailLoaded(let facts):
            derivationsPerProcess = facts.derivationsPerProcess
            if let index = processIndex, index >= processCount { processIndex = nil }
            let derivations = derivationCount
            if case .buildLog(let index) = nixSource, index >= derivations { nixSource = .summary }
            nixSections = facts.nixSections
            logs[facts.tab].lineCount = facts.lineCount
            if let match = logs[facts.tab].currentMatch, match >= facts.lineCount { logs[facts.tab].currentMatch = nil }
        case .searchProgress(let searchedTab, let percent):
            guard searching == searchedTab else { break }
            status = StatusMessage(text: "searching \"\(logs[searchedTab].search ?? "")\"… \(percent)% (Esc cancels)", isError: false)
        case .measured(let measuredTab, let longestLine):
            logs[measuredTab].longestLine = longestLine
        case .searchFinished(let searchedTab, let line, let column, let message):
            searching = nil
            logs[searchedTab].currentMatch = line
            if let line {
                logs[searchedTab].reveal(line: line)
                let length = TerminalText.displayWidth(of: logs[searchedTab].search ?? "")
                logs[searchedTab].reveal(column: column, length: length, width: textColumns)
            }
            status = message.map { StatusMessage(text: $0, isError: line == nil) }
        case .showStatus(let text, let isError):
            status = StatusMessage(text: text, isError: isError)
        case .clearStatus:
            status = nil
        }
        return []
    }

    private mutating func back() -> [DashboardEffect] {
        if focus == .detail {
            if case .buildLog = nixSource, tab == .nix {
                nixSource = .summary
                logs[.nix] = LogViewState(viewportHeight: layout.contentRows.count)
            } else if log.search != nil {
                updateLog { $0.search = nil; $0.currentMatch = nil }
            } else {
                focus = .list
            }
        } else if case .buildLog = nixSource, tab == .nix {
            // The build log fills the detail pane whichever pane has focus: Esc closes it first.
            nixSource = .summary
            logs[.nix] = LogViewState(viewportHeight: layout.contentRows.count)
        } else if hasFilter {
            // The state and type filters are applied by the store's query: without them the list is read again.
            let storeFiltered = stateFilter != nil || typeFilter != nil
            textFilter = ""
            stateFilter = nil
            typeFilter = nil
            rebuildRows()
            if storeFiltered { return [.reloadTasks] }
        } else {
            status = nil
        }
        return []
    }

    /// Where `formDefaults` keeps the type of the last form submitted.
    static let rememberedTypeKey = "task_type"

    /// The type the new-task menu opens on: the last one submitted from it, else Build Project, never
    /// the first in the list by accident (Auto-update, the most far-reaching action).
    var newTaskMenuStart: Int {
        let types = registry.types
        return formDefaults[Self.rememberedTypeKey].flatMap(types.firstIndex(of:))
            ?? types.firstIndex(of: BuildProjectKind.type) ?? 0
    }

    private mutating func moveSelection(by delta: Int) -> [DashboardEffect] {
        guard !rows.isEmpty else { return [] }
        let current = selectedIndex ?? 0
        let target = min(max(0, current + delta), rows.count - 1)
        select(rows[target].id)
        if snapshot.hasMore && target >= rows.count - listHeight { return [.loadMoreTasks] }
        return []
    }

    private mutating func select(_ id: UUID) {
        if id != selectedID {
            selectedID = id
            openTab(for: rows.first { $0.id == id }?.record)
            processIndex = nil
            derivationsPerProcess = []
            nixSource = .summary
            nixSections = [:]
            resetLogs()
        }
        keepSelectionVisible()
    }

    /// SSH commands and VMs print to stdout and their Nix tab is empty or short: they open on
    /// stdout; plans open on the Plan tab; the next nix task opens on the Nix tab again. A tab the
    /// user picked stays.
    private mutating func openTab(for record: TaskRecord?) {
        let wanted = record.map(Self.firstTab) ?? .nix
        guard tab == .nix || tabOpenedByType, tab != wanted else { return }
        tab = wanted
        tabOpenedByType = wanted != .nix
    }

    static func firstTab(of record: TaskRecord) -> DetailTab {
        switch record.type {
        case "ssh_command_task", "run_nixos_vm_task": return .stdout
        case PlanDeviceKind.type: return .plan
        case DeployDevicesKind.type where record.displayName == DeployDevicesKind.planName: return .plan
        default: return .nix
        }
    }

    /// New task, new documents: every tab starts at the end, following, keeping its wrap setting.
    private mutating func resetLogs() {
        for tab in DetailTab.allCases {
            logs[tab] = LogViewState(follow: tab.followsOutput, wrap: logs[tab].wrap, viewportHeight: layout.contentRows.count)
        }
    }

    private mutating func updateLog(_ change: (inout LogViewState) -> Void) {
        change(&logs[tab])
    }

    private mutating func refitViews() {
        let height = max(1, layout.contentRows.count)
        for tab in DetailTab.allCases { logs[tab].viewportHeight = height }
    }

    private mutating func keepSelectionVisible() {
        guard let index = selectedIndex else {
            listTop = 0
            return
        }
        let height = max(1, listHeight)
        if index < listTop { listTop = index }
        if index >= listTop + height { listTop = index - height + 1 }
        listTop = max(0, min(listTop, max(0, rows.count - height)))
    }

    private mutating func setTextFilter(_ text: String) {
        guard text != textFilter else { return }
        textFilter = text
        rebuildRows()
    }

    // MARK: - Rows

    private func matches(_ record: TaskRecord) -> Bool {
        if let stateFilter, record.displayState != stateFilter { return false }
        if let typeFilter, record.type != typeFilter { return false }
        guard !textFilter.isEmpty else { return true }
        let needle = textFilter.lowercased()
        let haystacks = [record.displayName, record.target ?? "", record.type, record.id.uuidString,
                         record.displayState.rawValue, record.failureReason ?? "", record.progress ?? ""]
        return haystacks.contains { $0.lowercased().contains(needle) }
    }

    /// Rows from the snapshot: each parent followed by its children (unless folded); with a
    /// filter, only matching children, and a parent when it or one of its children matches.
    private mutating func rebuildRows() {
        var result: [TaskRow] = []
        result.reserveCapacity(snapshot.topLevel.count)
        for record in snapshot.topLevel {
            let children = snapshot.children[record.id] ?? []
            let parentMatches = matches(record)
            let matchingChildren = hasFilter ? children.filter(matches) : children
            guard parentMatches || !matchingChildren.isEmpty else { continue }
            let isFolded = folded.contains(record.id)
            result.append(TaskRow(record: record, depth: 0, childCount: children.count, isFolded: isFolded,
                                  expectedDuration: snapshot.expected[record.id]))
            if !isFolded {
                for child in matchingChildren {
                    result.append(TaskRow(record: child, depth: 1, childCount: 0, isFolded: false,
                                          expectedDuration: snapshot.expected[child.id]))
                }
            }
        }
        let previousIndex = selectedIndex
        rows = result
        if let selectedID, rows.contains(where: { $0.id == selectedID }) {
            keepSelectionVisible()
        } else if !rows.isEmpty {
            // The selected task left the list (filtered or folded away): select its neighbour.
            let index = min(previousIndex ?? 0, rows.count - 1)
            select(rows[index].id)
        } else {
            selectedID = nil
            listTop = 0
        }
    }
}
