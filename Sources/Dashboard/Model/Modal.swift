import Foundation

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
    var focusedField = 0
    /// Why the last submit was refused (the registry's words).
    var error: String?

    /// The submission JSON: `type` plus every field that was filled in.
    var submissionJSON: String {
        var object: [String: Any] = ["type": type]
        for field in fields where !field.value.isEmpty {
            switch field.kind {
            case .text: object[field.name] = field.value
            case .integer: object[field.name] = Int(field.value) ?? field.value as Any
            case .json:
                // The raw-JSON fallback form: the field is the whole submission.
                return field.value
            }
        }
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
        return String(decoding: data, as: UTF8.self)
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
