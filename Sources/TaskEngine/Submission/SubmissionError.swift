/// Why a submission was refused. Every case names what was wrong and, where it helps, what to do.
public enum SubmissionError: Error, Equatable, Sendable, CustomStringConvertible {
    case malformedJSON(String)
    /// A key given twice in one object (at a 1-based byte offset): which one counts is reader-dependent.
    case duplicateKey(String, byte: Int)
    case notAnObject
    case unknownType(String, known: [String])
    case missingField(type: String, field: String)
    case wrongType(type: String, field: String, expected: String, got: String)
    case invalidValue(type: String, field: String, reason: String)
    case unknownField(type: String, field: String, known: [String])
    case projectWithoutFlake(path: String)

    public var description: String {
        switch self {
        case .malformedJSON(let detail):
            return "the submission is not valid JSON (\(detail)); give one JSON object with a \"type\" field"
        case .duplicateKey(let key, let byte):
            return "the submission gives the key \"\(Self.shown(key))\" twice in one object (at byte \(byte)); give each field once"
        case .notAnObject:
            return "the submission must be a JSON object with a \"type\" field"
        case .unknownType(let type, let known):
            let shown = type.isEmpty ? "missing" : "\"\(type)\" is unknown"
            return "submission field \"type\": \(shown); use one of \(known.joined(separator: ", "))"
        case .missingField(let type, let field):
            return "\(type): field \"\(field)\" is missing"
        case .wrongType(let type, let field, let expected, let got):
            return "\(type): field \"\(field)\" must be \(expected), not \(got)"
        case .invalidValue(let type, let field, let reason):
            return "\(type): field \"\(field)\" \(reason)"
        case .unknownField(let type, let field, let known):
            return "\(type): unknown field \"\(field)\"; the fields are \(known.joined(separator: ", "))"
        case .projectWithoutFlake(let path):
            return "project path \(path) has no flake.nix; point project_path at the directory holding the project's flake.nix"
        }
    }

    /// A key as echoed in a message: at most 200 characters.
    private static func shown(_ key: String) -> String {
        key.count > 200 ? String(key.prefix(200)) + "..." : key
    }
}
