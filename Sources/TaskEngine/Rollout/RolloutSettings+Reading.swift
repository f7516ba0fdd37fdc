import Foundation

extension RolloutSettings {
    static let fields = ["canary", "wave_size", "max_failures"]

    /// `canary` (device identifiers), `wave_size` (a count, or "25%"), `max_failures` from a
    /// submission or the project file's `deploy.rollout`.
    static func read(_ fields: SubmissionFields) throws(SubmissionError) -> RolloutSettings {
        var settings = RolloutSettings()
        if fields.object["canary"] != nil, fields.object["canary"] != .null {
            settings.canaries = try fields.stringArray("canary", maxItems: 1000)
        }
        switch fields.object["wave_size"] {
        case .number(let number)?:
            guard let count = Int(exactly: number), count >= 1 else {
                throw .invalidValue(type: fields.context, field: "wave_size", reason: "is \(number); give a device count from 1, or a percentage like \"25%\"")
            }
            settings.waveSize = .count(count)
        case .string(let text)?:
            guard let size = WaveSize(text) else {
                throw .invalidValue(type: fields.context, field: "wave_size", reason: "is \"\(text)\"; give a device count from 1, or a percentage like \"25%\"")
            }
            settings.waveSize = size
        case nil, .null?:
            break
        case let other?:
            throw .wrongType(type: fields.context, field: "wave_size", expected: "a count or a percentage string", got: other.kindDescription)
        }
        settings.maxFailures = try fields.optionalInt("max_failures", range: 0...100_000)
        return settings
    }

    /// The submission's settings, field by field over the project file's. The file's canaries that
    /// this deploy does not include are left out (a deploy of a few devices keeps the file usable),
    /// and a deploy of one device has no rollout.
    static func merged(submission: RolloutSettings, file: RolloutSettings?, devices: [String]) -> RolloutSettings {
        guard let file, devices.count > 1 else { return submission }
        return RolloutSettings(
            canaries: submission.canaries.isEmpty ? file.canaries.filter(devices.contains) : submission.canaries,
            waveSize: submission.waveSize ?? file.waveSize.flatMap { size in
                if case .count(let count) = size, count > devices.count { return .count(devices.count) }
                return size
            },
            maxFailures: submission.maxFailures ?? file.maxFailures.map { min($0, devices.count) })
    }
}
