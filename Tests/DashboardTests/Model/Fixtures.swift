import Foundation
import TaskEngine
@testable import Dashboard

/// Task records for model and view tests, without a store.
enum Fixtures {
    static let start = Date(timeIntervalSince1970: 1_800_000_000)

    static func task(_ name: String, state: TaskState = .completed, cancelled: Bool = false, type: String = "build_project_task",
                     target: String? = "fleet", parent: UUID? = nil, pool: String? = "nix", progress: String? = nil,
                     reason: String? = nil, id: UUID = UUID(), minute: Double = 0) -> TaskRecord {
        let submitted = start.addingTimeInterval(minute * 60)
        return TaskRecord(id: id, type: type, submission: "{}", redactedSubmission: "{\"type\":\"\(type)\"}", displayName: name,
                          target: target, state: state, failureReason: reason, cancelled: cancelled, submittedAt: submitted,
                          startedAt: state == .pending ? nil : submitted.addingTimeInterval(1),
                          endedAt: state.isFinal ? submitted.addingTimeInterval(5) : nil, parentID: parent, pool: pool,
                          progress: progress)
    }

    /// Five top-level tasks (newest first) and a deploy parent with two children.
    static func snapshot() -> (TaskListSnapshot, parent: UUID) {
        let parentID = UUID()
        let top = [
            task("Build Project", state: .running, minute: 6),
            task("Deploy devices", state: .running, type: "deploy_devices_task", pool: nil, id: parentID, minute: 5),
            task("Update Nix Flake", type: "project_flake_update_task", minute: 4),
            task("Build Project", state: .failed, target: "broken", reason: "build failed", minute: 3),
            task("Run SSH Command", state: .failed, cancelled: true, type: "ssh_command_task", target: "root@kiosk-1", minute: 2),
            task("Build Project", state: .pending, minute: 1),
        ]
        let children = [
            task("Deploy to kiosk-1", state: .completed, type: "deploy_device_task", target: "kiosk-1", parent: parentID, minute: 5),
            task("Deploy to kiosk-2", state: .running, type: "deploy_device_task", target: "kiosk-2", parent: parentID, minute: 5),
        ]
        return (TaskListSnapshot(topLevel: top, children: [parentID: children], hasMore: false), parentID)
    }

    static func model(rows: Int = 40, columns: Int = 120, readOnly: Bool = false) -> DashboardModel {
        var model = DashboardModel(size: TerminalSize(rows: rows, columns: columns), readOnly: readOnly)
        model.apply(.tasksLoaded(snapshot().0))
        return model
    }
}
