import Foundation
import TaskEngine

/// The tasks the list shows, kept in memory and refreshed piece by piece: a window of the
/// newest top-level tasks (grown when the user scrolls to its end) and the children of the
/// parents in it. With 100,000 tasks in the store, a frame never reads them all.
final class TaskListSource {
    let store: TaskStore
    /// How many top-level tasks to read; grows by `loadMore()`.
    private(set) var limit: Int
    private var states: [TaskState]?
    private var type: String?
    private(set) var snapshot = TaskListSnapshot()
    private var index: [UUID: Int] = [:]

    init(store: TaskStore, initialLimit: Int = 400) {
        self.store = store
        self.limit = initialLimit
    }

    /// How many tasks are in each state, for the header (nil when the store cannot say).
    func counts() -> TaskCounts? {
        try? store.stateCounts()
    }

    /// The next Auto-update the engine's scheduler will submit: its note sits next to the database.
    func nextAutoUpdate() -> Date? {
        ScheduledAutoUpdate.current(in: StateDirectory(path: URL(fileURLWithPath: store.path).deletingLastPathComponent().path))?.nextRun
    }

    /// Sets the store-side filters (state and type) from the model's filters.
    func setFilters(state: TaskDisplayState?, type: String?) {
        switch state {
        case nil: states = nil
        case .pending: states = [.pending]
        case .running: states = [.running]
        case .completed: states = [.completed]
        case .failed, .cancelled: states = [.failed]
        }
        self.type = type
    }

    /// The change counter the last poll (or reload) saw.
    private var polledVersion: Int64 = 0

    /// Reads the window again from the store.
    func reload() throws {
        polledVersion = try store.taskVersion()
        let top = try store.tasks(states: states, type: type, parent: .some(nil), limit: limit + 1)
        var snapshot = TaskListSnapshot()
        snapshot.hasMore = top.count > limit
        snapshot.topLevel = Array(top.prefix(limit))
        for parent in snapshot.topLevel where parent.pool == nil {
            let children = try store.children(of: parent.id)
            if !children.isEmpty { snapshot.children[parent.id] = children }
        }
        self.snapshot = snapshot
        reindex()
    }

    func loadMore() throws {
        guard snapshot.hasMore else { return }
        limit *= 4
        try reload()
    }

    /// Grows the window to every top-level task the filters match, in one read: G goes to the oldest.
    /// Room for 400 more, so tasks submitted meanwhile do not push the oldest out of the window again.
    func loadAll() throws {
        guard snapshot.hasMore else { return }
        limit = max(limit, try store.taskCount(states: states, type: type, parent: .some(nil)) + 400)
        try reload()
    }

    /// Reads the tasks `ids` again (an engine event named them) and merges them (see `merge`).
    func refresh(_ ids: Set<UUID>) throws {
        // One query for all of them: under load an attached dashboard refreshes hundreds at a time.
        merge(Array(try store.tasks(ids: Array(ids)).values))
    }

    /// Without engine events (attached to another process' engine): reads only the tasks inserted
    /// or changed since the last look (the store's change counter), whatever the number of tasks,
    /// and merges the rows read (not reading them a second time by id).
    ///
    /// Returns what the look found: tasks changed at all (the header's counts may be stale) and
    /// whether the window itself changed (the list must be rebuilt).
    @discardableResult
    func poll() throws -> (tasksChanged: Bool, windowChanged: Bool) {
        let (changed, version) = try store.tasksChanged(since: polledVersion)
        polledVersion = version
        guard !changed.isEmpty else { return (false, false) }
        return (true, merge(changed))
    }

    /// Puts tasks just read into the window as `reload` would have it: a task it holds is updated in
    /// place, a new top-level task goes to its place by submission time (newest first; under a burst
    /// that is the front), a task older than a full window stays out of it, a new child goes after
    /// its parent's others. The work is in proportion to the tasks read, plus one reindex of the
    /// window when tasks joined it; it never reads the window again. Returns whether the window
    /// changed.
    @discardableResult
    private func merge(_ records: [TaskRecord]) -> Bool {
        var changed = false
        var newTopLevel: [TaskRecord] = []
        var newChildren: [UUID: [TaskRecord]] = [:]
        for record in records {
            if let parent = record.parentID {
                if let position = snapshot.children[parent]?.firstIndex(where: { $0.id == record.id }) {
                    snapshot.children[parent]![position] = record
                    changed = true
                } else if index[parent] != nil {
                    newChildren[parent, default: []].append(record)
                }
            } else if let position = index[record.id] {
                snapshot.topLevel[position] = record
                changed = true
            } else if passesStoreFilters(record) {
                newTopLevel.append(record)
            }
        }
        for (parent, children) in newChildren {
            snapshot.children[parent, default: []] += children.sorted { $0.submittedAt < $1.submittedAt }
            changed = true
        }
        newTopLevel.sort { $0.submittedAt > $1.submittedAt }
        // Tasks outside a full window (older ones starting and ending under a burst) stay out.
        if snapshot.hasMore, let oldest = snapshot.topLevel.last {
            newTopLevel.removeAll { $0.submittedAt < oldest.submittedAt }
        }
        guard !newTopLevel.isEmpty else {
            estimateRunning()
            return changed
        }
        let front = newTopLevel.prefix { record in snapshot.topLevel.first.map { record.submittedAt >= $0.submittedAt } ?? true }
        for record in newTopLevel[front.count...] {
            // Older than the newest (a filter now lets it in): its place inside the window.
            let position = snapshot.topLevel.firstIndex { $0.submittedAt < record.submittedAt } ?? snapshot.topLevel.count
            snapshot.topLevel.insert(record, at: position)
        }
        snapshot.topLevel.insert(contentsOf: front, at: 0)
        if snapshot.topLevel.count > limit {
            // Tasks pushed out of the window take their children with them, as `reload` leaves them out.
            for parent in snapshot.topLevel[limit...] { snapshot.children[parent.id] = nil }
            snapshot.topLevel.removeLast(snapshot.topLevel.count - limit)
            snapshot.hasMore = true
        }
        reindex()
        return true
    }

    private func passesStoreFilters(_ record: TaskRecord) -> Bool {
        if let states, !states.contains(record.state) { return false }
        if let type, record.type != type { return false }
        return true
    }

    /// Expected durations for the running tasks, one indexed query per type and target; only when
    /// the set of running tasks changed (refreshes come with every batch of output).
    private func estimateRunning() {
        let running = snapshot.topLevel.filter { $0.state == .running }
            + snapshot.children.values.flatMap { $0.filter { $0.state == .running } }
        let runningIDs = Set(running.map(\.id))
        guard runningIDs != estimatedFor else {
            snapshot.expected = lastEstimates
            return
        }
        estimatedFor = runningIDs
        var cache: [String: TimeInterval?] = [:]
        var expected: [UUID: TimeInterval] = [:]
        for record in running {
            let key = record.type + "\u{0}" + (record.target ?? "")
            if cache[key] == nil { cache[key] = .some(try? store.estimatedDuration(type: record.type, target: record.target)) }
            if let value = cache[key] ?? nil { expected[record.id] = value }
        }
        snapshot.expected = expected
        lastEstimates = expected
    }

    private var estimatedFor: Set<UUID> = []
    private var lastEstimates: [UUID: TimeInterval] = [:]

    private func reindex() {
        estimateRunning()
        index.removeAll(keepingCapacity: true)
        for (position, record) in snapshot.topLevel.enumerated() { index[record.id] = position }
    }
}
