import Foundation
import Testing
@testable import TaskEngine

/// What `--from-plan` refuses and what it submits, on records shaped as the engine stores them
/// (PlanTests deploys real plans on a device with its own store).
@Suite("Deploy from a plan: which tasks are plans to deploy, and the submission they give")
struct PlanDeploymentTests {
    let commit = String(repeating: "a", count: 40)
    let old = "/nix/store/" + String(repeating: "1", count: 32) + "-nixos-system-kiosk-1"
    let new = "/nix/store/" + String(repeating: "2", count: 32) + "-nixos-system-kiosk-2"
    /// A project directory and key file, so the engine's own validation can run on the result.
    let project: String

    init() throws {
        project = FileManager.default.temporaryDirectory.appendingPathComponent("plan-deployment-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: project, withIntermediateDirectories: true)
        try Data("{ outputs = _: {}; }\n".utf8).write(to: URL(fileURLWithPath: project + "/flake.nix"))
        try Data("key\n".utf8).write(to: URL(fileURLWithPath: project + "/key"))
    }

    func record(_ type: String, _ submission: [String: JSONValue], state: TaskState = .completed, target: String? = nil,
                cancelled: Bool = false, result: (any Encodable)? = nil) -> TaskRecord {
        let text = JSONValue.object(submission).canonicalText()
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        let resultText = result.flatMap { try? encoder.encode($0) }.map { String(decoding: $0, as: UTF8.self) }
        return TaskRecord(id: UUID(), type: type, submission: text, redactedSubmission: text, displayName: type, target: target,
                          state: state, cancelled: cancelled, submittedAt: Date(), pool: nil, result: resultText)
    }

    var planSubmission: [String: JSONValue] {
        ["type": .string(DeployDevicesKind.type), "plan": .bool(true), "project_path": .string(project),
         "ssh_key_path": .string(project + "/key"), "known_hosts_path": .string(project + "/key"),
         "devices": .array([.object(["identifier": .string("kiosk-1"), "host": .string("127.0.0.1")])])]
    }

    func child(state: TaskState = .completed, plan: Bool = true) -> TaskRecord {
        let devicePlan = DevicePlan(current: old, new: new, diff: ClosureDiff(before: [:], after: [:]), copied: nil,
                                    units: .init(), rebootRequired: false, rebootBecause: [])
        return record(PlanDeviceKind.type, ["type": .string(PlanDeviceKind.type), "commit": .string(commit)], state: state,
                      target: "kiosk-1", result: plan ? devicePlan : nil)
    }

    @Test("a finished plan gives its devices, commit and planned systems, without the plan flag")
    func fields() throws {
        let plan = record(DeployDevicesKind.type, planSubmission, result: FleetPlan([], commit: commit))
        let fields = try PlanDeployment.fields(plan: plan, children: [child()], head: commit)
        #expect(fields["plan"] == nil && fields["commit"] == .string(commit))
        #expect(fields["from_plan"] == .string(plan.id.uuidString.lowercased()))
        #expect(fields["planned"] == .array([.object(["device": .string("kiosk-1"), "current": .string(old), "new": .string(new)])]))
        // The engine's own check accepts it and hands each child what it was planned against and for.
        let validated = try TaskKindRegistry.standard.validate(.object(fields))
        #expect(validated.kind.displayName == "Deploy Devices (from plan)")
        // `show`, `report` and the dashboard word the plan alike, from the record.
        #expect(plan.resultSections.first?.title == "plan" && plan.resultSections.first?.lines.first == "commit aaaaaaaaaaaa")
        #expect(child().resultSections.first?.lines.first == "0 packages changed · +0 bytes", "\(child().resultSections)")
    }

    @Test("refused, each with what to do: not a plan, still running, a device that failed, a moved HEAD, no HEAD")
    func refusals() throws {
        let build = record("build_project_task", ["type": .string("build_project_task")])
        #expect(throws: PlanDeployment.Refusal.notAPlan(id: String(build.id.uuidString.lowercased().prefix(8)), type: "build_project_task")) {
            try PlanDeployment.fields(plan: build, children: [], head: commit)
        }
        var deploy = planSubmission
        deploy["plan"] = nil
        #expect(throws: PlanDeployment.Refusal.self) { try PlanDeployment.fields(plan: record(DeployDevicesKind.type, deploy), children: [child()], head: commit) }
        let running = record(DeployDevicesKind.type, planSubmission, state: .running)
        #expect(throws: PlanDeployment.Refusal.notFinished(id: String(running.id.uuidString.lowercased().prefix(8)), state: "running")) {
            try PlanDeployment.fields(plan: running, children: [child(state: .running, plan: false)], head: commit)
        }
        let failed = record(DeployDevicesKind.type, planSubmission, state: .failed)
        #expect(throws: PlanDeployment.Refusal.failedDevices(id: String(failed.id.uuidString.lowercased().prefix(8)), devices: ["kiosk-1"])) {
            try PlanDeployment.fields(plan: failed, children: [child(state: .failed, plan: false)], head: commit)
        }
        let plan = record(DeployDevicesKind.type, planSubmission, result: FleetPlan([], commit: commit))
        let moved = String(repeating: "b", count: 40)
        do {
            _ = try PlanDeployment.fields(plan: plan, children: [child()], head: moved)
            Issue.record("a moved HEAD was accepted")
        } catch {
            #expect(error.description.contains("was made at commit aaaaaaaaaaaa; the project's HEAD is now bbbbbbbbbbbb"))
        }
        #expect(throws: PlanDeployment.Refusal.self) { try PlanDeployment.fields(plan: plan, children: [child()], head: nil) }
    }

    @Test("the engine refuses planned systems that are not store paths, or that miss a device")
    func badPlanned() throws {
        var fields = try PlanDeployment.fields(plan: record(DeployDevicesKind.type, planSubmission, result: FleetPlan([], commit: commit)),
                                               children: [child()], head: commit)
        fields["planned"] = .array([.object(["device": .string("kiosk-1"), "current": .string(old), "new": .string("/tmp/x; reboot")])])
        #expect(throws: SubmissionError.self) { try TaskKindRegistry.standard.validate(.object(fields)) }
        fields["planned"] = .array([])
        #expect(throws: SubmissionError.self) { try TaskKindRegistry.standard.validate(.object(fields)) }
        fields["planned"] = nil
        #expect(throws: SubmissionError.self) { try TaskKindRegistry.standard.validate(.object(fields)) }
    }
}
