import Foundation

/// Which packages two system closures differ in, by the rule `nix store diff-closures` uses (issue
/// 27), so the plan and Nix agree on every name and version:
/// - a store path's name loses a trailing output name (`-bin`, `-dev`, `-lib64`: a dash and
///   lowercase letters, or lib32/lib64);
/// - the package name is what comes before the first dash that is not followed by a letter, the
///   version what comes after it (`hello-2.12` → hello 2.12; `nixos-system-kiosk-24.05` →
///   nixos-system-kiosk 24.05; no such dash: an empty version);
/// - per name, the versions only before are removed, the versions only after are added; a name
///   whose versions did not change shows only when its size moved by 8 KiB or more.
public struct ClosureDiff: Codable, Sendable, Equatable {
    public struct Change: Codable, Sendable, Equatable {
        public var name: String
        /// Versions only in the current closure ("" for a path without a version).
        public var removed: [String]
        /// Versions only in the new one.
        public var added: [String]
        /// New size minus current size of all this name's paths, in bytes.
        public var sizeDelta: Int64

        public var kind: Kind {
            if removed.isEmpty && added.isEmpty { return .resized }
            if removed.isEmpty { return .added }
            if added.isEmpty { return .removed }
            return .changed
        }

        public enum Kind: String, Codable, Sendable { case added, removed, changed, resized }

        /// "hello: 2.10 → 2.12", "openssl: ∅ → 3.0.1", "curl: 8.0 → ∅", as Nix prints them.
        public var versionText: String {
            func show(_ versions: [String]) -> String {
                versions.isEmpty ? "∅" : versions.map { $0.isEmpty ? "ε" : $0 }.sorted().joined(separator: ", ")
            }
            return kind == .resized ? "\(name): size only" : "\(name): \(show(removed)) → \(show(added))"
        }
    }

    public var changes: [Change]
    public var sizeBefore: UInt64
    public var sizeAfter: UInt64

    /// Name and version of a store path's name (without its hash).
    static func nameAndVersion(_ pathName: String) -> (name: String, version: String) {
        var name = pathName
        if let dash = name.lastIndex(of: "-") {
            let suffix = name[name.index(after: dash)...]
            let isOutput = suffix == "lib32" || suffix == "lib64"
                || (!suffix.isEmpty && suffix.allSatisfy { $0.isASCII && $0.isLowercase && $0.isLetter })
            if isOutput, dash > name.startIndex { name = String(name[..<dash]) }
        }
        var index = name.startIndex
        while let dash = name[index...].firstIndex(of: "-") {
            let next = name.index(after: dash)
            if next != name.endIndex, !(name[next].isASCII && name[next].isLetter) {
                return (String(name[..<dash]), String(name[next...]))
            }
            index = next
        }
        return (name, "")
    }

    /// `/nix/store/<hash>-<name>` → `<name>`.
    static func pathName(_ path: String) -> String {
        let base = path.split(separator: "/").last.map(String.init) ?? path
        guard let dash = base.firstIndex(of: "-") else { return base }
        return String(base[base.index(after: dash)...])
    }

    /// The difference between two closures given as path → NAR size.
    public init(before: [String: UInt64], after: [String: UInt64]) {
        func grouped(_ closure: [String: UInt64]) -> [String: (versions: Set<String>, size: UInt64)] {
            var groups: [String: (versions: Set<String>, size: UInt64)] = [:]
            for (path, size) in closure {
                let (name, version) = Self.nameAndVersion(Self.pathName(path))
                groups[name, default: ([], 0)].versions.insert(version)
                groups[name, default: ([], 0)].size += size
            }
            return groups
        }
        let old = grouped(before), new = grouped(after)
        var changes: [Change] = []
        for name in Set(old.keys).union(new.keys).sorted() {
            let was = old[name]?.versions ?? [], now = new[name]?.versions ?? []
            let delta = Int64(new[name]?.size ?? 0) - Int64(old[name]?.size ?? 0)
            let change = Change(name: name, removed: was.subtracting(now).sorted(), added: now.subtracting(was).sorted(), sizeDelta: delta)
            if change.kind != .resized || abs(delta) >= 8 * 1024 { changes.append(change) }
        }
        self.changes = changes
        sizeBefore = before.values.reduce(0, +)
        sizeAfter = after.values.reduce(0, +)
    }

    /// Only the changes of names and versions (what `--plan` lists first).
    public var versionChanges: [Change] { changes.filter { $0.kind != .resized } }
}
