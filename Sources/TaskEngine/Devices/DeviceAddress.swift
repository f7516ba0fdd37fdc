/// Where a device is and how to trust it: Thymis' `DeployDeviceInformation` (`identifier`, `host`,
/// `port`, `username`) plus our `configuration`, `host_key` and `system_profile`.
struct DeviceAddress: Sendable {
    static let fields = ["identifier", "host", "port", "username", "configuration", "host_key", "system_profile"]

    let identifier: String
    let host: String
    let port: Int
    let username: String
    /// The `nixosConfigurations` name it runs; Thymis uses the identifier.
    let configuration: String
    let hostKey: String?
    let systemProfile: String?

    init(_ fields: SubmissionFields) throws(SubmissionError) {
        try fields.requireOnly(Self.fields)
        identifier = try fields.string("identifier", maxBytes: 255)
        host = try SSHOptions.host(fields, "host")
        port = try fields.optionalInt("port", range: 1...65535) ?? 22
        username = try SSHOptions.user(fields, "username") ?? "root"
        configuration = try fields.optionalString("configuration", maxBytes: 255) ?? identifier
        hostKey = try SSHOptions.optionalHostKey(fields, "host_key")
        systemProfile = try ProjectFileReader.profile(fields, "system_profile")
    }

    init(_ device: ProjectDevice) {
        identifier = device.identifier
        host = device.host
        port = device.port
        username = device.user
        configuration = device.configuration
        hostKey = device.hostKey
        systemProfile = device.systemProfile
    }

    /// The submission object for this device.
    var json: JSONValue {
        var fields: [String: JSONValue] = [
            "identifier": .string(identifier), "host": .string(host), "port": .number(Double(port)),
            "username": .string(username), "configuration": .string(configuration),
        ]
        if let hostKey { fields["host_key"] = .string(hostKey) }
        if let systemProfile { fields["system_profile"] = .string(systemProfile) }
        return .object(fields)
    }

    /// `user@host` or `user@host:port`, for messages.
    var login: String { port == 22 ? "\(username)@\(host)" : "\(username)@\(host):\(port)" }
}
