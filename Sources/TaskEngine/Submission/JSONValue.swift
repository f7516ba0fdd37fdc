import Foundation

/// A JSON document as plain values, so a submission can be checked field by field and re-encoded canonically.
public enum JSONValue: Sendable, Equatable, Codable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    public init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() { self = .null; return }
        // Bool before Double: JSONDecoder refuses to read a number as Bool and vice versa, so the order is safe.
        if let value = try? container.decode(Bool.self) { self = .bool(value); return }
        if let value = try? container.decode(Double.self) { self = .number(value); return }
        if let value = try? container.decode(String.self) { self = .string(value); return }
        if let value = try? container.decode([JSONValue].self) { self = .array(value); return }
        self = .object(try container.decode([String: JSONValue].self))
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let value): try container.encode(value)
        case .number(let value):
            if let integer = Int64(exactly: value) { try container.encode(integer) } else { try container.encode(value) }
        case .string(let value): try container.encode(value)
        case .array(let value): try container.encode(value)
        case .object(let value): try container.encode(value)
        }
    }

    /// The string, when this is one.
    public var stringValue: String? {
        if case .string(let value) = self { return value }
        return nil
    }

    /// Parses bytes, naming the problem in words when they are not JSON (a key given twice in one
    /// object, a number too large for a double, a lone surrogate are refused too).
    public static func parse(_ data: Data) throws(SubmissionError) -> JSONValue {
        try JSONParser.parse([UInt8](data))
    }

    /// Sorted keys, no escaped slashes: the same submission always gives the same text.
    public func canonicalText(pretty: Bool = false) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = pretty ? [.sortedKeys, .withoutEscapingSlashes, .prettyPrinted] : [.sortedKeys, .withoutEscapingSlashes]
        // Encoding plain JSON values cannot fail.
        let data = (try? encoder.encode(self)) ?? Data("null".utf8)
        return Self.escapingInvisibles(String(decoding: data, as: UTF8.self))
    }

    /// Encoded JSON with the code points a terminal acts on or that hide text written as `\uXXXX`:
    /// DEL, C1 controls (U+0080-U+009F, `\u009b` is an 8-bit CSI), bidi controls and marks, line and
    /// paragraph separators, the BOM. JSONEncoder escapes only C0 controls; outside strings JSON has
    /// none of these, so replacing them anywhere in the text keeps it the same JSON.
    public static func escapingInvisibles(_ json: String) -> String {
        guard json.unicodeScalars.contains(where: needsEscape) else { return json }
        var result = String.UnicodeScalarView()
        for scalar in json.unicodeScalars {
            guard needsEscape(scalar) else { result.append(scalar); continue }
            let hex = String(scalar.value, radix: 16)
            result.append(contentsOf: ("\\u" + String(repeating: "0", count: 4 - hex.count) + hex).unicodeScalars)
        }
        return String(result)
    }

    private static func needsEscape(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x7F, 0x80...0x9F, 0x061C, 0x200E, 0x200F, 0x2028, 0x2029, 0x202A...0x202E, 0x2066...0x2069, 0xFEFF: return true
        default: return false
        }
    }

    /// A word for error messages: "a string", "a number", ...
    public var kindDescription: String {
        switch self {
        case .null: return "null"
        case .bool: return "a boolean"
        case .number: return "a number"
        case .string: return "a string"
        case .array: return "an array"
        case .object: return "an object"
        }
    }

    /// This value with the listed object keys (at any depth) replaced by "<redacted>".
    public func redacting(keys: Set<String>) -> JSONValue {
        switch self {
        case .object(let fields):
            var result: [String: JSONValue] = [:]
            for (key, value) in fields {
                result[key] = keys.contains(key) && value != .null ? .string("<redacted>") : value.redacting(keys: keys)
            }
            return .object(result)
        case .array(let items):
            return .array(items.map { $0.redacting(keys: keys) })
        default:
            return self
        }
    }
}
