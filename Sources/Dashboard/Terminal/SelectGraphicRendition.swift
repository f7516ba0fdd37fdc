/// The parameters of one `ESC [ ... m` sequence and how they change a style.
///
/// Parameters are kept up to a fixed count (`capacity`) and each value saturates, so a
/// sequence with a million parameters costs no memory and cannot overflow; the excess is
/// ignored.
struct SelectGraphicRendition {
    static let capacity = 64
    private static let maxValue = 100_000

    /// A parameter, and whether a `:` (a sub-parameter, as in `38:2::r:g:b`) came before it.
    private struct Parameter {
        var value: Int?      // nil: empty, meaning the default (0)
        var isSub: Bool
    }

    private var parameters: [Parameter] = []
    private var current: Parameter? = Parameter(value: nil, isSub: false)

    /// Feeds one parameter byte (`0`-`9`, `;`, `:`).
    mutating func feed(_ byte: UInt8) {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"):
            guard var parameter = current else { return }
            parameter.value = min(Self.maxValue, (parameter.value ?? 0) * 10 + Int(byte - UInt8(ascii: "0")))
            current = parameter
        case UInt8(ascii: ";"), UInt8(ascii: ":"):
            finishParameter()
            current = parameters.count < Self.capacity ? Parameter(value: nil, isSub: byte == UInt8(ascii: ":")) : nil
        default:
            break
        }
    }

    private mutating func finishParameter() {
        if let current, parameters.count < Self.capacity { parameters.append(current) }
        current = nil
    }

    /// Applies the sequence to `style`.
    mutating func apply(to style: inout TextStyle) {
        finishParameter()
        var index = 0
        while index < parameters.count {
            let code = parameters[index].value ?? 0
            index += 1
            var subs: [Int?] = []
            while index < parameters.count && parameters[index].isSub {
                subs.append(parameters[index].value)
                index += 1
            }
            switch code {
            case 0: style = .plain
            case 1: style.bold = true
            case 2: style.dim = true
            case 3: style.italic = true
            case 4: style.underline = (subs.first ?? 1) != 0
            case 7: style.reverse = true
            case 21: style.underline = true
            case 22: style.bold = false; style.dim = false
            case 23: style.italic = false
            case 24: style.underline = false
            case 27: style.reverse = false
            case 30...37: style.foreground = .basic(BasicColor(rawValue: UInt8(code - 30))!)
            case 39: style.foreground = .default
            case 40...47: style.background = .basic(BasicColor(rawValue: UInt8(code - 40))!)
            case 49: style.background = .default
            case 90...97: style.foreground = .bright(BasicColor(rawValue: UInt8(code - 90))!)
            case 100...107: style.background = .bright(BasicColor(rawValue: UInt8(code - 100))!)
            case 38, 48, 58:
                let color: TerminalColor?
                if !subs.isEmpty {
                    color = Self.extendedColor(subs)
                } else {
                    let rest = parameters[index...].prefix(while: { !$0.isSub }).map(\.value)
                    let (parsed, consumed) = Self.extendedColorPrefix(Array(rest.prefix(5)))
                    color = parsed
                    index += consumed
                }
                if let color, code == 38 { style.foreground = color }
                if let color, code == 48 { style.background = color }
            default:
                break  // blink, conceal, strike-through, fonts, underline colour...: not shown
            }
        }
    }

    /// `38:5:n`, `38:2:r:g:b` or `38:2:colourspace:r:g:b` (the parameters after 38/48).
    private static func extendedColor(_ subs: [Int?]) -> TerminalColor? {
        switch subs.first ?? nil {
        case 5:
            guard subs.count >= 2, let n = subs[1], n <= 255 else { return nil }
            return .indexed(UInt8(n))
        case 2:
            let rgb = subs.count >= 5 ? Array(subs[2...4]) : subs.count == 4 ? Array(subs[1...3]) : []
            guard rgb.count == 3 else { return nil }
            let values = rgb.map { $0 ?? 0 }
            guard values.allSatisfy({ $0 <= 255 }) else { return nil }
            return TerminalColor.nearest(red: values[0], green: values[1], blue: values[2])
        default:
            return nil
        }
    }

    /// The `;` form, `38;5;n` / `38;2;r;g;b`: the colour and how many parameters it used.
    private static func extendedColorPrefix(_ rest: [Int?]) -> (TerminalColor?, Int) {
        switch rest.first ?? nil {
        case 5:
            guard rest.count >= 2 else { return (nil, rest.count) }
            guard let n = rest[1], n <= 255 else { return (nil, 2) }
            return (.indexed(UInt8(n)), 2)
        case 2:
            guard rest.count >= 4 else { return (nil, rest.count) }
            let values = rest[1...3].map { $0 ?? 0 }
            guard values.allSatisfy({ $0 <= 255 }) else { return (nil, 4) }
            return (TerminalColor.nearest(red: values[0], green: values[1], blue: values[2]), 4)
        default:
            return (nil, rest.isEmpty ? 0 : 1)
        }
    }
}
