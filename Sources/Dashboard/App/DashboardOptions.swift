/// How the dashboard was started: the command-line flags of `thymis-tasks dashboard`.
public struct DashboardOptions: Sendable {
    /// Hide every action that changes tasks or writes files (cancel, retry, new, save); never
    /// take the engine.
    public var readOnly: Bool
    /// ASCII glyphs even under a UTF-8 locale.
    public var ascii: Bool
    /// False for `--no-color` (`NO_COLOR` is honoured by the terminal as well).
    public var color: Bool
    /// Report clicks and the wheel.
    public var mouse: Bool
    /// How a long task's end is told to the terminal (`--notify`).
    public var notify: NotifyMode
    /// Called once the dashboard quit with "keep running" and let go of the terminal (the CLI's
    /// terminal front then exits, giving the shell its prompt back).
    public var onDetach: (@Sendable () -> Void)?

    public init(readOnly: Bool = false, ascii: Bool = false, color: Bool = true, mouse: Bool = false, notify: NotifyMode = .bell) {
        self.notify = notify
        self.readOnly = readOnly
        self.ascii = ascii
        self.color = color
        self.mouse = mouse
    }
}
