/// The one table of keys: what each key does in which pane. The footer hints and the help
/// screen are generated from it, so they cannot disagree with what the keys really do.
struct KeyMap: Sendable {
    /// Where a binding works.
    enum Scope: Hashable, Sendable {
        case list, detail, everywhere

        func includes(_ focus: Focus) -> Bool {
            switch self {
            case .everywhere: true
            case .list: focus == .list
            case .detail: focus == .detail
            }
        }
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
    }

    let bindings: [Binding]

    /// The bindings that work with `readOnly` (task actions left out).
    init(readOnly: Bool = false) {
        bindings = Self.all.filter { !readOnly || !$0.isTaskAction }
    }

    /// The action for `event` in `focus`, if a key is bound to it there.
    func action(for event: InputEvent, focus: Focus) -> DashboardAction? {
        for binding in bindings where binding.scope.includes(focus) && binding.keys.contains(event) {
            return binding.action
        }
        return nil
    }

    /// The footer hints for `focus`, in table order.
    func footerHints(for focus: Focus) -> [(keys: String, text: String)] {
        bindings.compactMap { binding in
            guard binding.scope.includes(focus), let text = binding.footer else { return nil }
            return (binding.label, text)
        }
    }

    /// Keys that work inside dialogs; listed in help (handled by the model directly).
    static let dialogKeys: [(keys: String, text: String)] = [
        ("y/Enter", "confirm (cancel a task, quit)"),
        ("n/Esc", "keep going: close the dialog"),
        ("Tab/↓ ↑", "next/previous field of the new-task form"),
        ("Enter", "submit the form, run the search, apply the filter"),
        ("Esc", "close the dialog or prompt"),
    ]

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
        Binding(keys: [.key(.left), char("h")], label: "h/←", action: .scrollHorizontally(-8), scope: .detail, description: "scroll left"),
        Binding(keys: [.key(.right), char("l")], label: "l/→", action: .scrollHorizontally(8), scope: .detail, description: "scroll right"),
        Binding(keys: [.key(.tab)], label: "Tab", action: .switchFocus, scope: .everywhere, description: "switch focus between list and detail", footer: "focus"),
        Binding(keys: [.key(.enter)], label: "Enter", action: .focusDetail, scope: .list, description: "show the selected task in the detail pane"),
        Binding(keys: [.key(.escape)], label: "Esc", action: .back, scope: .everywhere, description: "go back; clear the search or filter"),
        Binding(keys: [char("]")], label: "]", action: .nextTab, scope: .everywhere, description: "next tab", footer: "tabs"),
        Binding(keys: [char("[")], label: "[", action: .previousTab, scope: .everywhere, description: "previous tab"),
        Binding(keys: [char("1")], label: "1", action: .selectTab(.submission), scope: .everywhere, description: "Submission tab"),
        Binding(keys: [char("2")], label: "2", action: .selectTab(.process), scope: .everywhere, description: "Process tab"),
        Binding(keys: [char("3")], label: "3", action: .selectTab(.nix), scope: .everywhere, description: "Nix tab"),
        Binding(keys: [char("4")], label: "4", action: .selectTab(.stdout), scope: .everywhere, description: "stdout tab"),
        Binding(keys: [char("5")], label: "5", action: .selectTab(.stderr), scope: .everywhere, description: "stderr tab"),
        Binding(keys: [char("w")], label: "w", action: .toggleWrap, scope: .everywhere, description: "wrap long lines on/off", footer: "wrap"),
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
        Binding(keys: [char("n")], label: "n", action: .openNewTaskMenu, scope: .list, description: "submit a new task", isTaskAction: true, footer: "new"),
        Binding(keys: [char("S")], label: "S", action: .saveTab, scope: .everywhere, description: "save the current tab to a file", isTaskAction: true),
        Binding(keys: [char("o")], label: "o", action: .openInPager, scope: .everywhere, description: "open the current tab in $PAGER"),
        Binding(keys: [char("y")], label: "y", action: .copyLine, scope: .everywhere, description: "copy the current line (match or top line) via OSC 52"),
        Binding(keys: [char("Y")], label: "Y", action: .copyTab, scope: .everywhere, description: "copy the whole tab via OSC 52"),
        Binding(keys: [char("?"), .key(.function(1))], label: "?", action: .showHelp, scope: .everywhere, description: "this help", footer: "help"),
        Binding(keys: [char("q"), .ctrl("c")], label: "q/Ctrl-c", action: .quit, scope: .everywhere, description: "quit (asks when tasks run in this engine)", footer: "quit"),
    ]
}
