// Colours as terminals know them, and how to bring 24-bit or 256-colour values down to
// what a given terminal has.

/// One of the eight ANSI colours, numbered as in SGR 30-37.
enum BasicColor: UInt8, Hashable, Sendable, CaseIterable {
    case black = 0, red, green, yellow, blue, magenta, cyan, white
}

/// A foreground or background colour: the terminal's default, one of the 8 basic colours,
/// their bright variants, or an index into the xterm 256-colour palette.
enum TerminalColor: Hashable, Sendable {
    case `default`
    case basic(BasicColor)
    case bright(BasicColor)
    case indexed(UInt8)

    static let black = TerminalColor.basic(.black)
    static let red = TerminalColor.basic(.red)
    static let green = TerminalColor.basic(.green)
    static let yellow = TerminalColor.basic(.yellow)
    static let blue = TerminalColor.basic(.blue)
    static let magenta = TerminalColor.basic(.magenta)
    static let cyan = TerminalColor.basic(.cyan)
    static let white = TerminalColor.basic(.white)

    /// The xterm palette index (0-255) this colour stands for; nil for the default colour.
    var paletteIndex: Int? {
        switch self {
        case .default: nil
        case .basic(let c): Int(c.rawValue)
        case .bright(let c): Int(c.rawValue) + 8
        case .indexed(let i): Int(i)
        }
    }

    /// The nearest xterm 256-palette colour to a 24-bit colour (the 6x6x6 cube or the grey ramp).
    static func nearest(red: Int, green: Int, blue: Int) -> TerminalColor {
        let levels = [0, 95, 135, 175, 215, 255]
        func cubeStep(_ v: Int) -> Int {
            var best = 0
            for i in 1..<levels.count where abs(levels[i] - v) < abs(levels[best] - v) { best = i }
            return best
        }
        let (r, g, b) = (cubeStep(red), cubeStep(green), cubeStep(blue))
        let cube = (levels[r], levels[g], levels[b])
        let average = (red + green + blue) / 3
        let greyStep = max(0, min(23, (average - 3) / 10))
        let grey = 8 + 10 * greyStep
        let cubeDistance = distance((red, green, blue), cube)
        let greyDistance = distance((red, green, blue), (grey, grey, grey))
        if greyDistance < cubeDistance { return .indexed(UInt8(232 + greyStep)) }
        return .indexed(UInt8(16 + 36 * r + 6 * g + b))
    }

    /// The xterm palette as RGB, for approximating on terminals with fewer colours.
    static func rgb(ofPaletteIndex index: Int) -> (Int, Int, Int) {
        let system: [(Int, Int, Int)] = [
            (0, 0, 0), (205, 0, 0), (0, 205, 0), (205, 205, 0),
            (0, 0, 238), (205, 0, 205), (0, 205, 205), (229, 229, 229),
            (127, 127, 127), (255, 0, 0), (0, 255, 0), (255, 255, 0),
            (92, 92, 255), (255, 0, 255), (0, 255, 255), (255, 255, 255),
        ]
        if index < 16 { return system[max(0, index)] }
        if index >= 232 { let v = 8 + 10 * (index - 232); return (v, v, v) }
        let levels = [0, 95, 135, 175, 215, 255]
        let n = index - 16
        return (levels[n / 36], levels[(n / 6) % 6], levels[n % 6])
    }

    /// The palette index to use on a terminal with `colorCount` colours (8, 16, 88, 256, ...):
    /// the colour itself when it exists there, otherwise the nearest of the first 8 or 16.
    func paletteIndex(forColorCount colorCount: Int) -> Int? {
        guard let index = paletteIndex else { return nil }
        if index < colorCount { return index }
        if index < 16 && colorCount >= 8 { return index - 8 }  // bright -> basic
        let available = colorCount >= 16 ? 16 : 8
        let target = Self.rgb(ofPaletteIndex: index)
        var best = 0
        var bestDistance = Int.max
        for candidate in 0..<available {
            let d = Self.distance(target, Self.rgb(ofPaletteIndex: candidate))
            if d < bestDistance { best = candidate; bestDistance = d }
        }
        return best
    }

    private static func distance(_ a: (Int, Int, Int), _ b: (Int, Int, Int)) -> Int {
        let (dr, dg, db) = (a.0 - b.0, a.1 - b.1, a.2 - b.2)
        return dr * dr + dg * dg + db * db
    }
}
