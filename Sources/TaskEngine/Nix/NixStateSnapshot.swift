import Foundation
import NixLog

/// What the engine keeps of NixLog's state: a JSON snapshot in the process row, a progress line for
/// lists, and the first error for failure reasons.
public enum NixStateSnapshot {
    public static func encode(_ state: NixProcessState) -> String? {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        guard let data = try? encoder.encode(state) else { return nil }
        return String(decoding: data, as: UTF8.self)
    }

    public static func decode(_ text: String?) -> NixProcessState? {
        guard let text else { return nil }
        return try? JSONDecoder().decode(NixProcessState.self, from: Data(text.utf8))
    }

    /// "builds 3/7, 1 running", per-machine counts when remote builders take part, and the current
    /// phase (or last line) of a running build with the machine it runs on, as Nix reports them.
    public static func progressLine(_ state: NixProcessState) -> String? {
        var parts: [String] = []
        let builds = state.builds
        // Once nix ended (done, failed, cancelled), nothing runs any more: the counts say how it ended.
        let ended = state.streamEnded == true
        if builds.expected > 0 || builds.done > 0 {
            var text = "builds \(builds.done)/\(max(builds.expected + builds.failed, builds.done))"
            if builds.running > 0 && !ended { text += ", \(builds.running) running" }
            if builds.failed > 0 { text += ", \(builds.failed) failed" }
            let interrupted = state.count(.interrupted)
            if ended && interrupted > 0 { text += ", \(interrupted) interrupted" }
            parts.append(text)
        }
        let copies = state.copies
        if copies.expected > 0 { parts.append("copies \(copies.done)/\(copies.expected)") }
        let machines = state.machines
        if machines.contains(where: { $0.machine != nil }) {
            // Per machine only once a remote builder took part; "local" alone says nothing new.
            let shown = machines.prefix(3).map { m in
                var text = "\(m.displayName) \(m.built) built"
                if m.building > 0 { text += ", \(m.building) building" }
                if m.failed > 0 { text += ", \(m.failed) failed" }
                return text
            }
            parts.append(shown.joined(separator: "; ") + (machines.count > 3 ? "; \(machines.count - 3) more machines" : ""))
        }
        if !ended, let active = state.derivations.last(where: { $0.status == .building }) {
            let name = active.name + (active.host.map { " on \(NixMachineCounts.displayName($0))" } ?? "")
            if let phase = active.phase { parts.append("\(name): \(phase)") }
            // The log line's colours belong to the log view; a progress line is plain text.
            else if let line = active.lastLine { parts.append("\(name): \(line.strippingANSIEscapes)") }
            else if active.host != nil { parts.append(name) }
        }
        return parts.isEmpty ? nil : parts.joined(separator: " · ")
    }

    /// The first structured Nix error (else the first error-level message), one line, for a failure reason.
    public static func firstError(_ state: NixProcessState) -> String? {
        // A build on a remote machine: Nix's first report names the machine and the builder's real exit code.
        if let remote = state.derivations.first(where: { $0.status == .failed && $0.host.map { !$0.isEmpty } == true }),
           let failure = remote.failure, let host = remote.host {
            return oneLine(hostsShortened(failure, host: host))
        }
        if let error = state.errors.kept.first(where: { $0.level == .error }) ?? state.errors.kept.first {
            var location = ""
            if let file = error.file {
                location = " (at \(file)\(error.line.map { ":\($0)" } ?? "")\(error.column.map { ":\($0)" } ?? ""))"
            }
            let message = error.rawMessage.isEmpty ? error.message : error.rawMessage
            return oneLine(state.failedBuilderTail() == nil ? message : withoutLogTail(message)) + location
        }
        return state.messages(at: .error).kept.first.map(oneLine)
    }

    /// The failed builder's last log lines, as `nix build` prints them under its error:
    /// `last 10 log lines:` and one `> line` each, indented (nil when no builder failed or it
    /// printed nothing). Goes on the lines after a failure reason's first line.
    public static func builderLogTail(_ state: NixProcessState) -> [String]? {
        guard let (_, lines) = state.failedBuilderTail() else { return nil }
        return ["  last \(lines.count) log line\(lines.count == 1 ? "" : "s"):"] + lines.map { "  > " + $0 }
    }

    /// A Nix message up to its own quoted log tail (`last N log lines:` of Nix 2.18-2.23,
    /// `Last N log lines:` of 2.24 and later), which `builderLogTail` gives line by line instead.
    static func withoutLogTail(_ message: String) -> String {
        let lines = message.split(separator: "\n", omittingEmptySubsequences: false)
        guard let start = lines.firstIndex(where: {
            let text = $0.drop(while: { $0 == " " || $0 == ";" }).lowercased()
            return text.hasPrefix("last ") && text.hasSuffix("log lines:")
        }) else { return message }
        var head = lines[..<start].joined(separator: "\n")
        while head.hasSuffix(";") || head.hasSuffix(" ") { head.removeLast() }
        return head
    }

    /// `text` with the builder's store URI shown without its query (key paths and options).
    public static func hostsShortened(_ text: String, host: String?) -> String {
        guard let host, !host.isEmpty else { return text }
        return text.replacingOccurrences(of: host, with: NixMachineCounts.displayName(host))
    }

    static func oneLine(_ text: String) -> String {
        let joined = text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }.joined(separator: " ")
        return joined.count > 300 ? String(joined.prefix(300)) + "…" : joined
    }
}
