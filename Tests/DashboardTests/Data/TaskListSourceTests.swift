import Foundation
@_spi(StoreWriting) @testable import TaskEngine
import Testing
@testable import Dashboard

/// The list window an attached dashboard keeps by merging what the store's change counter names
/// must be the window it would read from scratch: same tasks, same order, same children.
@Suite("Task list window: merged changes")
struct TaskListSourceTests {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("list-source-\(UUID().uuidString.prefix(8))").path
    let base = Date(timeIntervalSince1970: 1_800_000_000)

    func record(_ name: String, at offset: Double, parent: UUID? = nil, pool: String? = "remote") -> TaskRecord {
        TaskRecord(id: UUID(), type: "ssh_command_task", submission: "{}", redactedSubmission: "{}", displayName: name,
                   target: "root@10.0.0.1", state: .pending, submittedAt: base.addingTimeInterval(offset), parentID: parent, pool: pool)
    }

    /// The rows a model shows for a snapshot.
    func rows(_ snapshot: TaskListSnapshot) -> [String] {
        var model = DashboardModel(size: TerminalSize(rows: 40, columns: 120), readOnly: true, mode: .attached(pid: 1))
        model.apply(.tasksLoaded(snapshot))
        return model.rows.map { "\(String(repeating: "  ", count: $0.depth))\($0.record.displayName) \($0.record.state.rawValue)" }
    }

    @Test("polling bursts of new, started, ended and child tasks gives the rows a fresh read gives")
    func mergedEqualsReloaded() throws {
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = try TaskStore(directory: StateDirectory(path: directory))
        let parent = record("deploy", at: 0, pool: nil)
        try store.insert([parent, record("old 1", at: 1), record("old 2", at: 2),
                          record("child 1", at: 3, parent: parent.id, pool: "remote")])
        let source = TaskListSource(store: store, initialLimit: 6)
        try source.reload()

        var offset = 10.0
        for burst in 0..<4 {
            // Several clients: new tasks, a child of the deploy, and tasks starting and ending, all in one poll.
            var inserted: [TaskRecord] = []
            for index in 0..<3 {
                inserted.append(record("burst \(burst)-\(index)", at: offset))
                offset += 1
            }
            inserted.append(record("child \(burst + 2)", at: offset, parent: parent.id))
            offset += 1
            for one in inserted { try store.insert([one]) }
            try store.markStarted(inserted[0].id, at: base.addingTimeInterval(offset))
            try store.markEnded(inserted[1].id, state: .failed, reason: "ssh failed", cancelled: false, at: base.addingTimeInterval(offset))
            try store.setProgress(inserted[0].id, "step \(burst)")
            try source.poll()

            let fresh = TaskListSource(store: store, initialLimit: 6)
            try fresh.reload()
            #expect(source.snapshot == fresh.snapshot, "after burst \(burst)")
            #expect(rows(source.snapshot) == rows(fresh.snapshot), "after burst \(burst)")
        }
        // The window kept the 6 newest top-level tasks; the deploy and its children dropped out with it.
        #expect(rows(source.snapshot).first == "burst 3-2 pending")
        #expect(source.snapshot.topLevel.count == 6 && source.snapshot.hasMore)
        #expect(source.snapshot.children.isEmpty)

        // Older tasks, outside the full window, start and end: the window stays as it is.
        let old = try store.tasks(newestFirst: false).filter { $0.parentID == nil }.prefix(3)
        for task in old { try store.markEnded(task.id, state: .completed, reason: nil, cancelled: false, at: base.addingTimeInterval(offset)) }
        let before = source.snapshot
        let found = try source.poll()
        #expect(found.tasksChanged && !found.windowChanged)
        #expect(source.snapshot == before)
    }

    @Test("with a state filter, an older task that now passes it takes its place inside the window")
    func filteredTaskJoinsInside() throws {
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = try TaskStore(directory: StateDirectory(path: directory))
        let tasks = (0..<5).map { record("task \($0)", at: Double($0)) }
        try store.insert(tasks)
        for index in [0, 4] { try store.markStarted(tasks[index].id, at: base) }
        let source = TaskListSource(store: store)
        source.setFilters(state: .running, type: nil)
        try source.reload()
        #expect(rows(source.snapshot) == ["task 4 running", "task 0 running"])
        try store.markStarted(tasks[2].id, at: base)
        #expect(try source.poll().windowChanged)
        let fresh = TaskListSource(store: store)
        fresh.setFilters(state: .running, type: nil)
        try fresh.reload()
        #expect(source.snapshot == fresh.snapshot)
        #expect(rows(source.snapshot) == ["task 4 running", "task 2 running", "task 0 running"])
    }

    @Test("the deploy's children stay in submission order under their parent while it is in the window")
    func childrenInOrder() throws {
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = try TaskStore(directory: StateDirectory(path: directory))
        let parent = record("deploy", at: 0, pool: nil)
        try store.insert([parent])
        let source = TaskListSource(store: store)
        try source.reload()
        try store.insert([record("child a", at: 1, parent: parent.id), record("child b", at: 2, parent: parent.id)])
        try store.insert([record("child c", at: 3, parent: parent.id)])
        try source.poll()
        #expect(rows(source.snapshot) == ["deploy pending", "  child a pending", "  child b pending", "  child c pending"])
    }

    @Test("G's effect loads every task the filters match in one read, with the oldest at the end, and the model selects it")
    func loadAllReachesTheOldest() throws {
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = try TaskStore(directory: StateDirectory(path: directory))
        try store.insert((0..<25).map { record("task \($0)", at: Double($0)) })
        let source = TaskListSource(store: store, initialLimit: 10)
        try source.reload()
        var model = DashboardModel(size: TerminalSize(rows: 40, columns: 120), readOnly: true, mode: .attached(pid: 1))
        model.apply(.tasksLoaded(source.snapshot))
        #expect(model.snapshot.hasMore && model.rows.count == 10)

        #expect(model.apply(.selectLast) == [.loadAllTasks])
        try source.loadAll()
        #expect(source.snapshot.topLevel.count == 25 && !source.snapshot.hasMore)
        model.apply(.tasksLoaded(source.snapshot))
        #expect(model.selectedRow?.record.displayName == "task 0", "the oldest, not the last of the first window")
        #expect(model.selectedIndex == 24)
    }
}
