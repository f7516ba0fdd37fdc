import Foundation

/// Who Auto-update's commits are by: `Name <email>`, passed to git through its environment, so
/// the commit works on a machine without `user.name`/`user.email` in any git config.
public struct GitAuthor: Equatable, Sendable, CustomStringConvertible {
    public let name: String
    public let email: String

    /// Used unless the project file's `auto_update.author` says otherwise.
    public static let standard = GitAuthor(name: "thymis-tasks", email: "thymis-tasks@localhost")

    init(name: String, email: String) {
        self.name = name
        self.email = email
    }

    /// Reads `Name <email>`; nil for anything else (no angle brackets in either part, no line breaks).
    public init?(_ text: String) {
        guard text.hasSuffix(">"), let open = text.lastIndex(of: "<") else { return nil }
        let name = text[..<open].trimmingCharacters(in: .whitespaces)
        let email = String(text[text.index(after: open)..<text.index(before: text.endIndex)])
        let bad: (Character) -> Bool = { $0 == "<" || $0 == ">" || $0.isNewline || $0 == "\0" }
        guard !name.isEmpty, !email.isEmpty, !name.contains(where: bad), !email.contains(where: bad),
              !email.contains(where: \.isWhitespace) else { return nil }
        self.init(name: name, email: email)
    }

    public var description: String { "\(name) <\(email)>" }

    /// The environment that makes git use this identity as author and committer.
    var environment: [String: String] {
        ["GIT_AUTHOR_NAME": name, "GIT_AUTHOR_EMAIL": email, "GIT_COMMITTER_NAME": name, "GIT_COMMITTER_EMAIL": email]
    }
}
