import Foundation

/// A submission that passed every check, ready to be stored and run.
public struct ValidatedSubmission: Sendable {
    public let type: String
    public let kind: any TaskKind
    /// Canonical JSON, as stored (may hold secrets).
    public let text: String
    /// Canonical JSON with secret fields replaced by `<redacted>`.
    public let redactedText: String
}

/// The task types the engine knows, and the one place a submission is checked.
public struct TaskKindRegistry: Sendable {
    private var kinds: [String: any TaskKind.Type] = [:]

    public init(_ kinds: [any TaskKind.Type] = []) {
        for kind in kinds { register(kind) }
    }

    /// The seven task types of Thymis' Tasks view, Auto-update, Roll Back Device and Plan Deploy to Device.
    public static var standard: TaskKindRegistry {
        TaskKindRegistry([BuildProjectKind.self, FlakeUpdateKind.self, DeployDevicesKind.self, DeployDeviceKind.self,
                          BuildDeviceImageKind.self, SSHCommandKind.self, RunNixOSVMKind.self, AutoUpdateKind.self,
                          RollbackDeviceKind.self, PlanDeviceKind.self])
    }

    public mutating func register(_ kind: any TaskKind.Type) {
        kinds[kind.type] = kind
    }

    public var types: [String] { kinds.keys.sorted() }

    public func typeName(of type: String) -> String {
        kinds[type]?.typeName ?? type
    }

    /// Checks raw submission bytes completely; nothing is stored by this call.
    public func validate(_ data: Data) throws(SubmissionError) -> ValidatedSubmission {
        try validate(JSONValue.parse(data))
    }

    public func validate(_ value: JSONValue) throws(SubmissionError) -> ValidatedSubmission {
        guard case .object(let object) = value else { throw .notAnObject }
        guard let typeValue = object["type"] else { throw .unknownType("", known: types) }
        guard case .string(let type) = typeValue else {
            throw .wrongType(type: "submission", field: "type", expected: "a string", got: typeValue.kindDescription)
        }
        guard let kindType = kinds[type] else { throw .unknownType(type, known: types) }
        let kind = try kindType.init(fields: SubmissionFields(context: type, object: object))
        return ValidatedSubmission(type: type, kind: kind, text: value.canonicalText(),
                                   redactedText: value.redacting(keys: kindType.secretFields).canonicalText())
    }
}
