import Foundation
import TaskEngine

/// A long task that ended while the dashboard watched: said in the header for a few seconds and,
/// as `--notify` asks, to the terminal (bell or a desktop notification).
struct TaskEndNotice: Equatable, Sendable {
    /// Tasks that ran at most this long end without a notice: they were watched as they ran.
    static let minimumDuration: TimeInterval = 10

    var taskID: UUID
    var name: String
    var state: TaskDisplayState
    var duration: TimeInterval

    var failed: Bool { state == .failed }

    /// "Build Project failed after 2m13s".
    var headline: String { "\(name) \(state.rawValue) after \(TaskFormat.duration(duration))" }

    /// The top-level tasks that were pending or running in `before` and have ended in `after`, after
    /// running longer than `minimumDuration` (children are summed up by their parent's own end).
    static func ended(before: [TaskRecord], after: [TaskRecord]) -> [TaskEndNotice] {
        let unfinished = Set(before.lazy.filter { !$0.state.isFinal }.map(\.id))
        guard !unfinished.isEmpty else { return [] }
        return after.compactMap { record in
            guard unfinished.contains(record.id), record.state.isFinal, record.parentID == nil,
                  let duration = record.duration(), duration > minimumDuration else { return nil }
            return TaskEndNotice(taskID: record.id, name: TerminalText.plain(record.displayName), state: record.displayState,
                                 duration: duration)
        }
    }
}
