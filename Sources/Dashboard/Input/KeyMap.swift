/// The one table of keys: what each key does in which pane. The footer hints and the help
/// screen are generated from it, so they cannot disagree with what the keys really do.
/// Where keys go: the focused pane, or the dialog that is open.
enum KeyContext: Hashable, Sendable, CaseIterable {
    case list, detail
    case help, confirmCancel, confirmQuit, newTaskMenu, newTaskForm, prompt, reportSaved
    /// Deploy a plan's systems?
    case confirmDeployPlan
    /// Start a pending task now, past its pool's limit?
    case confirmRunNow
    /// A deploy form with the cursor on its device checklist (letters tick, not type).
    case deviceChecklist
    /// A Build Image or Run VM form on its list of the project's configurations.
    case configurationList
}

/// The one table of keys: what each key does in the panes and in every dialog. The footer
/// hints, the dialogs' key lines and the help screen are generated from it, so they cannot
/// disagree with what the keys really do.
struct KeyMap: Sendable {
    /// Where a binding works.
    enum Scope: Hashable, Sendable {
        case list, detail, everywhere
        case help, confirmCancel, confirmQuit, newTaskMenu, newTaskForm, prompt, deviceChecklist, configurationList, reportSaved
        case confirmDeployPlan, confirmRunNow
        /// Both text inputs: the new-task form and the prompts.
        case typing

        func includes(_ context: KeyContext) -> Bool {
            switch self {
            case .everywhere: context == .list || context == .detail
            case .typing: context == .newTaskForm || context == .prompt
            case .list: context == .list
            case .detail: context == .detail
            case .help: context == .help
            case .confirmCancel: context == .confirmCancel
            case .confirmDeployPlan: context == .confirmDeployPlan
            case .confirmRunNow: context == .confirmRunNow
            case .confirmQuit: context == .confirmQuit
            case .newTaskMenu: context == .newTaskMenu
            case .newTaskForm: context == .newTaskForm || context == .deviceChecklist || context == .configurationList
            case .deviceChecklist: context == .deviceChecklist
            case .configurationList: context == .configurationList
            case .prompt: context == .prompt
            case .reportSaved: context == .reportSaved
            }
        }

        /// The heading of this scope's keys in help.
        var title: String {
            switch self {
            case .everywhere: "Everywhere"
            case .list: "Task list"
            case .detail: "Detail pane (text tabs)"
            case .help: "In this help"
            case .confirmCancel: "Cancel dialog"
            case .confirmDeployPlan: "Deploy-the-plan dialog"
            case .confirmRunNow: "Run-now dialog"
            case .confirmQuit: "Quit dialog"
            case .newTaskMenu: "New-task menu"
            case .newTaskForm: "New-task form"
            case .deviceChecklist: "Deploy form: device list"
            case .configurationList: "Build Image / Run VM form: configuration list"
            case .prompt: "Search, filter and file-name prompts"
            case .reportSaved: "Report saved"
            case .typing: "Typing (form and prompts)"
            }
        }

        /// The order of help's sections.
        static let helpOrder: [Scope] = [.everywhere, .list, .detail, .help, .confirmCancel, .confirmDeployPlan, .confirmRunNow, .confirmQuit,
                                         .newTaskMenu, .newTaskForm, .deviceChecklist, .configurationList, .prompt, .reportSaved, .typing]
    }

    struct Binding: Sendable {
        var keys: [InputEvent]
        /// How the keys are written in help and footer, e.g. "j/↓".
        var label: String
        var action: DashboardAction
        var scope: Scope
        var description: String
        /// Changes tasks or writes files: hidden with `--read-only`.
        var isTaskAction = false
        /// Short form for the footer; nil keeps it out of the footer.
        var footer: String?
        /// Any printable character, typed into the field (the action is `.type` of it).
        var typesCharacters = false
    }

    let bindings: [Binding]

    /// The bindings that work with `readOnly` (task actions left out).
    init(readOnly: Bool = false) {
        bindings = Self.all.filter { !readOnly || !$0.isTaskAction }
    }

