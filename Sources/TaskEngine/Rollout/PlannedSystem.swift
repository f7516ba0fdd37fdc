import Foundation

/// What one device's plan was made against and for (issue 27): the system it ran then, and the
/// toplevel the plan built. A deploy from the plan refuses the device when either moved.
public struct PlannedSystem: Codable, Sendable, Equatable {
    public var device: String
    /// What the device ran when planned; nil when it had no system.
    public var current: String?
    public var new: String

    public init(device: String, current: String?, new: String) {
        self.device = device
        self.current = current
        self.new = new
    }

    var json: JSONValue {
        .object(["device": .string(device), "current": current.map(JSONValue.string) ?? .null, "new": .string(new)])
    }

    init(_ fields: SubmissionFields) throws(SubmissionError) {
        try fields.requireOnly(["device", "current", "new"])
        device = try fields.string("device", maxBytes: 256)
        current = try fields.optionalString("current", maxBytes: 4096)
        new = try fields.string("new", maxBytes: 4096)
        for (name, value) in [("current", current), ("new", new)] {
            if let value, let problem = Self.storePathProblem(value) {
                throw .invalidValue(type: fields.context, field: name, reason: problem)
            }
        }
    }

    /// Why `path` is not a plain store path, or nil.
    static func storePathProblem(_ path: String) -> String? {
        let name = path.dropFirst("/nix/store/".count)
        guard path.hasPrefix("/nix/store/"), !name.isEmpty, !name.contains("/"),
              name.unicodeScalars.allSatisfy({ $0.isASCII && (CharacterSet.alphanumerics.contains($0) || "+-._?=".unicodeScalars.contains($0)) })
        else { return "is \"\(path)\"; give a store path (/nix/store/HASH-NAME) as the plan recorded it" }
        return nil
    }
}
