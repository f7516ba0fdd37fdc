import Foundation

/// Why the engine refused or could not carry out a request, as a type that crosses the process
/// boundary: the request table stores `code` next to the message, so a client picks its exit code
/// from the kind of failure, never from the wording.
public enum EngineError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The engine is stopping; the request was not carried out.
    case shuttingDown
    /// A retry of a task that has not ended yet.
    case stillRunning(String)
    /// No task has that id (or prefix).
    case noSuchTask(String)
    /// The prefix matches several tasks.
    case ambiguousID(String)
    /// The submission was refused; nothing was stored.
    case invalidSubmission(String)
    /// The store could not record it (disk full, damaged file, a vanished state directory).
    case storeUnusable(String)
    /// No engine answered in time.
    case didNotAnswer(String)
    /// Anything else, in words.
    case failed(String)

    /// The stored form of the case (column `request.error_code`).
    public enum Code: String, Sendable {
        case shuttingDown = "shutting_down", stillRunning = "still_running", noSuchTask = "no_such_task",
             ambiguousID = "ambiguous_id", invalidSubmission = "invalid_submission", storeUnusable = "store_unusable",
             didNotAnswer = "did_not_answer", failed
    }

    public var code: Code {
        switch self {
        case .shuttingDown: .shuttingDown
        case .stillRunning: .stillRunning
        case .noSuchTask: .noSuchTask
        case .ambiguousID: .ambiguousID
        case .invalidSubmission: .invalidSubmission
        case .storeUnusable: .storeUnusable
        case .didNotAnswer: .didNotAnswer
        case .failed: .failed
        }
    }

    public var description: String {
        switch self {
        case .shuttingDown: "the engine is shutting down; submit again once it runs"
        case .stillRunning(let text), .noSuchTask(let text), .ambiguousID(let text), .invalidSubmission(let text),
             .storeUnusable(let text), .didNotAnswer(let text), .failed(let text): text
        }
    }

    /// Rebuilds the error a client read back from the request table (an unknown code reads as `.failed`).
    public init(code: String?, message: String) {
        switch Code(rawValue: code ?? "") ?? .failed {
        case .shuttingDown: self = .shuttingDown
        case .stillRunning: self = .stillRunning(message)
        case .noSuchTask: self = .noSuchTask(message)
        case .ambiguousID: self = .ambiguousID(message)
        case .invalidSubmission: self = .invalidSubmission(message)
        case .storeUnusable: self = .storeUnusable(message)
        case .didNotAnswer: self = .didNotAnswer(message)
        case .failed: self = .failed(message)
        }
    }

    /// Classifies an error thrown inside the engine or the store.
    public init(_ error: any Error) {
        switch error {
        case let error as EngineError: self = error
        case let error as StoreError:
            switch error {
            case .notFound: self = .noSuchTask(error.description)
            case .ambiguous: self = .ambiguousID(error.description)
            default: self = .storeUnusable(error.description)
            }
        case let error as SubmissionError: self = .invalidSubmission(error.description)
        default: self = .failed("\(error)")
        }
    }
}
