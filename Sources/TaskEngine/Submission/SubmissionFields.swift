import Foundation

/// Typed, checked access to the fields of one submission object; every failure names the field.
public struct SubmissionFields: Sendable {
    /// The submission type, or a path like `deploy_devices_task: devices[2]` for nested objects.
    public let context: String
    public let object: [String: JSONValue]

    /// Strings longer than this are refused: a submission describes work, it does not carry payloads.
    public static let maxStringBytes = 64 * 1024

    public init(context: String, object: [String: JSONValue]) {
        self.context = context
        self.object = object
    }

    /// Refuses keys outside `known` (and `type`), so a misspelt optional field is not silently ignored.
    public func requireOnly(_ known: [String]) throws(SubmissionError) {
        for key in object.keys.sorted() where key != "type" && !known.contains(key) {
            throw .unknownField(type: context, field: key, known: known)
        }
    }

    public func string(_ field: String, maxBytes: Int = SubmissionFields.maxStringBytes) throws(SubmissionError) -> String {
        guard let value = try optionalString(field, maxBytes: maxBytes) else {
            throw .missingField(type: context, field: field)
        }
        return value
    }

    public func optionalString(_ field: String, maxBytes: Int = SubmissionFields.maxStringBytes) throws(SubmissionError) -> String? {
        guard let raw = object[field], raw != .null else { return nil }
        guard case .string(let value) = raw else {
            throw .wrongType(type: context, field: field, expected: "a string", got: raw.kindDescription)
        }
        try check(value, field: field, maxBytes: maxBytes)
        return value
    }

    /// A file system path, made absolute against the current directory.
    public func path(_ field: String) throws(SubmissionError) -> String {
        guard let value = try optionalPath(field) else { throw .missingField(type: context, field: field) }
        return value
    }

    public func optionalPath(_ field: String) throws(SubmissionError) -> String? {
        guard let raw = try optionalString(field, maxBytes: 4096) else { return nil }
        if raw.contains("\n") || raw.contains("\r") {
            throw .invalidValue(type: context, field: field, reason: "contains a line break; give a file path")
        }
        return URL(fileURLWithPath: raw).standardizedFileURL.path
    }

    public func optionalInt(_ field: String, range: ClosedRange<Int>) throws(SubmissionError) -> Int? {
        guard let raw = object[field], raw != .null else { return nil }
        guard case .number(let number) = raw, let value = Int(exactly: number) else {
            throw .wrongType(type: context, field: field, expected: "an integer", got: raw.kindDescription)
        }
        guard range.contains(value) else {
            throw .invalidValue(type: context, field: field,
                                reason: "is \(value); it must be between \(range.lowerBound) and \(range.upperBound)")
        }
        return value
    }

    public func optionalBool(_ field: String) throws(SubmissionError) -> Bool? {
        guard let raw = object[field], raw != .null else { return nil }
        guard case .bool(let value) = raw else {
            throw .wrongType(type: context, field: field, expected: "true or false", got: raw.kindDescription)
        }
        return value
    }

    public func stringArray(_ field: String, maxItems: Int = 10_000) throws(SubmissionError) -> [String] {
        guard let raw = object[field], raw != .null else { throw .missingField(type: context, field: field) }
        guard case .array(let items) = raw else {
            throw .wrongType(type: context, field: field, expected: "an array of strings", got: raw.kindDescription)
        }
        if items.count > maxItems {
            throw .invalidValue(type: context, field: field, reason: "has \(items.count) items; the limit is \(maxItems)")
        }
        var result: [String] = []
        for (index, item) in items.enumerated() {
            let name = "\(field)[\(index)]"
            guard case .string(let value) = item else {
                throw .wrongType(type: context, field: name, expected: "a string", got: item.kindDescription)
            }
            try check(value, field: name, maxBytes: Self.maxStringBytes)
            result.append(value)
        }
        return result
    }

    /// Nested objects (e.g. the devices of a deploy), each checked by `body` with its own field path.
    public func objectArray<T>(_ field: String, maxItems: Int = 10_000,
                               _ body: (SubmissionFields) throws(SubmissionError) -> T) throws(SubmissionError) -> [T] {
        guard let raw = object[field], raw != .null else { throw .missingField(type: context, field: field) }
        guard case .array(let items) = raw else {
            throw .wrongType(type: context, field: field, expected: "an array of objects", got: raw.kindDescription)
        }
        if items.count > maxItems {
            throw .invalidValue(type: context, field: field, reason: "has \(items.count) items; the limit is \(maxItems)")
        }
        var result: [T] = []
        for (index, item) in items.enumerated() {
            guard case .object(let fields) = item else {
                throw .wrongType(type: context, field: "\(field)[\(index)]", expected: "an object", got: item.kindDescription)
            }
            result.append(try body(SubmissionFields(context: "\(context): \(field)[\(index)]", object: fields)))
        }
        return result
    }

    private func check(_ value: String, field: String, maxBytes: Int) throws(SubmissionError) {
        if value.isEmpty { throw .invalidValue(type: context, field: field, reason: "is empty") }
        let bytes = value.utf8.count
        if bytes > maxBytes {
            throw .invalidValue(type: context, field: field, reason: "is \(bytes) bytes long; the limit is \(maxBytes)")
        }
        if value.utf8.contains(0) { throw .invalidValue(type: context, field: field, reason: "contains a NUL character") }
    }
}
