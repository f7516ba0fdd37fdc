/// Colour pairs for ncurses, allocated the first time a (foreground, background) combination is
/// drawn and cached, within the terminal's COLOR_PAIRS limit.
struct ColorPairTable {
    /// Palette index per colour, -1 for the terminal's default.
    private struct Key: Hashable { var foreground: Int16; var background: Int16 }

    let colorCount: Int
    let pairLimit: Int
    let hasDefaultColors: Bool
    private var pairs: [Key: Int16] = [:]
    private var nextPair: Int16 = 1
    private let initPair: (Int16, Int16, Int16) -> Bool

    /// `initPair(pair, fg, bg)` defines a pair (ncurses `init_pair`).
    init(colorCount: Int, pairLimit: Int, hasDefaultColors: Bool, initPair: @escaping (Int16, Int16, Int16) -> Bool) {
        self.colorCount = colorCount
        self.pairLimit = min(pairLimit, Int(Int16.max))
        self.hasDefaultColors = hasDefaultColors
        self.initPair = initPair
    }

    /// The pair for a style's colours: 0 (the default pair) for default on default, a new or
    /// cached pair otherwise; when pairs run out, the nearest existing pair with the same
    /// foreground, else 0.
    mutating func pair(foreground: TerminalColor, background: TerminalColor) -> Int16 {
        let key = Key(foreground: index(foreground, isForeground: true), background: index(background, isForeground: false))
        if key.foreground == -1 && key.background == -1 { return 0 }
        if let pair = pairs[key] { return pair }
        guard Int(nextPair) < pairLimit, initPair(nextPair, key.foreground, key.background) else {
            return pairs.first(where: { $0.key.foreground == key.foreground })?.value ?? 0
        }
        let pair = nextPair
        pairs[key] = pair
        nextPair += 1
        return pair
    }

    private func index(_ color: TerminalColor, isForeground: Bool) -> Int16 {
        if let index = color.paletteIndex(forColorCount: colorCount) { return Int16(index) }
        if hasDefaultColors { return -1 }
        return isForeground ? 7 : 0  // no "default" colour on this terminal: white on black
    }
}
