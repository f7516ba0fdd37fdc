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

    var id: UUID { record.id }
}

/// The tasks the list can show, as read from the store: top-level tasks newest first and the
/// children of each parent, oldest first.
struct TaskListSnapshot: Equatable, Sendable {
    var topLevel: [TaskRecord] = []
    var children: [UUID: [TaskRecord]] = [:]
    /// More top-level tasks exist in the store than were read.
    var hasMore = false
}

/// Counts of tasks by what a person sees (cancelled apart from failed), for the header.
typealias TaskCounts = [TaskDisplayState: Int]
