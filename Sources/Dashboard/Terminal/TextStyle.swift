/// How a piece of text looks: colours and the attributes every terminal we target can show.
struct TextStyle: Hashable, Sendable {
    var foreground: TerminalColor = .default
    var background: TerminalColor = .default
    var bold = false
    var dim = false
    var italic = false
    var underline = false
    var reverse = false

    /// Default colours, no attributes.
    static let plain = TextStyle()

    /// The style the sanitizer gives to escapes and control characters it shows in place of
    /// the raw bytes, so a user can tell they were there and were not printed by the program.
    static let visibleControl = TextStyle(reverse: true)

    /// This style with reverse video flipped: how the terminals mark a control character that
    /// reached `draw` unsanitized.
    var reverseToggled: TextStyle {
        var style = self
        style.reverse.toggle()
        return style
    }
}

/// A piece of text drawn in one style.
struct StyledRun: Hashable, Sendable {
    var text: String
    var style: TextStyle
    /// A key hint for the screen ("d: open each derivation's log"): drawn, but left out of what is
    /// saved, copied or searched, which is the task's text, not the dashboard's.
    var isKeyHint = false

    init(_ text: String, _ style: TextStyle = .plain, isKeyHint: Bool = false) {
        self.text = text
        self.style = style
        self.isKeyHint = isKeyHint
    }
}
