import Foundation
import Testing
import TaskEngine
@testable import Dashboard

/// Deploy to Device's form in the model: one device from the project file, as `submit deploy --device`.
@Suite("Deploy forms: devices from the project file")
struct DeployFormModelTests {
    @Test("Deploy to Device takes one device: Space moves the tick, `a` is refused, the submission has `device`")
    func deployToDeviceTakesOne() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("dash-deploy-one-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: root) }
        let file = #"{"devices": [{"identifier": "kiosk-1", "host": "10.0.0.1"}, {"identifier": "kiosk-2", "host": "10.0.0.2", "port": 2222, "user": "admin"}], "ssh": {"identity": "id", "known_hosts": "known_hosts"}}"#
        try file.write(toFile: root + "/thymis-project.json", atomically: true, encoding: .utf8)

        var model = Fixtures.model()
        model.formDefaults = ["project_path": root]
        _ = model.handle(.character("n"))
        let position = TaskKindRegistry.standard.types.firstIndex(of: "deploy_device_task")!
        for _ in 0..<position { _ = model.handle(.character("j")) }
        _ = model.handle(.key(.enter))
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
}
