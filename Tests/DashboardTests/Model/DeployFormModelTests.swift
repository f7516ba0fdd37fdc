import Foundation
import Testing
import TaskEngine
@testable import Dashboard

/// Deploy to Device's form in the model: one device from the project file, as `submit deploy --device`.
@Suite("Deploy forms: devices from the project file")
struct DeployFormModelTests {
    /// A model with `type`'s form open from the new-task menu, the project path remembered.
    static func openForm(_ type: String, project: String) -> DashboardModel {
        var model = Fixtures.model()
        model.formDefaults = ["project_path": project]
        _ = model.handle(.character("n"))
        let position = TaskKindRegistry.standard.types.firstIndex(of: type)!
        // From the top: the menu opens on Build Project.
        for _ in TaskKindRegistry.standard.types { _ = model.handle(.character("k")) }
        for _ in 0..<position { _ = model.handle(.character("j")) }
        _ = model.handle(.key(.enter))
        return model
    }

    @Test("Deploy to Device takes one device: Space moves the tick, `a` is refused, the submission has `device`")
    func deployToDeviceTakesOne() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("dash-deploy-one-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: root) }
        let file = #"{"devices": [{"identifier": "kiosk-1", "host": "10.0.0.1"}, {"identifier": "kiosk-2", "host": "10.0.0.2", "port": 2222, "user": "admin"}], "ssh": {"identity": "id", "known_hosts": "known_hosts"}}"#
        try file.write(toFile: root + "/thymis-project.json", atomically: true, encoding: .utf8)

        var model = Self.openForm("deploy_device_task", project: root)
        #expect(model.keyContext == .deviceChecklist, "with a remembered project the form opens on its devices")
        _ = model.handle(.character(" "))
        _ = model.handle(.character("j"))
        _ = model.handle(.character(" "))
        _ = model.handle(.character("a"))
        guard case .newTaskForm(let form)? = model.modal, let checklist = form.checklist else { Issue.record("no form"); return }
        #expect(checklist.ticked == ["kiosk-2"])
        #expect(checklist.entries.map(\.detail) == ["root@10.0.0.1:22", "admin@10.0.0.2:2222"])
        #expect(form.error?.contains("one device") == true)
        let submission = try JSONSerialization.jsonObject(with: Data(form.submissionJSON.utf8)) as! [String: Any]
        #expect((submission["device"] as? [String: Any])?["identifier"] as? String == "kiosk-2")
        #expect(submission["devices"] == nil)
        #expect(submission["ssh_key_path"] as? String == root + "/id")
        #expect(submission["known_hosts_path"] as? String == root + "/known_hosts")

        // k from the first device goes back to the path; a path without a project file says so.
        _ = model.handle(.character("k"))
        _ = model.handle(.character("k"))
        #expect(model.keyContext == .newTaskForm)
        _ = model.handle(.ctrl("u"))
        for c in root + "/nowhere" { _ = model.handle(.character(c)) }
        _ = model.handle(.key(.enter))
        guard case .newTaskForm(let refused)? = model.modal else { Issue.record("form closed"); return }
        #expect(refused.error?.contains("no thymis-project.json in \(root)/nowhere") == true, "\(refused.error ?? "")")
    }

    @Test("Deploy Devices offers a rollout after the devices: canaries, wave size, failure budget and confirm timeout reach the submission")
    func rolloutOptions() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("dash-deploy-waves-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: root) }
        let file = #"{"devices": [{"identifier": "kiosk-1", "host": "10.0.0.1"}, {"identifier": "kiosk-2", "host": "10.0.0.2"}, {"identifier": "kiosk-3", "host": "10.0.0.3"}], "ssh": {"identity": "id", "known_hosts": "known_hosts"}}"#
        try file.write(toFile: root + "/thymis-project.json", atomically: true, encoding: .utf8)
        try "{ outputs = { self }: { }; }\n".write(toFile: root + "/flake.nix", atomically: true, encoding: .utf8)
        for name in ["id", "known_hosts"] { try "x\n".write(toFile: root + "/" + name, atomically: true, encoding: .utf8) }

        var model = Self.openForm("deploy_devices_task", project: root)
        #expect(model.keyContext == .deviceChecklist, "the form opens on the devices, before the rollout fields")
        _ = model.handle(.character("a"))
        // Tab leaves the devices for the fields below them: Plan first (yes by default), then the rollout.
        _ = model.handle(.key(.tab))
        #expect(model.keyContext == .newTaskForm)
        guard case .newTaskForm(let planFirst)? = model.modal else { Issue.record("no form"); return }
        #expect(planFirst.value(of: "plan") == "yes" && planFirst.submissionJSON.contains("\"plan\":true"))
        for c in "xy " { _ = model.handle(.character(c)) }
        guard case .newTaskForm(let toggled)? = model.modal else { Issue.record("no form"); return }
        #expect(toggled.value(of: "plan") == "no", "y sets yes, Space turns it to no; other letters change nothing")
        _ = model.handle(.key(.backspace))
        _ = model.handle(.character("n"))
        _ = model.handle(.key(.tab))
        for c in "kiosk-2" { _ = model.handle(.character(c)) }
        _ = model.handle(.key(.tab))
        for c in "50%" { _ = model.handle(.character(c)) }
        _ = model.handle(.key(.tab))
        _ = model.handle(.character("1"))
        _ = model.handle(.key(.tab))
        for c in "120" { _ = model.handle(.character(c)) }
        guard case .newTaskForm(let form)? = model.modal else { Issue.record("no form"); return }
        #expect(form.fields.map(\.name) == ["project_path", "plan", "canary", "wave_size", "max_failures", "confirm_timeout"])
        #expect(form.value(of: "plan") == "no")
        #expect(form.value(of: "project_path") == root, "typing went to the rollout fields, not the path")
        let submission = try JSONSerialization.jsonObject(with: Data(form.submissionJSON.utf8)) as! [String: Any]
        #expect(submission["canary"] as? [String] == ["kiosk-2"])
        #expect(submission["wave_size"] as? String == "50%")
        #expect(submission["max_failures"] as? Int == 1 && submission["confirm_timeout"] as? Int == 120)
        #expect((submission["devices"] as? [Any])?.count == 3 && submission["plan"] == nil)
        // What the registry makes of it: canary first, then waves of two (50% of 3, rounded up).
        let validated = try TaskKindRegistry.standard.validate(Data(form.submissionJSON.utf8))
        let deploy = try #require(validated.kind as? DeployDevicesKind)
        #expect(deploy.rollout.waves == [[1], [0, 2]] && deploy.rollout.failureBudget == 1)
        // A canary that is not ticked is refused by the registry, naming the field.
        _ = model.handle(.key(.backTab))
        _ = model.handle(.key(.backTab))
        _ = model.handle(.key(.backTab))
        _ = model.handle(.ctrl("u"))
        for c in "kiosk-9" { _ = model.handle(.character(c)) }
        _ = model.handle(.key(.enter))
        guard case .newTaskForm(let refused)? = model.modal else { Issue.record("form closed"); return }
        #expect(refused.error?.contains("canary") == true && refused.error?.contains("kiosk-9") == true, "\(refused.error ?? "")")
    }

    @Test("Plan Deploy to Device and Roll Back Device pick one device from the project file, as Deploy to Device does")
    func singleDeviceForms() {
        for type in ["plan_device_task", "rollback_device_task"] {
            let form = TaskForms.form(for: type, typeName: type)
            #expect(form.pick == .device && form.fields.first?.name == "project_path", "\(type)")
        }
    }
}
