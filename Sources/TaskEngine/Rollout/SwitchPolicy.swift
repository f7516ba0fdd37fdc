import Foundation

/// How a deploy switches one device (issue 26): how long the device waits for a confirmation over a
/// new connection, the health command run before confirming, and whether it rolls back at all.
/// Each setting comes from the submission, else the device's entry in the project file, else the
/// file's `deploy` section, else the default.
public struct SwitchPolicy: Sendable, Equatable {
    public static let defaultConfirmTimeout = 60
    public static let confirmTimeoutRange = 10...3600
    public static let healthTimeoutRange = 1...3600

    public var confirmTimeout: Int
    /// Off: switch and report, as before issue 26 (for devices where going back is worse).
    public var rollback: Bool
    /// Run on the device (`/bin/sh -c`) over the confirming connection; non-zero rolls back.
    public var healthCommand: String?
    /// Seconds the health command may take; by default the confirm timeout, which bounds it anyway.
    public var healthTimeout: Int?

    public init(confirmTimeout: Int = defaultConfirmTimeout, rollback: Bool = true, healthCommand: String? = nil, healthTimeout: Int? = nil) {
        self.confirmTimeout = confirmTimeout
        self.rollback = rollback
        self.healthCommand = healthCommand
        self.healthTimeout = healthTimeout
    }

    /// The settings a project file or device entry may give; nil fields fall through to the next source.
    public struct Overrides: Sendable, Equatable {
        public var confirmTimeout: Int?
        public var rollback: Bool?
        public var healthCommand: String?
        public var healthTimeout: Int?
        public init() {}

        static let fields = ["confirm_timeout", "rollback", "health_command", "health_timeout"]

        /// Reads the fields present in `fields` (a `deploy` section, a device entry or a submission).
        static func read(_ fields: SubmissionFields) throws(SubmissionError) -> Overrides {
            var result = Overrides()
            result.confirmTimeout = try fields.optionalInt("confirm_timeout", range: SwitchPolicy.confirmTimeoutRange)
            result.rollback = try fields.optionalBool("rollback")
            result.healthTimeout = try fields.optionalInt("health_timeout", range: SwitchPolicy.healthTimeoutRange)
            if let command = try fields.optionalString("health_command", maxBytes: 4096) {
                guard !command.contains(where: \.isNewline), !command.trimmingCharacters(in: .whitespaces).isEmpty else {
                    throw .invalidValue(type: fields.context, field: "health_command",
                                        reason: "must be one non-empty command line (it runs as /bin/sh -c on the device)")
                }
                result.healthCommand = command
            }
            return result
        }
    }

    /// The first source that sets each field wins.
    static func resolve(_ sources: [Overrides?]) -> SwitchPolicy {
        let present = sources.compactMap { $0 }
        return SwitchPolicy(
            confirmTimeout: present.lazy.compactMap(\.confirmTimeout).first ?? defaultConfirmTimeout,
            rollback: present.lazy.compactMap(\.rollback).first ?? true,
            healthCommand: present.lazy.compactMap(\.healthCommand).first,
            healthTimeout: present.lazy.compactMap(\.healthTimeout).first)
    }
}
