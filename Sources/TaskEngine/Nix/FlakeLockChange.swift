/// One input whose locked revision differs between two flake.locks: what Update Nix Flake reports
/// and what Auto-update's commit message lists.
struct FlakeLockChange: Equatable, Sendable {
    let input: String
    /// The locked revision (or narHash) before; nil when the input is new.
    let old: String?
    /// The locked revision after; nil when the input was removed.
    let new: String?

    /// Every changed input, by name, from `FlakeLock.inputs` of the lock before and after.
    static func between(before: [String: String], after: [String: String]) -> [FlakeLockChange] {
        Set(before.keys).union(after.keys).sorted().compactMap { name in
            before[name] == after[name] ? nil : FlakeLockChange(input: name, old: before[name], new: after[name])
        }
    }

    /// "added dep", "removed dep", "updated dep".
    var summary: String {
        switch (old, new) {
        case (nil, _): "added \(input)"
        case (_, nil): "removed \(input)"
        default: "updated \(input)"
        }
    }

    /// "dep: 0123abcd... -> 4567ef01..." with full revisions, for a commit message body.
    var line: String { "\(input): \(old ?? "(none)") -> \(new ?? "(removed)")" }

    /// A commit message: a subject naming the inputs, then one line per input with both revisions.
    static func commitMessage(_ changes: [FlakeLockChange]) -> String {
        let names = changes.map(\.input)
        let listed = names.prefix(5).joined(separator: ", ") + (names.count > 5 ? " and \(names.count - 5) more" : "")
        return "flake.lock: update \(listed)\n\n" + changes.map { "- " + $0.line }.joined(separator: "\n")
            + "\n\nCommitted by thymis-tasks auto-update.\n"
    }
}
