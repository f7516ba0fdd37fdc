import Foundation
import TaskEngine

/// A dialog over the dashboard; while one is open, keys go to it.
enum Modal: Equatable, Sendable {
    /// The key list; the offset scrolls it.
    case help(offset: Int)
    case confirmCancel(taskID: UUID, name: String)
    /// Tasks run in this engine: stop them, or keep them running in the background?
    case confirmQuit(running: Int)
    /// The list of task types to submit, with the one under the cursor.
    case newTaskMenu(selected: Int)
    case newTaskForm(NewTaskForm)
    /// A report was saved to `path`: copy it to the clipboard?
    case reportSaved(path: String, bytes: Int)
    /// One line of text typed in the footer (search, filter, file name).
    case prompt(Prompt)
}

/// A line of text being typed, and what it is for.
struct Prompt: Equatable, Sendable {
    enum Purpose: Equatable, Sendable {
        case search
        case listFilter
        case savePath
    }

    var purpose: Purpose
    var text: String

    var label: String {
        switch purpose {
        case .search: "search: "
        case .listFilter: "filter: "
        case .savePath: "save to: "
        }
    }
}

/// The fields of the new-task form for one task type, as typed so far.
struct NewTaskForm: Equatable, Sendable {
    var type: String
    var title: String
    var fields: [FormField]
    /// Deploy forms: the project file's devices to tick, below the fields (nil until read).
    var checklist: DeviceChecklist?
    /// Deploy forms take devices from the project file: `.many` (Deploy Devices) or `.one`.
    var devicePick: DevicePick?
    /// The field with the cursor; `fields.count` is the device checklist.
    var focusedField = 0
    /// Why the last submit was refused (the registry's words).
    var error: String?

    enum DevicePick: Equatable, Sendable { case many, one }

    /// The focus is on the device checklist, not a text field.
    var isChecklistFocused: Bool { devicePick != nil && focusedField == fields.count }
    /// Text fields plus the checklist, for Tab.
    var focusStops: Int { fields.count + (devicePick == nil ? 0 : 1) }

    func value(of name: String) -> String? { fields.first { $0.name == name }?.value }

    /// The submission JSON: `type` plus every field that was filled in, and for deploy forms
    /// the ticked devices with the key, known hosts and timeout of the project file.
    var submissionJSON: String {
        var object: [String: JSONValue] = ["type": .string(type)]
        for field in fields where !field.value.isEmpty {
            switch field.kind {
            case .text: object[field.name] = .string(field.value)
            case .integer: object[field.name] = Double(field.value).map(JSONValue.number) ?? .string(field.value)
            case .json:
                // The raw-JSON fallback form: the field is the whole submission.
                return field.value
            }
        }
        if let checklist, let devicePick {
            for (name, value) in checklist.fileFields { object[name] = value }
            switch devicePick {
            case .many: object["devices"] = .array(checklist.chosen)
            case .one: if let device = checklist.chosen.first { object["device"] = device }
            }
        }
        return JSONValue.object(object).canonicalText()
    }
}

/// One input of the new-task form.
struct FormField: Equatable, Sendable {
    enum Kind: Equatable, Sendable { case text, integer, json }
    /// The submission field name (snake_case, as in Thymis).
    var name: String
    var label: String
    var kind: Kind = .text
    var isRequired = true
    var value = ""
    /// What to type, shown while the field is empty.
    var hint = ""
}

/// A message shown in the footer for a few seconds: the result of an action or why it failed.
struct StatusMessage: Equatable, Sendable {
    var text: String
    var isError: Bool
}
