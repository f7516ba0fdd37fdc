import Foundation
import TaskEngine

/// What the new-task forms remember between runs: the project path and the type of the last
/// submitted form, in `dashboard-forms.json` of the state directory
/// (`{"project_path": "/srv/fleet", "task_type": "build_project_task"}`, mode 0600).
/// Only values a form is filled with or chosen from go in it, never how the dashboard looked.
struct FormMemory {
    static let fileName = "dashboard-forms.json"
    let path: String

    init(stateDirectory: String) { path = stateDirectory + "/" + Self.fileName }

    /// The remembered field values by submission field name; empty when there is no file or it
    /// cannot be read (a form then starts empty, as on the first run).
    func load() -> [String: String] {
        guard let data = FileManager.default.contents(atPath: path),
              let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return [:] }
        return object.compactMapValues { $0 as? String }
    }

    /// Replaces the remembered `values` (others stay); written to a temporary file and renamed, so a
    /// crash leaves the old file or the new one.
    func remember(_ values: [String: String]) throws {
        let values = load().merging(values) { _, new in new }
        let data = try JSONSerialization.data(withJSONObject: values, options: [.sortedKeys, .withoutEscapingSlashes])
        try PrivateFile.replace(atPath: path, with: data)
    }
}
