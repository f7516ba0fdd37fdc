import Foundation
import TaskEngine

/// One line of the task list: a task, how deep it is nested, and whether it has children.
struct TaskRow: Equatable, Sendable {
    var record: TaskRecord
    /// 0 for a top-level task, 1 for a child.
    var depth: Int
    /// Children known for a parent (0 for tasks without).
    var childCount: Int
    var isFolded: Bool
    /// For a running task with history: the median duration of earlier runs (same type and target).
    var expectedDuration: TimeInterval?

    var id: UUID { record.id }
}

/// The tasks the list can show, as read from the store: top-level tasks newest first and the
/// children of each parent, oldest first.
struct TaskListSnapshot: Equatable, Sendable {
    var topLevel: [TaskRecord] = []
    var children: [UUID: [TaskRecord]] = [:]
    /// More top-level tasks exist in the store than were read.
    var hasMore = false
    /// Expected durations of the running tasks that have history (see `TaskStore.estimatedDuration`).
    var expected: [UUID: TimeInterval] = [:]
}

/// Counts of tasks by what a person sees (cancelled apart from failed), for the header.
typealias TaskCounts = [TaskDisplayState: Int]
