// Reads what Nix's error messages say about one derivation, in the wording of Nix 2.8 to 2.28 and Lix.

/// An error message that names a derivation's failure, classified.
///
/// The wordings (raw_msg, ANSI stripped):
/// - own builder, Nix 2.8-2.23 and Lix: `builder for '<drv>' failed with exit code N` (plain logs add
///   `;` and `last N log lines:` with `> ` lines and `For full logs, run 'nix log <drv>'.`);
///   `building of '<drv>!out' from .drv file timed out after N seconds`;
///   `hash mismatch in fixed-output derivation '<drv>':`
/// - own builder, Nix 2.24 and later: `Cannot build '<drv>'.` / `Reason: builder failed with exit code N.`
///   then `Output paths:`, `Last N log lines:` with `> ` lines, `For full logs, run:` / `nix log <drv>`
/// - remote builder (first, naming the machine): `build of '<drv>' on 'ssh-ng://...' failed: <its own account>`
/// - an input failed: `N dependencies of derivation '<drv>' failed to build` (Nix 2.8-2.23, Lix);
///   `Cannot build '<drv>'.` / `Reason: 1 dependency failed.` (Nix 2.24 and later)
/// - the closing summary `build of '<a>', '<b>' failed` names the top-level goals that failed, for
///   whatever reason: it says nothing about whose builder failed, so it is not classified.
struct NixFailureMessage: Equatable {
    enum Kind: Equatable {
        /// The derivation's own build failed.
        case ownFailure
        /// One of its inputs failed; it never started.
        case dependencyFailed
    }

    var kind: Kind
    /// The `.drv` path, without an output suffix (`!out`, `^out`).
    var derivation: String
    var exitCode: Int?
    /// The `> ` lines after "Last N log lines:", without the prefix.
    var logTail: [String]
    /// Whether a remote builder's account: it names the machine and the builder's real exit code.
    var remote: Bool

    init?(_ raw: String) {
        guard let (path, afterQuote) = Self.firstQuotedDerivation(in: raw) else { return nil }
        derivation = path
        let head = raw.prefix(while: { $0 != "'" })
        // Classify by Nix's own words only, never by the builder's log lines quoted after them.
        let lower = raw.split(separator: "\n").prefix { !$0.drop(while: { $0 == " " }).hasPrefix(">") }
            .joined(separator: "\n").lowercased()
        remote = head == "build of " && afterQuote.hasPrefix(" on '")
        if lower.contains("dependencies of derivation") || lower.contains("dependencies couldn't be built")
            || lower.contains("dependency failed") || lower.contains("dependencies failed") {
            kind = .dependencyFailed
        } else if remote || head == "builder for " || head == "building of " || head == "Cannot build "
                    || head == "hash mismatch in fixed-output derivation " {
            kind = .ownFailure
        } else {
            return nil
        }
        exitCode = kind == .ownFailure ? Self.number(after: "exit code ", in: raw) : nil
        logTail = Self.logTail(raw)
    }

    /// The first `'...'` whose content is a store path ending in `.drv` (after dropping `!out` / `^out`),
    /// and the text after its closing quote.
    static func firstQuotedDerivation(in raw: String) -> (String, Substring)? {
        var rest = Substring(raw)
        while let open = rest.firstIndex(of: "'") {
            let afterOpen = rest[rest.index(after: open)...]
            guard let close = afterOpen.firstIndex(of: "'") else { return nil }
            var quoted = afterOpen[..<close]
            if let bang = quoted.firstIndex(where: { $0 == "!" || $0 == "^" }) { quoted = quoted[..<bang] }
            if quoted.hasSuffix(".drv") && quoted.hasPrefix("/") { return (String(quoted), afterOpen[afterOpen.index(after: close)...]) }
            rest = afterOpen[afterOpen.index(after: close)...]
        }
        return nil
    }

    static func number(after marker: String, in text: String) -> Int? {
        let chars = Array(text.utf8), needle = Array(marker.utf8)
        guard chars.count >= needle.count else { return nil }
        for start in 0...(chars.count - needle.count) where chars[start..<start + needle.count].elementsEqual(needle) {
            let digits = chars[(start + needle.count)...].prefix { (0x30...0x39).contains($0) }.prefix(9)
            return digits.isEmpty ? nil : Int(String(decoding: digits, as: UTF8.self))
        }
        return nil
    }

    /// The lines after "last N log lines:" that start with "> " (indentation allowed), prefix removed.
    static func logTail(_ raw: String) -> [String] {
        let lines = raw.split(separator: "\n", omittingEmptySubsequences: false)
        guard let start = lines.firstIndex(where: {
            let t = $0.drop(while: { $0 == " " || $0 == ";" }).lowercased()
            return t.hasPrefix("last ") && t.hasSuffix("log lines:")
        }) else { return [] }
        var tail: [String] = []
        for line in lines[(start + 1)...] {
            let trimmed = line.drop(while: { $0 == " " })
            guard trimmed.hasPrefix(">") else { break }
            tail.append(String(trimmed.dropFirst(trimmed.hasPrefix("> ") ? 2 : 1)))
        }
        return Array(tail.suffix(NixDerivationState.recentLineLimit))
    }
}

extension String {
    /// Without leading and trailing spaces (NixLog does without Foundation).
    var trimmingSpaces: Substring {
        let start = drop(while: { $0 == " " })
        return start.dropLast(start.reversed().prefix(while: { $0 == " " }).count)
    }
}
