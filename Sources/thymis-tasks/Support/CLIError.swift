import Foundation
import TaskEngine

/// The exit codes of every command, documented in `--help` and docs/cli.md.
enum ExitCodes {
    static let success: Int32 = 0
    /// The task failed or was cancelled (with --wait), or a cancel or run-now found nothing to do.
    static let taskFailed: Int32 = 1
    /// A submission or argument was refused; nothing was stored.
    static let badInput: Int32 = 2
    /// No task matches the id (or the prefix matches several).
    static let notFound: Int32 = 3
    /// The state directory or database cannot be used.
    static let store: Int32 = 4
    /// The engine did not answer in time, was shutting down, or could not be started.
    static let engine: Int32 = 5
    /// A command-line usage error found by the argument parser.
    static let usage: Int32 = 64

    static let summary = "0 done; 1 the task failed or was cancelled (--wait), or cancel/run-now had nothing to do; submit ssh-command --wait: the remote command's status instead (255: ssh could not connect); 2 bad submission or argument (nothing stored); 3 no such task; 4 state directory or database unusable; 5 the engine did not answer (or could not be started); 64 usage error."
}

/// An error for the user: one line on stderr and an exit code.
struct CLIError: Error {
    let message: String
    let code: Int32

    init(_ message: String, code: Int32) {
        self.message = message
        self.code = code
    }

    /// Maps an error from the engine or store to its message and exit code.
    init(_ error: Error) {
        switch error {
        case let error as CLIError: self = error
        case let error as SubmissionError: self.init(error.description, code: ExitCodes.badInput)
        case let error as StoreError:
            switch error {
            case .notFound, .ambiguous, .noStore: self.init(error.description, code: ExitCodes.notFound)
            default: self.init(error.description, code: ExitCodes.store)
            }
        case let error as ConfigurationError: self.init(error.description, code: ExitCodes.badInput)
        case let error as EngineError:
            // By the error's kind, never by its wording (issue 11).
            switch error {
            case .noSuchTask, .ambiguousID: self.init(error.description, code: ExitCodes.notFound)
            case .invalidSubmission, .stillRunning: self.init(error.description, code: ExitCodes.badInput)
            case .storeUnusable: self.init(error.description, code: ExitCodes.store)
            case .shuttingDown, .didNotAnswer, .failed: self.init(error.description, code: ExitCodes.engine)
            }
        default: self.init(Self.sentence(for: error), code: ExitCodes.store)
        }
    }

    /// A Foundation or system error in words: the POSIX reason under a Cocoa error ("Not a
    /// directory"), never "NSCocoaErrorDomain error 512".
    static func sentence(for error: Error) -> String {
        let nsError = error as NSError
        if let underlying = nsError.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain {
            return String(cString: strerror(Int32(underlying.code)))
        }
        if nsError.domain == NSPOSIXErrorDomain { return String(cString: strerror(Int32(nsError.code))) }
        if nsError.domain == NSCocoaErrorDomain {
            let path = (nsError.userInfo[NSFilePathErrorKey] as? String).map { " (\($0))" } ?? ""
            return "a file operation failed\(path)"
        }
        return "\(error)"
    }
}

extension TaskStore {
    /// The task with this id or unique prefix, or the CLI's error for none or several (exit 3).
    func resolveForCommand(_ id: String) throws -> TaskRecord {
        do { return try resolve(id) } catch { throw CLIError(error) }
    }
}
