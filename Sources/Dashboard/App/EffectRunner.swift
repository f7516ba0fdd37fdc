import Foundation
import TaskEngine

/// Carries out what the model asked for (`DashboardEffect`): task actions through the engine
/// connection, reading more of the task list, and the tab effects (search, clipboard, save,
/// pager). It draws nothing; what the model must learn comes back as actions.
final class EffectRunner {
    static let clipboardLimit = 100_000

    /// What came of the effects: actions for the model, and what the loop must do next.
    struct Outcome {
        var actions: [DashboardAction] = []
        var quit = false
        /// The quit keeps this engine's tasks running (the process becomes the background engine).
        var keepsTasksRunning = false
        /// The list was read again: the selected task may be another one.
        var listReloaded = false
    }

    private let terminal: any Terminal
    private let source: TaskListSource
    private let mailbox: Mailbox
    var connection: EngineConnection

    init(terminal: any Terminal, source: TaskListSource, mailbox: Mailbox, connection: EngineConnection) {
        self.terminal = terminal
        self.source = source
        self.mailbox = mailbox
        self.connection = connection
    }

    /// Runs `effects` in order; `document` is the shown tab's document for the tab effects.
    func perform(_ effects: [DashboardEffect], model: DashboardModel, document: (any LogDocument)?) -> Outcome {
        var outcome = Outcome()
        func status(_ text: String, isError: Bool = false) { outcome.actions.append(.showStatus(text, isError: isError)) }
        for effect in effects {
            switch effect {
            case .quit:
                outcome.quit = true
            case .quitKeepingTasks:
                outcome.quit = true
                outcome.keepsTasksRunning = true
            case .cancel(let id):
                connection.cancel(id, mailbox: mailbox)
                status("cancelling…")
            case .retry(let id):
                connection.retry(id, mailbox: mailbox)
            case .submit(let json):
                connection.submit(json, mailbox: mailbox)
                status("submitting…")
            case .loadMoreTasks:
                do { try source.loadMore() } catch { status("\(error)", isError: true) }
                outcome.actions.append(.tasksLoaded(source.snapshot))
            case .reloadTasks:
                source.setFilters(state: model.stateFilter, type: model.typeFilter)
                do { try source.reload() } catch { status("\(error)", isError: true) }
                outcome.actions.append(.tasksLoaded(source.snapshot))
                outcome.listReloaded = true
            case .search(_, let tab, let text, let from, let direction):
                guard let document, tab == model.tab else { break }
                outcome.actions.append(Self.search(document, tab: tab, text: text, from: from, direction: direction))
            case .copy(_, _, let line):
                guard let document else { break }
                let copied = copy(document, line: line)
                status("copied \(copied) bytes (OSC 52: the terminal must allow clipboard writes)")
            case .save(_, _, let path):
                guard let document else { break }
                do {
                    let written = try TabExport.save(document, to: path)
                    status("saved \(written) bytes to \(path)")
                } catch {
                    status("could not save: \(error)", isError: true)
                }
            case .openInPager:
                guard let document else { break }
                do {
                    try TabExport.openInPager(document, terminal: terminal)
                    outcome.actions.append(.clearStatus)
                } catch {
                    status("could not open the pager: \(error)", isError: true)
                }
            }
        }
        return outcome
    }

    /// Looks for `text` and says where it was found, or how far the search got.
    static func search(_ document: any LogDocument, tab: DetailTab, text: String, from: Int, direction: Int) -> DashboardAction {
        let (line, searched) = document.find(text, from: from, direction: direction)
        let message: String
        if let line {
            message = "\"\(text)\" at line \(line + 1)"
        } else if searched < document.lineCount {
            message = "\"\(text)\" not in the \(searched) lines searched; n searches on"
        } else {
            message = "\"\(text)\" not found"
        }
        return .searchFinished(tab, line: line, message: message)
    }

    /// Copies one line (nil: the whole document, up to `clipboardLimit` bytes); returns the bytes copied.
    private func copy(_ document: any LogDocument, line: Int?) -> Int {
        let text: String
        if let line {
            text = document.lines(line..<(line + 1)).first?.plainText ?? ""
        } else {
            text = document.plainText(limitBytes: Self.clipboardLimit)
        }
        let clipped = text.utf8.count > Self.clipboardLimit
            ? String(decoding: Array(text.utf8.prefix(Self.clipboardLimit)), as: UTF8.self) : text
        terminal.copyToClipboard(clipped)
        return clipped.utf8.count
    }
}
