import Foundation

/// How a deploy's switch ended on the device, as the task's result records it (issue 26): typed, so
/// a parent (waves, a failure budget) and the failure cause read it without parsing a sentence.
public struct SwitchOutcome: Codable, Sendable, Equatable {
    public enum Ending: String, Codable, Sendable {
        /// A new connection confirmed the device (after its health check, if one is set).
        case confirmed
        /// Switched with rollback off: nothing was confirmed.
        case switched
        /// Back on the previous system.
        case rolledBack = "rolled_back"
        /// The rollback itself failed: the device needs a person.
        case rollbackFailed = "rollback_failed"
        /// The switch failed and rollback was off.
        case switchFailed = "switch_failed"
        /// The device's switch process vanished before it ended (a reboot, a kill).
        case interrupted
        /// The engine could not reach the device again to learn how it ended.
        case unreachable
    }

    public var ending: Ending
    public var cause: RollbackCause?
    /// Where the profile pointed when the engine last heard from the device.
    public var profileAfter: DeviceSystem?
    /// Whether a new connection reached the device after the switch (and after a rollback); always
    /// false with rollback off, where no new connection is made.
    public var reachableAfter: Bool
    /// What went wrong beyond the cause: a failed rollback's error, ssh's last words.
    public var detail: String?

    public var succeeded: Bool { ending == .confirmed || ending == .switched }

    /// The task's failure reason; nil when the switch succeeded.
    /// "rolled back to generation 41 (/nix/store/…): the device did not confirm within 60 s after switching"
    public func failureReason(previous: DeviceSystem?) -> String? {
        let back = profileAfter ?? previous
        let detailSuffix = detail.map { " (\(RollbackCause.short($0)))" } ?? ""
        switch ending {
        case .confirmed, .switched:
            return nil
        case .rolledBack:
            let to = "rolled back to \(back?.description ?? "the previous system")"
            let reachable = reachableAfter ? "" : "; the device has not answered since"
            switch cause {
            case .notConfirmed?, .cancelled?, nil: return "\(to): \(cause?.sentence ?? "no confirmation")\(reachable)"
            case let cause?: return "\(cause.sentence); \(to)\(reachable)"
            }
        case .rollbackFailed:
            return "ROLLBACK FAILED after \(cause?.sentence ?? "a failed switch")\(detailSuffix): the device is on a configuration that failed and needs a person"
        case .switchFailed:
            return "switch failed: \(cause?.sentence ?? "switch-to-configuration failed") (rollback is off for this device)"
        case .interrupted:
            return "switch interrupted: the device's switch process ended before it finished\(detailSuffix) (a reboot?); check which system the device runs"
        case .unreachable:
            return "the device has not answered since the switch\(detailSuffix); it goes back to \(previous?.description ?? "its previous system") by itself unless it was confirmed; check it"
        }
    }

    init(_ report: SwitchReport, reachable: Bool) {
        cause = report.cause
        profileAfter = report.profile
        reachableAfter = reachable
        switch report.state {
        case .confirmed: ending = .confirmed
        case .switched: ending = .switched
        case .rolledBack: ending = .rolledBack
        case .rollbackFailed:
            ending = .rollbackFailed
            detail = report.rollbackError ?? report.rollbackSaid ?? report.rollbackExit.map { "rollback exited with \($0)" }
        case .switchFailed: ending = .switchFailed
        case .interrupted, .missing, .switching, .awaiting, .rollingBack:
            ending = .interrupted
            detail = report.interruptedIn.map { "while \($0)" }
        }
    }

    init(unreachable detail: String?) {
        ending = .unreachable
        reachableAfter = false
        self.detail = detail
    }
}
