import Foundation

/// What `--notify` asks for when a long task ends while the dashboard is open.
public enum NotifyMode: String, CaseIterable, Sendable {
    /// The terminal bell, for failed tasks only (the default: a success needs no interruption).
    case bell
    /// A desktop notification (OSC 9 / OSC 777) for every long task that completed or failed.
    case osc
    case off
}

/// Tells the terminal that a long task ended, as `NotifyMode` says, never more than once a second
/// (a burst of endings gives one alert, not a storm of bells).
struct TaskEndAlerter {
    static let minimumInterval: Duration = .seconds(1)

    let mode: NotifyMode
    private var lastAlert: ContinuousClock.Instant?

    init(mode: NotifyMode) { self.mode = mode }

    /// The alert for `notice` now, or nil (mode off, not wanted for this outcome, or too soon).
    mutating func alert(for notice: TaskEndNotice, now: ContinuousClock.Instant = .now) -> TerminalAlert? {
        let alert: TerminalAlert
        switch mode {
        case .off: return nil
        case .bell:
            guard notice.failed else { return nil }
            alert = .bell
        case .osc:
            guard notice.state == .completed || notice.failed else { return nil }
            alert = .desktop(title: "thymis-tasks", body: notice.headline)
        }
        if let lastAlert, now - lastAlert < Self.minimumInterval { return nil }
        lastAlert = now
        return alert
    }
}
