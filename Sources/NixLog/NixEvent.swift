// The wire types of `--log-format internal-json`: one `NixEvent` per well-formed `@nix {json}` line.

/// One event of Nix's internal-json log, typed by its `action`.
public enum NixEvent: Sendable, Equatable {
    /// `{"action":"msg"}`: a log message; `error` is set when Nix logged structured error info (`raw_msg`).
    case message(NixMessage)
    /// `{"action":"start"}`: an activity begins.
    case start(NixActivity)
    /// `{"action":"stop"}`: the activity with this id ended.
    case stop(id: UInt64)
    /// `{"action":"result"}`: an activity reports something (a build log line, progress, a phase...).
    case result(id: UInt64, NixResult)
}

/// A `msg` event.
public struct NixMessage: Sendable, Equatable {
    public var level: NixLevel
    /// `msg` as Nix sent it, ANSI escapes included.
    public var text: String
    /// Present when the event carried `raw_msg` (Nix's `logEI`: errors, and warnings in newer Nix).
    public var error: NixErrorDetails?

    public init(level: NixLevel, text: String, error: NixErrorDetails? = nil) {
        self.level = level
        self.text = text
        self.error = error
    }
}

/// The structured part of an error `msg` event. Nix 2.8 sends `file`/`line`/`column` as null when it
/// has no position, and `trace` only with `--show-trace`.
public struct NixErrorDetails: Sendable, Equatable, Codable {
    /// `raw_msg`, ANSI escapes included.
    public var rawMessage: String
    public var file: String?
    public var line: Int?
    public var column: Int?
    public var trace: [NixTraceFrame]

    public init(rawMessage: String, file: String? = nil, line: Int? = nil, column: Int? = nil, trace: [NixTraceFrame] = []) {
        self.rawMessage = rawMessage
        self.file = file
        self.line = line
        self.column = column
        self.trace = trace
    }
}

/// One `--show-trace` frame. Nix puts the position flat in the frame (`file`, `line`, `column`);
/// a nested `pos` object is accepted too.
public struct NixTraceFrame: Sendable, Equatable, Codable {
    /// The frame's `raw_msg`, ANSI escapes included.
    public var message: String
    public var file: String?
    public var line: Int?
    public var column: Int?

    public init(message: String, file: String? = nil, line: Int? = nil, column: Int? = nil) {
        self.message = message
        self.file = file
        self.line = line
        self.column = column
    }
}

/// A `start` event.
public struct NixActivity: Sendable, Equatable {
    public var id: UInt64
    public var level: NixLevel
    public var type: NixActivityType
    public var text: String
    public var fields: [NixField]
    /// Only Nix 2.18 and later send `parent`; 0 (no parent) is mapped to nil.
    public var parent: UInt64?

    public init(id: UInt64, level: NixLevel, type: NixActivityType, text: String, fields: [NixField] = [], parent: UInt64? = nil) {
        self.id = id
        self.level = level
        self.type = type
        self.text = text
        self.fields = fields
        self.parent = parent
    }

    /// The derivation a Build (105), PostBuildHook (110) or BuildWaiting (111) activity is about.
    public var derivationPath: String? {
        switch type {
        case .build, .postBuildHook, .buildWaiting: fields.first?.string
        default: nil
        }
    }
}

/// One element of a `fields` array.
public enum NixField: Sendable, Equatable, Codable {
    case string(String)
    case integer(UInt64)
    /// Anything else (negative or fractional numbers, booleans, null, arrays, objects): kept as a marker only.
    case other

    public var string: String? { if case .string(let s) = self { s } else { nil } }
    public var integer: UInt64? { if case .integer(let n) = self { n } else { nil } }
}

/// An activity type (`start.type`). A struct rather than an enum so that types a newer Nix adds
/// stay representable: `isKnown` tells them apart.
public struct NixActivityType: RawRepresentable, Sendable, Hashable, Codable {
    public var rawValue: Int
    public init(rawValue: Int) { self.rawValue = rawValue }

    public static let unknown = Self(rawValue: 0)
    public static let copyPath = Self(rawValue: 100)
    public static let fileTransfer = Self(rawValue: 101)
    public static let realise = Self(rawValue: 102)
    public static let copyPaths = Self(rawValue: 103)
    public static let builds = Self(rawValue: 104)
    public static let build = Self(rawValue: 105)
    public static let optimiseStore = Self(rawValue: 106)
    public static let verifyPaths = Self(rawValue: 107)
    public static let substitute = Self(rawValue: 108)
    public static let queryPathInfo = Self(rawValue: 109)
    public static let postBuildHook = Self(rawValue: 110)
    public static let buildWaiting = Self(rawValue: 111)
    /// Nix 2.20 and later.
    public static let fetchTree = Self(rawValue: 112)

    /// Whether Nix (up to 2.2x) defines this type.
    public var isKnown: Bool { rawValue == 0 || (100...112).contains(rawValue) }
}

/// A `result` event, typed by its `type`. A known type whose `fields` do not have the expected shape
/// is kept as `.other`, like an unknown type.
public enum NixResult: Sendable, Equatable {
    /// 100: the optimiser hard-linked a file.
    case fileLinked(bytes: Int, blocks: Int)
    /// 101: one line of a builder's output.
    case buildLogLine(String)
    /// 102
    case untrustedPath(String)
    /// 103
    case corruptedPath(String)
    /// 104: the builder entered a phase (stdenv's `@nix {"action":"setPhase"}` protocol).
    case setPhase(String)
    /// 105: progress of the activity (Builds: derivations; CopyPaths: paths; FileTransfer/CopyPath: bytes).
    case progress(NixProgress)
    /// 106: how many of `activityType` the activity expects.
    case setExpected(activityType: NixActivityType, expected: Int)
    /// 107: one line of a post-build hook's output.
    case postBuildLogLine(String)
    /// 108 (Nix 2.20 and later).
    case fetchStatus(String)
    /// Unknown type, or known type with fields of an unexpected shape.
    case other(type: Int, fields: [NixField])
}

/// `done`, `expected`, `running`, `failed` of a Progress result.
public struct NixProgress: Sendable, Equatable, Codable {
    public var done: Int
    public var expected: Int
    public var running: Int
    public var failed: Int

    public init(done: Int = 0, expected: Int = 0, running: Int = 0, failed: Int = 0) {
        self.done = done
        self.expected = expected
        self.running = running
        self.failed = failed
    }
}
