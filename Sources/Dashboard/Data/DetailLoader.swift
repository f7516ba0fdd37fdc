import Foundation
import TaskEngine

/// What the model learns from the detail loader before a frame: the selected task's processes
/// (with the derivations each one's Nix summary lists), where the Nix summary's sections start,
/// and how many lines the shown tab's document has. Applied as one action, so that the model
/// (scroll position, follow, the process and build log shown) is settled before anything is drawn.
struct DetailFacts: Equatable, Sendable {
    var tab: DetailTab
    var lineCount: Int
    var derivationsPerProcess: [Int] = []
    var nixSections: [NixSection: Int] = [:]
}

/// What one frame shows of the selected task, already read: the task's detail and the lines of
/// the shown tab that fit on screen. Views draw it without touching the store.
struct DetailContent {
    let detail: TaskDetail
    let window: LogWindow
}

/// The lines of a document that one frame shows: read before drawing, from `firstLine` on.
struct LogWindow {
    let lineCount: Int
    let emptyReason: String
    let firstLine: Int
    let lines: [LogLine]
    /// Each line's arrival time, when the view shows times and the document has them (`t`).
    let times: [Date?]?

    /// Reads the `height` lines the view shows in `state` (only those: a million-line document
    /// costs no more than a short one), and their times with `withTimes`. Wrapping and following,
    /// the window ends at the last line.
    init(_ document: any LogDocument, state: LogViewState, height: Int, withTimes: Bool = false) {
        lineCount = document.lineCount
        emptyReason = document.emptyReason
        firstLine = state.wrap && state.follow ? max(0, lineCount - height) : state.top
        let range = firstLine..<min(lineCount, firstLine + max(0, height))
        lines = lineCount > 0 ? document.lines(range) : []
        times = withTimes && lineCount > 0 ? document.lineTimes(range) : nil
    }

    /// Columns of the widest line in the window (what horizontal scroll may reveal).
    var longestLine: Int {
        lines.reduce(0) { widest, line in max(widest, TerminalText.displayWidth(of: line.plainText)) }
    }
}

/// Store -> what the detail pane needs. Reads the selected task when it (or its output) may have
/// changed, makes the shown tab's document, and hands out the facts the model must know and the
/// window a frame draws. The only part of the dashboard besides `TaskListSource` that reads the
/// store; it never draws.
final class DetailLoader {
    private let store: TaskStore
    private(set) var detail: TaskDetail?
    private var isStale = true
    private var generation = 0
    private var cache: (key: DocumentKey, document: any LogDocument, sections: [NixSection: Int]?)?
    /// The selected task's change stamp when it was last read (see `checkOutsideChanges`).
    private var seenVersion: (id: UUID, version: Int64?)?

    private struct DocumentKey: Equatable {
        var task: UUID
        var tab: DetailTab
        var process: Int
        var nixSource: NixSource
        var generation: Int
    }

    init(store: TaskStore) {
        self.store = store
    }

    /// The selected task, its processes or its output may have changed in the store.
    func markStale() {
        isStale = true
    }

    /// Whether another process changed the selected task since it was read (`prune` from the command
    /// line; the engine's events do not cover it): one indexed row read; marks the detail stale if so.
    func checkOutsideChanges(for model: DashboardModel) -> Bool {
        guard let seenVersion, seenVersion.id == model.selectedID else { return false }
        let now = try? store.version(of: seenVersion.id)
        guard now != seenVersion.version else { return false }
        markStale()
        return true
    }

    /// The task the last load read, when it is still the selected one.
    func detail(for model: DashboardModel) -> TaskDetail? {
        model.selectedID == detail?.record.id ? detail : nil
    }

    /// Reads what changed and returns what the model must learn before the next frame (nil: no
    /// task is selected or it is gone).
    func load(for model: DashboardModel) -> DetailFacts? {
        if isStale || detail?.record.id != model.selectedID {
            isStale = false
            generation += 1
            seenVersion = model.selectedID.map { ($0, try? store.version(of: $0)) }
            detail = model.selectedID.flatMap { try? TaskDetail.load($0, store: store, previous: detail) }
        }
        guard let detail = detail(for: model) else {
            cache = nil
            return nil
        }
        var facts = DetailFacts(tab: model.tab, lineCount: 0,
                                derivationsPerProcess: detail.processes.indices.map { detail.nixState($0)?.derivations.count ?? 0 },
                                nixSections: model.nixSections)
        // Which process and build log the model shows once it knows the processes.
        var settled = model
        settled.apply(.detailLoaded(facts))
        let key = DocumentKey(task: detail.record.id, tab: settled.tab, process: settled.shownProcess,
                              nixSource: settled.nixSource, generation: generation)
        if cache?.key != key {
            if settled.tab == .nix && settled.nixSource == .summary {
                let summary = detail.nixSummaryDocument(processIndex: settled.shownProcess)
                cache = (key, summary.document, summary.sections)
            } else {
                cache = (key, detail.document(for: settled.tab, processIndex: settled.shownProcess,
                                              nixSource: settled.nixSource, store: store), nil)
            }
        }
        facts.lineCount = cache!.document.lineCount
        if let sections = cache!.sections { facts.nixSections = sections }
        return facts
    }

    /// The shown tab's document as the last load made it, for search, copy, save and the pager.
    func document(for model: DashboardModel) -> (any LogDocument)? {
        guard let cache, cache.key.task == model.selectedID, cache.key.tab == model.tab,
              cache.key.process == model.shownProcess, cache.key.nixSource == model.nixSource else { return nil }
        return cache.document
    }

    /// What a frame draws of the selected task, for the model after `load`'s facts were applied.
    func content(for model: DashboardModel) -> DetailContent? {
        guard let detail = detail(for: model) else { return nil }
        let window = document(for: model).map {
            LogWindow($0, state: model.log, height: model.layout.contentRows.count, withTimes: model.showsLineTimes)
        }
            ?? LogWindow(TextDocument(), state: model.log, height: 0)
        return DetailContent(detail: detail, window: window)
    }
}