    /// The action for `event` in `context`, if a key is bound to it there (the first binding wins).
    func action(for event: InputEvent, in context: KeyContext) -> DashboardAction? {
        for binding in bindings where binding.scope.includes(context) {
            if binding.keys.contains(event) { return binding.action }
            if binding.typesCharacters, case .character(let c) = event { return .type(c) }
        }
        return nil
    }

    /// The footer hints for `context`, in table order.
    func footerHints(for context: KeyContext) -> [(keys: String, text: String)] {
        bindings.compactMap { binding in
            guard binding.scope.includes(context), let text = binding.footer else { return nil }
            return (binding.label, text)
        }
    }

    private static func char(_ c: Character) -> InputEvent { .character(c) }

    // swift-format-ignore
    static let all: [Binding] = [
        Binding(keys: [char("j"), .key(.down)], label: "j/↓", action: .moveSelection(1), scope: .list, description: "select the next task", footer: "move"),
        Binding(keys: [char("k"), .key(.up)], label: "k/↑", action: .moveSelection(-1), scope: .list, description: "select the previous task"),
        Binding(keys: [char("j"), .key(.down)], label: "j/↓", action: .scroll(1), scope: .detail, description: "scroll down a line", footer: "scroll"),
        Binding(keys: [char("k"), .key(.up)], label: "k/↑", action: .scroll(-1), scope: .detail, description: "scroll up a line (pauses follow)"),
        Binding(keys: [.key(.pageDown)], label: "PgDn", action: .page(1), scope: .everywhere, description: "a page down"),
        Binding(keys: [.key(.pageUp)], label: "PgUp", action: .page(-1), scope: .everywhere, description: "a page up"),
        Binding(keys: [.ctrl("d")], label: "Ctrl-d", action: .page(0.5), scope: .everywhere, description: "half a page down"),
        Binding(keys: [.ctrl("u")], label: "Ctrl-u", action: .page(-0.5), scope: .everywhere, description: "half a page up"),
        Binding(keys: [char("g"), .key(.home)], label: "g/Home", action: .selectFirst, scope: .list, description: "select the newest task"),
        Binding(keys: [char("G"), .key(.end)], label: "G/End", action: .selectLast, scope: .list, description: "select the oldest task"),
        Binding(keys: [char("g"), .key(.home)], label: "g/Home", action: .scrollToStart, scope: .detail, description: "go to the first line"),
        Binding(keys: [char("G"), .key(.end)], label: "G/End", action: .scrollToEnd, scope: .detail, description: "go to the last line and follow new output", footer: "follow"),
        Binding(keys: [char("0")], label: "0", action: .scrollToLineStart, scope: .detail, description: "scroll to the first column"),
        Binding(keys: [char("$")], label: "$", action: .scrollToLineEnd, scope: .detail, description: "scroll to the end of the longest line on screen"),
        Binding(keys: [.key(.left), char("h")], label: "h/←", action: .scrollHorizontally(-8), scope: .detail, description: "scroll left"),
        Binding(keys: [.key(.right), char("l")], label: "l/→", action: .scrollHorizontally(8), scope: .detail, description: "scroll right"),
        Binding(keys: [.key(.tab)], label: "Tab", action: .switchFocus, scope: .everywhere, description: "switch focus between list and detail", footer: "focus"),
        Binding(keys: [.key(.enter)], label: "Enter", action: .focusDetail, scope: .list, description: "show the selected task in the detail pane"),
        Binding(keys: [.key(.escape)], label: "Esc", action: .back, scope: .everywhere, description: "go back; cancel a running search; close a build log; clear the search or filter"),
        Binding(keys: [char("]")], label: "]", action: .nextTab, scope: .everywhere, description: "next tab", footer: "tabs"),
        Binding(keys: [char("[")], label: "[", action: .previousTab, scope: .everywhere, description: "previous tab"),
        Binding(keys: [char("1")], label: "1", action: .selectTab(.submission), scope: .everywhere, description: "Submission tab"),
        Binding(keys: [char("2")], label: "2", action: .selectTab(.process), scope: .everywhere, description: "Process tab"),
        Binding(keys: [char("3")], label: "3", action: .selectTab(.nix), scope: .everywhere, description: "Nix tab"),
        Binding(keys: [char("4")], label: "4", action: .selectTab(.stdout), scope: .everywhere, description: "stdout tab"),
        Binding(keys: [char("5")], label: "5", action: .selectTab(.stderr), scope: .everywhere, description: "stderr tab"),
        Binding(keys: [char("6")], label: "6", action: .selectTab(.plan), scope: .everywhere, description: "Plan tab: what a Plan Deploy found a deploy would change"),
        Binding(keys: [char("w")], label: "w", action: .toggleWrap, scope: .everywhere, description: "wrap long lines on/off", footer: "wrap"),
        Binding(keys: [char("t")], label: "t", action: .toggleLineTimes, scope: .detail, description: "show each line's arrival time (HH:MM:SS.mmm) on/off", footer: "times"),
        Binding(keys: [char("p")], label: "p", action: .nextProcess, scope: .everywhere, description: "next process of the task (Process, Nix, stdout, stderr)"),
        Binding(keys: [char("d")], label: "d", action: .nextBuildLog, scope: .everywhere, description: "Nix tab: next derivation's build log (Esc: summary)"),
        Binding(keys: [char("E")], label: "E", action: .jumpToNixSection(.errors), scope: .everywhere, description: "Nix tab: errors"),
        Binding(keys: [char("W")], label: "W", action: .jumpToNixSection(.warnings), scope: .everywhere, description: "Nix tab: warnings"),
        Binding(keys: [char("O")], label: "O", action: .jumpToNixSection(.notices), scope: .everywhere, description: "Nix tab: notices"),
        Binding(keys: [char("I")], label: "I", action: .jumpToNixSection(.info), scope: .everywhere, description: "Nix tab: info"),
        Binding(keys: [char("B")], label: "B", action: .jumpToNixSection(.buildLog), scope: .everywhere, description: "Nix tab: build log per derivation"),
        Binding(keys: [char("/")], label: "/", action: .startSearch, scope: .detail, description: "search the tab", footer: "search"),
        Binding(keys: [char("n")], label: "n", action: .searchNext, scope: .detail, description: "next match"),
        Binding(keys: [char("N")], label: "N", action: .searchPrevious, scope: .detail, description: "previous match"),
        Binding(keys: [char("/")], label: "/", action: .startListFilter, scope: .list, description: "filter tasks by text", footer: "filter"),
        Binding(keys: [char("s")], label: "s", action: .cycleStateFilter, scope: .list, description: "cycle the state filter", footer: "state"),
        Binding(keys: [char("t")], label: "t", action: .cycleTypeFilter, scope: .list, description: "cycle the type filter"),
        Binding(keys: [char(" ")], label: "Space", action: .toggleFold, scope: .list, description: "fold/unfold a parent's children"),
        Binding(keys: [char("c")], label: "c", action: .requestCancel, scope: .everywhere, description: "cancel the selected task (asks first)", isTaskAction: true, footer: "cancel"),
        Binding(keys: [char("r")], label: "r", action: .retry, scope: .everywhere, description: "retry the selected task", isTaskAction: true, footer: "retry"),
        Binding(keys: [char("!")], label: "!", action: .requestRunNow, scope: .everywhere, description: "start the selected pending task now, past its pool's limit (asks first)", isTaskAction: true),
        Binding(keys: [char("n")], label: "n", action: .openNewTaskMenu, scope: .list, description: "submit a new task", isTaskAction: true, footer: "new"),
        Binding(keys: [char("D")], label: "D", action: .requestDeployPlan, scope: .everywhere, description: "deploy the selected plan: exactly its systems to its devices at its commit (asks first)", isTaskAction: true),
        Binding(keys: [char("S")], label: "S", action: .saveTab, scope: .everywhere, description: "save the current tab to a file", isTaskAction: true),
        Binding(keys: [char("o")], label: "o", action: .openInPager, scope: .everywhere, description: "open the current tab in $PAGER"),
        Binding(keys: [char("y")], label: "y", action: .copyLine, scope: .everywhere, description: "copy the current line (match or top line) via OSC 52"),
        Binding(keys: [char("Y")], label: "Y", action: .copyTab, scope: .everywhere, description: "copy the whole tab via OSC 52"),
        Binding(keys: [char("R")], label: "R", action: .writeReport, scope: .everywhere, description: "write the task's Markdown report (cause, commands, failing log; secrets redacted) under the state directory, then offer to copy it", footer: "report"),
        Binding(keys: [char("?"), .key(.function(1))], label: "?", action: .showHelp, scope: .everywhere, description: "this help", footer: "help"),
        Binding(keys: [char("q"), .ctrl("c")], label: "q/Ctrl-c", action: .quit, scope: .everywhere, description: "quit (asks when tasks run in this engine)", footer: "quit"),

        Binding(keys: [char("j"), .key(.down)], label: "j/↓", action: .dialogMove(1), scope: .help, description: "scroll down a line"),
        Binding(keys: [char("k"), .key(.up)], label: "k/↑", action: .dialogMove(-1), scope: .help, description: "scroll up a line"),
        Binding(keys: [.key(.pageDown), .ctrl("d")], label: "PgDn/Ctrl-d", action: .dialogPage(1), scope: .help, description: "a page down"),
        Binding(keys: [.key(.pageUp), .ctrl("u")], label: "PgUp/Ctrl-u", action: .dialogPage(-1), scope: .help, description: "a page up"),
        Binding(keys: [.key(.escape), char("q"), char("?"), .key(.enter)], label: "Esc/q/?/Enter", action: .closeDialog, scope: .help, description: "close the help", footer: "closes"),
        Binding(keys: [.ctrl("c")], label: "Ctrl-c", action: .quit, scope: .help, description: "quit (asks when tasks run in this engine)"),

        Binding(keys: [char("y"), char("Y"), .key(.enter)], label: "y/Y/Enter", action: .confirmDialog, scope: .confirmCancel, description: "cancel the task and its children", footer: "cancel it"),
        Binding(keys: [char("n"), char("N"), .key(.escape), char("q")], label: "n/N/Esc/q", action: .closeDialog, scope: .confirmCancel, description: "keep it running", footer: "keep it running"),
        Binding(keys: [char("y"), char("Y"), .key(.enter)], label: "y/Y/Enter", action: .confirmDialog, scope: .confirmRunNow, description: "start it now, past its pool's limit", footer: "run it now"),
        Binding(keys: [char("n"), char("N"), .key(.escape), char("q")], label: "n/N/Esc/q", action: .closeDialog, scope: .confirmRunNow, description: "let it wait for its turn", footer: "let it wait"),
        Binding(keys: [char("y"), char("Y"), .key(.enter)], label: "y/Y/Enter", action: .confirmDialog, scope: .confirmDeployPlan, description: "submit the deploy", footer: "deploy"),
        Binding(keys: [char("n"), char("N"), .key(.escape), char("q")], label: "n/N/Esc/q", action: .closeDialog, scope: .confirmDeployPlan, description: "do not deploy", footer: "not now"),

        Binding(keys: [char("s"), char("S"), char("y"), char("Y"), .key(.enter), .ctrl("c")], label: "s/y/Enter/Ctrl-c", action: .confirmDialog, scope: .confirmQuit, description: "quit, stopping the tasks this engine runs (recorded as cancelled)", footer: "stop"),
        Binding(keys: [char("k"), char("K")], label: "k/K", action: .keepTasksRunning, scope: .confirmQuit, description: "quit, keeping the tasks running in the background (the shell's prompt is back; the engine stays until idle)", footer: "keep running"),
        Binding(keys: [char("n"), char("N"), .key(.escape), char("q")], label: "n/N/Esc/q", action: .closeDialog, scope: .confirmQuit, description: "stay", footer: "stay"),

        Binding(keys: [char("c"), char("y"), char("Y"), .key(.enter)], label: "c/y/Enter", action: .confirmDialog, scope: .reportSaved, description: "copy the report to the clipboard via OSC 52", footer: "copy it"),
        Binding(keys: [char("n"), char("N"), .key(.escape), char("q")], label: "n/Esc/q", action: .closeDialog, scope: .reportSaved, description: "close (the file stays)", footer: "close"),

        Binding(keys: [char("j"), .key(.down)], label: "j/↓", action: .dialogMove(1), scope: .newTaskMenu, description: "next task type"),
        Binding(keys: [char("k"), .key(.up)], label: "k/↑", action: .dialogMove(-1), scope: .newTaskMenu, description: "previous task type"),
        Binding(keys: [.key(.enter)], label: "Enter", action: .confirmDialog, scope: .newTaskMenu, description: "open the form of the task type", footer: "choose"),
        Binding(keys: [.key(.escape), char("q")], label: "Esc/q", action: .closeDialog, scope: .newTaskMenu, description: "close the menu", footer: "close"),

        // Before the form's keys: in the device list, ↓/↑ move in the list and letters tick.
        Binding(keys: [char("j"), .key(.down)], label: "j/↓", action: .dialogMove(1), scope: .deviceChecklist, description: "next device"),
        Binding(keys: [char("k"), .key(.up)], label: "k/↑", action: .dialogMove(-1), scope: .deviceChecklist, description: "previous device (from the first: the project path)"),
        Binding(keys: [char(" ")], label: "Space", action: .toggleChoice, scope: .deviceChecklist, description: "tick or untick the device", footer: "tick"),
        Binding(keys: [char("a")], label: "a", action: .toggleAllChoices, scope: .deviceChecklist, description: "tick all devices (again: none); Deploy Devices only", footer: "all"),
        Binding(keys: [char("j"), .key(.down)], label: "j/↓", action: .dialogMove(1), scope: .configurationList, description: "next configuration", footer: "move"),
        Binding(keys: [char("k"), .key(.up)], label: "k/↑", action: .dialogMove(-1), scope: .configurationList, description: "previous configuration (from the first: the project path)"),
        Binding(keys: [.key(.tab), .key(.down)], label: "Tab/↓", action: .nextField, scope: .newTaskForm, description: "next field", footer: "next field"),
        Binding(keys: [.key(.backTab), .key(.up)], label: "Shift-Tab/↑", action: .previousField, scope: .newTaskForm, description: "previous field"),
        Binding(keys: [.key(.enter)], label: "Enter", action: .confirmDialog, scope: .newTaskForm, description: "submit the task (the registry checks it first)", footer: "submit"),
        Binding(keys: [.key(.escape)], label: "Esc", action: .dialogBack, scope: .newTaskForm, description: "back to the task types", footer: "back"),
        Binding(keys: [.ctrl("c")], label: "Ctrl-c", action: .closeDialog, scope: .newTaskForm, description: "close the form"),

        Binding(keys: [.key(.enter)], label: "Enter", action: .confirmDialog, scope: .prompt, description: "run the search, apply the filter, save the file"),
        Binding(keys: [.key(.up)], label: "↑", action: .dialogMove(-1), scope: .prompt, description: "search prompt: recall the last search"),
        Binding(keys: [.key(.escape), .ctrl("c")], label: "Esc/Ctrl-c", action: .closeDialog, scope: .prompt, description: "close the prompt (the list filter is cleared)"),

        Binding(keys: [.key(.left)], label: "←", action: .moveCursor(.left), scope: .typing, description: "move the cursor a character left"),
        Binding(keys: [.key(.right)], label: "→", action: .moveCursor(.right), scope: .typing, description: "move the cursor a character right"),
        Binding(keys: [.key(.home), .ctrl("a")], label: "Home/Ctrl-a", action: .moveCursor(.start), scope: .typing, description: "move the cursor to the start"),
        Binding(keys: [.key(.end), .ctrl("e")], label: "End/Ctrl-e", action: .moveCursor(.end), scope: .typing, description: "move the cursor to the end"),
        Binding(keys: [.key(.backspace)], label: "Backspace", action: .eraseCharacter, scope: .typing, description: "delete the character before the cursor (in an empty search or filter: close it)"),
        Binding(keys: [.key(.delete)], label: "Delete", action: .eraseForward, scope: .typing, description: "delete the character under the cursor"),
        Binding(keys: [.ctrl("u")], label: "Ctrl-u", action: .clearText, scope: .typing, description: "clear the field or line"),
        Binding(keys: [], label: "text", action: .type(" "), scope: .typing, description: "any other character is typed (filtering as you type)", typesCharacters: true),
    ]
}
