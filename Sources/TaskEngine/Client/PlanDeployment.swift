import Foundation

/// Deploying exactly what a plan planned (issue 27): `submit deploy --from-plan ID` and the
/// dashboard's key build the Deploy Devices submission here, from the finished plan's record, so both
/// refuse the same things in the same words. The deploy checks again when it runs: the project's
/// HEAD is still the plan's commit, each device still runs what it ran when planned, and the build
/// still gives the planned toplevel.
public enum PlanDeployment {
    /// Why a task cannot be deployed from; each case says what to do.
    public enum Refusal: Error, CustomStringConvertible, Equatable {
        case notAPlan(id: String, type: String)
        case notFinished(id: String, state: String)
        case failedDevices(id: String, devices: [String])
        case headMoved(id: String, planned: String, head: String)
        case unreadableHead(id: String, project: String)

        public var description: String {
            switch self {
            case .notAPlan(let id, let type):
                return "task \(id) is a \(type), not a finished plan; make one with `submit deploy --plan`"
            case .notFinished(let id, let state):
                return "plan \(id) is \(state), not finished; wait for it (`show \(id)`) and deploy from it when it completed"
            case .failedDevices(let id, let devices):
                return "plan \(id) did not finish for \(devices.joined(separator: ", ")); plan again (`submit deploy --plan`) once they are reachable"
            case .headMoved(let id, let planned, let head):
                return "plan \(id) was made at commit \(planned.prefix(12)); the project's HEAD is now \(head.prefix(12)), which was never planned; plan again (`submit deploy --plan`)"
            case .unreadableHead(let id, let project):
                return "cannot read the HEAD commit of \(project) (git rev-parse HEAD failed) to check plan \(id) against it; is it still a git repository?"
            }
        }
    }

    /// The Deploy Devices fields that deploy `plan` (a finished Plan Deploy Devices) to exactly the
    /// devices it planned, at its commit. `head` is the project's HEAD commit now (`projectHead`).
    public static func fields(plan: TaskRecord, children: [TaskRecord], head: String?) throws(Refusal) -> [String: JSONValue] {
        let id = String(plan.id.uuidString.lowercased().prefix(8))
        guard plan.type == DeployDevicesKind.type,
              case .object(var fields)? = try? JSONValue.parse(Data(plan.submission.utf8)),
              fields["plan"] == .bool(true) else {
            throw .notAPlan(id: id, type: plan.displayName)
        }
        guard plan.state.isFinal else { throw .notFinished(id: id, state: plan.state.rawValue) }
        var planned: [PlannedSystem] = []
        var unfinished: [String] = []
        for child in children {
            if child.state == .completed, let devicePlan = child.result(as: DevicePlan.self) {
                planned.append(PlannedSystem(device: child.target ?? "", current: devicePlan.current, new: devicePlan.new))
            } else {
                unfinished.append(child.target ?? child.displayName)
            }
        }
        guard plan.state == .completed, unfinished.isEmpty, !planned.isEmpty else {
            if plan.cancelled, unfinished.isEmpty { throw .notFinished(id: id, state: "cancelled") }
            throw .failedDevices(id: id, devices: unfinished.isEmpty ? ["any device"] : unfinished)
        }
        guard let commit = plan.result(as: FleetPlan.self)?.commit ?? childCommit(children) else {
            throw .notAPlan(id: id, type: "plan without a recorded commit")
        }
        guard let head else {
            throw .unreadableHead(id: id, project: fields["project_path"]?.stringValue ?? "the project")
        }
        guard head == commit else { throw .headMoved(id: id, planned: commit, head: head) }
        fields["plan"] = nil
        fields["commit"] = .string(commit)
        fields["from_plan"] = .string(plan.id.uuidString.lowercased())
        fields["planned"] = .array(planned.map(\.json))
        return fields
    }

    /// The project path the plan built, to read its HEAD before calling `fields`.
    public static func projectPath(of plan: TaskRecord) -> String? {
        guard case .object(let fields)? = try? JSONValue.parse(Data(plan.submission.utf8)) else { return nil }
        return fields["project_path"]?.stringValue
    }

    /// `git rev-parse HEAD` of `path`, nil when git cannot tell (not a repository, no commit).
    public static func projectHead(_ path: String) -> String? {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["git", "-C", path, "rev-parse", "--verify", "HEAD"]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        do { try process.run() } catch { return nil }
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let head = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return process.terminationStatus == 0 && (head.count == 40 || head.count == 64) ? head : nil
    }

    private static func childCommit(_ children: [TaskRecord]) -> String? {
        for child in children {
            if case .object(let fields)? = try? JSONValue.parse(Data(child.submission.utf8)), let commit = fields["commit"]?.stringValue {
                return commit
            }
        }
        return nil
    }
}
