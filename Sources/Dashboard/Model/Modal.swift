import Foundation
import TaskEngine

/// A dialog over the dashboard; while one is open, keys go to it.
enum Modal: Equatable, Sendable {
    /// The key list; the offset scrolls it.
    case help(offset: Int)
    case confirmCancel(taskID: UUID, name: String)
    /// Deploy what plan `plan` planned: `json` is the checked submission, `summary` what it does.
    case confirmDeployPlan(plan: UUID, json: String, summary: String)
    /// Start the pending task `taskID` now, past the limit of its pool?
    case confirmRunNow(taskID: UUID, name: String, pool: String?)
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
    /// The text with its cursor.
    var line: EditableLine

    /// A prompt holding `text`, the cursor after it.
    init(purpose: Purpose, text: String) {
        self.purpose = purpose
        line = EditableLine(text)
    }

    /// The text typed; setting it puts the cursor at its end.
    var text: String {
        get { line.text }
        set { line = EditableLine(newValue) }
    }

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
    /// Forms that pick from the project file: its devices or configurations, below the fields
    /// (nil until read).
    var checklist: ProjectChecklist?
    /// What the form picks from the project file, if anything.
    var pick: ProjectPick?
    /// The focus stop with the cursor: the fields in order, with the checklist at `checklistStop`.
    var focusedField = 0
    /// How many of `fields` come after the checklist (a deploy's rollout options, which name the
    /// devices ticked above them).
    var trailingFieldCount = 0
    /// Why the last submit was refused (the registry's words).
    var error: String?

    /// What a form takes from the project file instead of typed text.
    enum ProjectPick: Equatable, Sendable {
        /// Deploy Devices: any number of the file's devices, as `devices`.
        case devices
        /// Deploy to Device: one device, as `device`.
        case device
        /// Build Image, Run VM: one of the file's device configurations, as the submission field
        /// `field`; typed into a field of that name when the file lists none.
        case configuration(field: String)

        var listing: ProjectChecklist.Listing { if case .configuration = self { .configurations } else { .devices } }
    }

    /// The checklist takes the focus: there is one to pick from (a configuration list that
    /// came out empty gives way to a typed field).
    var hasChecklistStop: Bool {
        guard let pick else { return false }
        if case .configuration = pick, let checklist, checklist.entries.isEmpty { return false }
        return true
    }

    /// The focus stop of the checklist: after the leading fields.
    var checklistStop: Int { fields.count - trailingFieldCount }
    /// The focus is on the checklist, not a text field.
    var isChecklistFocused: Bool { hasChecklistStop && focusedField == checklistStop }
    /// The index in `fields` of the focused field; nil on the checklist.
    var focusedFieldIndex: Int? {
        if isChecklistFocused { return nil }
        return hasChecklistStop && focusedField > checklistStop ? focusedField - 1 : focusedField
    }
    /// The focus stop of `fields[index]`.
    func stop(ofField index: Int) -> Int { hasChecklistStop && index >= checklistStop ? index + 1 : index }
    /// Text fields plus the checklist, for Tab.
    var focusStops: Int { fields.count + (hasChecklistStop ? 1 : 0) }

    /// Where keys go: the field being typed into, or the list the form picks from.
    var keyContext: KeyContext {
        guard isChecklistFocused else { return .newTaskForm }
        return pick?.listing == .configurations ? .configurationList : .deviceChecklist
    }

    func value(of name: String) -> String? { fields.first { $0.name == name }?.value }

    /// The submission JSON: `type` plus every field that was filled in, and for forms that pick
    /// from the project file what was picked (deploy forms: with the key, known hosts and
    /// timeout of the project file).
    var submissionJSON: String {
        var object: [String: JSONValue] = ["type": .string(type)]
        for field in fields where !field.value.isEmpty {
            switch field.kind {
            case .text: object[field.name] = .string(field.value)
            case .integer: object[field.name] = Double(field.value).map(JSONValue.number) ?? .string(field.value)
            case .yesNo: if field.value == "yes" { object[field.name] = .bool(true) }
            case .list:
                let items = field.value.split(whereSeparator: { $0 == "," || $0 == " " }).map { JSONValue.string(String($0)) }
                if !items.isEmpty { object[field.name] = .array(items) }
            case .json:
                // The raw-JSON fallback form: the field is the whole submission.
                return field.value
            }
        }
        if let checklist, let pick {
            for (name, value) in checklist.fileFields { object[name] = value }
            switch pick {
            case .devices: object["devices"] = .array(checklist.chosen)
            case .device: if let device = checklist.chosen.first { object["device"] = device }
            case .configuration(let field): if let name = checklist.chosen.first { object[field] = name }
            }
        }
        return JSONValue.object(object).canonicalText()
    }
}

/// One input of the new-task form.
struct FormField: Equatable, Sendable {
    /// `list`: words separated by commas or spaces, sent as an array of strings. `yesNo`: "yes"
    /// or "no" (y, n or Space set it), sent as true, or left out for no.
    enum Kind: Equatable, Sendable { case text, integer, list, json, yesNo }
    /// The submission field name (snake_case, as in Thymis).
    var name: String
    var label: String
    var kind: Kind
    var isRequired: Bool
    /// The value with its cursor.
    var line: EditableLine
    /// What to type, shown while the field is empty.
    var hint: String

    init(name: String, label: String, kind: Kind = .text, isRequired: Bool = true, value: String = "", hint: String = "") {
        self.name = name
        self.label = label
        self.kind = kind
        self.isRequired = isRequired
        line = EditableLine(value)
        self.hint = hint
    }

    /// The value typed; setting it puts the cursor at its end.
    var value: String {
        get { line.text }
        set { line = EditableLine(newValue) }
    }
}

/// A message shown in the footer for a few seconds: the result of an action or why it failed.
struct StatusMessage: Equatable, Sendable {
    var text: String
    var isError: Bool
}
