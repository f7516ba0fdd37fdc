import Foundation

/// Everything that changes the dashboard model: what a key asks for, and what the app learned
/// from the engine or the store.
enum DashboardAction: Equatable, Sendable {
    // Moving around
    case moveSelection(Int)
    case selectFirst, selectLast
    /// Pages (1 a full page, 0.5 half a page; negative: up) in the focused pane.
    case page(Double)
    case scroll(Int)
    case scrollHorizontally(Int)
    case scrollToStart, scrollToEnd
    /// `0` / `$`: the first column, or the end of the longest line on screen.
    case scrollToLineStart, scrollToLineEnd
    case switchFocus, focusDetail
    /// Esc: close, clear or go back one step.
    case back
    case nextTab, previousTab
    case selectTab(DetailTab)
    case toggleWrap
    /// `t` in a text tab: each line's arrival time in a gutter on/off (stored output only).
    case toggleLineTimes
    case nextProcess
    case nextBuildLog
    case jumpToNixSection(NixSection)

    // Search and filters
    case startSearch, searchNext, searchPrevious
    case startListFilter
    case cycleStateFilter, cycleTypeFilter
    case toggleFold

    // Actions on tasks (hidden with --read-only)
    case requestCancel, retry, openNewTaskMenu, saveTab, openInPager, copyLine, copyTab
    /// `R`: write the selected task's Markdown report under the state directory.
    case writeReport
    /// `D` on a plan (or one of its devices): deploy exactly what it planned (asks first).
    case requestDeployPlan
    /// Ask to start the selected pending task now, past its pool's limit (`!`).
    case requestRunNow

    case showHelp
    case quit

    // In dialogs (what each key does there is in the key map)
    /// Help: scroll by lines; new-task menu: move the cursor.
    case dialogMove(Int)
    /// Help: scroll by pages.
    case dialogPage(Int)
    /// Yes, choose, submit, run: what Enter does in the open dialog.
    case confirmDialog
    /// The quit dialog: quit, and this process keeps running its engine's tasks in the background.
    case keepTasksRunning
    case closeDialog
    /// The new-task form: back to the menu of task types.
    case dialogBack
    case nextField, previousField
    /// A deploy form's device list: tick the device under the cursor, or all of them.
    case toggleChoice, toggleAllChoices
    /// A character typed into the form or the prompt, at the cursor.
    case type(Character)
    /// Backspace: the character before the cursor.
    case eraseCharacter
    /// Delete: the character under the cursor.
    case eraseForward
    /// The cursor in the field or the prompt: a character left or right, to the start or end.
    case moveCursor(EditableLine.Move)
    case clearText

    // From the app
    case resized(TerminalSize)
    case tasksLoaded(TaskListSnapshot)
    case countsLoaded(TaskCounts)
    /// What the detail loader read of the selected task, given before a frame is drawn.
    case detailLoaded(DetailFacts)
    /// A search ended: the line found (nil: none) and the column the match starts at.
    case searchFinished(DetailTab, line: Int?, column: Int = 0, message: String?)
    /// A search running in the background has read `percent` of the log.
    case searchProgress(DetailTab, percent: Int)
    /// The widest line (in columns) the last frame showed of `tab`: the limit of horizontal scroll.
    case measured(DetailTab, longestLine: Int)
    /// The submission that deploys plan `plan` is ready (`summary` says what it does): ask to submit it.
    case planDeploymentReady(plan: UUID, json: String, summary: String)
    /// The report was written to `path` (`bytes` long): offer to copy it.
    case reportWritten(path: String, bytes: Int)
    case showStatus(String, isError: Bool)
    case clearStatus
    /// The header's "task ended" notice has been shown long enough.
    case clearEndNotice
}

/// What the model asks the app to do; the app does it and reports back with an action.
enum DashboardEffect: Equatable, Sendable {
    case cancel(UUID)
    case retry(UUID)
    /// Start this pending task now, past its pool's limit (recorded with who asked).
    case runNow(UUID)
    /// Submit this JSON (already checked by the registry).
    case submit(String)
    /// Remember these form values (project path, task type) for the next form, in the state directory.
    case rememberFormValues([String: String])
    /// Write the document of `tab` of `task` to a file.
    case save(task: UUID, tab: DetailTab, path: String)
    case openInPager(task: UUID, tab: DetailTab)
    /// Copy line `line` of `tab` (nil: the whole tab) to the clipboard (OSC 52).
    case copy(task: UUID, tab: DetailTab, line: Int?)
    /// Write the Markdown report of a task under the state directory (`thymis-tasks report`'s text).
    case writeReport(UUID)
    /// Build the deploy of plan `UUID` (reads the project's HEAD), answering `.planDeploymentReady` or a status.
    case prepareDeployFromPlan(UUID)
    /// Copy the file at `path` (a report just written) to the clipboard (OSC 52).
    case copyFile(path: String)
    /// Tell the terminal a long task ended (bell or desktop notification, as `--notify` says).
    case alert(TaskEndNotice)
    /// Look for `text` in `tab` from line `from` in `direction` (+1 down, -1 up), wrapping around.
    case search(task: UUID, tab: DetailTab, text: String, from: Int, direction: Int)
    /// Stop the search running in the background (Esc while it runs).
    case cancelSearch
    /// Read more (older) tasks for the list.
    case loadMoreTasks
    /// Read every task the list's filters match (G: the oldest task is at the end of all of them).
    case loadAllTasks
    /// The list query (state or type filter) changed: read the list again.
    case reloadTasks
    case quit
    /// Quit, but this process keeps running its engine in the background until idle (issue 11).
    case quitKeepingTasks
}
