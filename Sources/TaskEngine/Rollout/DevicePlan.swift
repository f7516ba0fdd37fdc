import Foundation

/// What deploying a new system would do to one device (issue 27), found without switching: the
/// package changes between the closure it runs and the new one, the sizes, what had to be copied,
/// the units `switch-to-configuration dry-activate` would touch, and whether it needs a reboot.
public struct DevicePlan: Codable, Sendable, Equatable {
    /// What the device runs now: `/run/current-system`, else its profile's target; nil on a device with neither.
    public var current: String?
    public var new: String
    public var diff: ClosureDiff
    /// What the copy had to send to the device (it stays there: deploying from the plan copies nothing).
    public var copied: CopyPlan?
    public var units: Units
    /// The kernel, initrd or kernel parameters differ from the booted system's (`/run/booted-system`:
    /// an earlier switch to a new kernel also still waits for its reboot): the new system takes
    /// effect fully only after a reboot.
    public var rebootRequired: Bool
    /// Why, when it does: "kernel", "initrd", "kernel parameters".
    public var rebootBecause: [String]

    /// The device already runs the new system.
    public var noChange: Bool { current == new }

    public struct Units: Codable, Sendable, Equatable {
        public var stop: [String] = []
        public var start: [String] = []
        public var restart: [String] = []
        public var reload: [String] = []
        public var isEmpty: Bool { stop.isEmpty && start.isEmpty && restart.isEmpty && reload.isEmpty }

        /// From dry-activate's own lines (NixOS' Perl and Rust switch-to-configuration alike):
        /// `would stop the following units: a.service, b.socket` (also start, restart, reload).
        static func parse(_ text: String) -> Units {
            var units = Units()
            for line in text.split(whereSeparator: \.isNewline) {
                let text = line.trimmingCharacters(in: .whitespaces)
                for (verb, path) in [("stop", \Units.stop), ("start", \Units.start), ("restart", \Units.restart), ("reload", \Units.reload)] {
                    let prefix = "would \(verb) the following units: "
                    guard text.hasPrefix(prefix) else { continue }
                    units[keyPath: path] += text.dropFirst(prefix.count).split(separator: ",")
                        .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
                }
            }
            return units
        }
    }

    /// "hello: 2.10 → 2.12 · 3 packages changed · +1.2 MB · restarts 2 units · reboot required"
    public var summary: String {
        if noChange { return "no change: the device runs this system already" }
        let changed = diff.versionChanges.count
        var parts = ["\(changed) package\(changed == 1 ? "" : "s") changed"]
        let delta = Int64(diff.sizeAfter) - Int64(diff.sizeBefore)
        parts.append((delta >= 0 ? "+" : "-") + ByteCountText.format(abs(delta)))
        if let copied { parts.append("\(ByteCountText.format(Int64(copied.bytes))) copied") }
        let touched = units.stop.count + units.start.count + units.restart.count + units.reload.count
        if touched > 0 { parts.append("\(touched) unit\(touched == 1 ? "" : "s") touched") }
        if rebootRequired { parts.append("reboot required (\(rebootBecause.joined(separator: ", ")))") }
        return parts.joined(separator: " · ")
    }

    /// The plan's lines for `show` and the dashboard.
    public var lines: [String] {
        var lines = [summary]
        lines.append("current: \(current ?? "none") → new: \(new)")
        lines += diff.versionChanges.map { "  " + $0.versionText }
        lines.append("closure: \(ByteCountText.format(Int64(diff.sizeBefore))) → \(ByteCountText.format(Int64(diff.sizeAfter)))")
        for (verb, names) in [("stop", units.stop), ("start", units.start), ("restart", units.restart), ("reload", units.reload)] where !names.isEmpty {
            lines.append("would \(verb): \(names.joined(separator: ", "))")
        }
        return lines
    }
}

/// The one SSH session that reads what a plan needs from the device: its current system, both
/// closures with their sizes, the boot-relevant parts of both systems, and dry-activate's output.
/// Each section starts with a `thymis-plan-TOKEN SECTION` line; the device's own output cannot
/// pose as one without the token.
enum DevicePlanInspection {
    /// Sets `cur` to what the device runs: `/run/current-system`, else the profile's target, else empty.
    static func currentSystemShell(profile: String) -> String {
        let p = Shell.quoted(profile)
        return "if [ -e /run/current-system ]; then cur=$(readlink -f /run/current-system); elif [ -e \(p) ]; then cur=$(readlink -f \(p)); else cur=; fi"
    }

    /// Prints what the device runs (empty: nothing), by the same rule as the plan read it.
    static func currentSystemCommand(profile: String) -> String {
        currentSystemShell(profile: profile) + "; echo \"$cur\""
    }

    /// With `newClosureKnown`, the new system's closure and sizes are not read on the device: the
    /// controller has them from `nix path-info` already (two `nix-store` runs less on a small device).
    static func command(token: String, profile: String, new: String, newClosureKnown: Bool = false) -> String {
        let mark = "thymis-plan-\(token)"
        let n = Shell.quoted(new)
        return """
            \(currentSystemShell(profile: profile)); \
            if [ -e /run/booted-system ]; then booted=$(readlink -f /run/booted-system); else booted=$cur; fi; \
            echo "\(mark) current $cur"; \
            for side in before after; do \
              if [ $side = after ] && \(newClosureKnown ? "true" : "false"); then \
                echo "\(mark) boot-after"; echo "kernel $(readlink -f \(n)/kernel 2>/dev/null)"; \
                echo "initrd $(readlink -f \(n)/initrd 2>/dev/null)"; echo "params $(cat \(n)/kernel-params 2>/dev/null)"; continue; \
              fi; \
              if [ $side = before ]; then top=$cur; boot=$booted; else top=\(n); boot=\(n); fi; \
              [ -n "$top" ] || continue; \
              paths=$(nix-store -qR "$top") || exit 3; \
              echo "\(mark) closure-$side"; echo "$paths"; \
              echo "\(mark) sizes-$side"; nix-store -q --size $paths || exit 3; \
              echo "\(mark) boot-$side"; \
              echo "kernel $(readlink -f "$boot/kernel" 2>/dev/null)"; echo "initrd $(readlink -f "$boot/initrd" 2>/dev/null)"; \
              echo "params $(cat "$boot/kernel-params" 2>/dev/null)"; \
            done; \
            echo "\(mark) dry-activate"; \(n)/bin/switch-to-configuration dry-activate 2>&1; \
            echo "\(mark) dry-activate-exit $?"
            """
    }

    /// The plan from the session's stdout; nil when its sections are missing. `newClosure`: the new
    /// system's closure with NAR sizes when the command did not read it on the device.
    static func parse(_ stdout: String, token: String, new: String, copied: CopyPlan?, newClosure: [String: UInt64]? = nil) -> DevicePlan? {
        let mark = "thymis-plan-\(token) "
        var sections: [String: [String]] = [:]
        var current: String?, section: String?, sawCurrent = false
        for line in stdout.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) {
            if line.hasPrefix(mark) {
                let rest = String(line.dropFirst(mark.count))
                if rest.hasPrefix("current") {
                    sawCurrent = true
                    let value = rest.dropFirst("current".count).trimmingCharacters(in: .whitespaces)
                    current = value.isEmpty ? nil : value
                    section = nil
                } else {
                    section = rest
                    sections[rest] = sections[rest] ?? []
                }
            } else if let section {
                sections[section, default: []].append(line)
            }
        }
        guard sawCurrent, sections["closure-after"] != nil || (newClosure != nil && sections["boot-after"] != nil) else { return nil }
        func closure(_ side: String) -> [String: UInt64] {
            let paths = (sections["closure-\(side)"] ?? []).filter { $0.hasPrefix("/nix/store/") }
            let sizes = (sections["sizes-\(side)"] ?? []).compactMap { UInt64($0.trimmingCharacters(in: .whitespaces)) }
            var result: [String: UInt64] = [:]
            for (index, path) in paths.enumerated() { result[path] = index < sizes.count ? sizes[index] : 0 }
            return result
        }
        func boot(_ side: String) -> [String: String] {
            var values: [String: String] = [:]
            for line in sections["boot-\(side)"] ?? [] {
                let key = line.prefix { $0 != " " }
                values[String(key)] = String(line.dropFirst(key.count)).trimmingCharacters(in: .whitespaces)
            }
            return values
        }
        let before = boot("before"), after = boot("after")
        var because: [String] = []
        if current != nil {
            for (key, label) in [("kernel", "kernel"), ("initrd", "initrd"), ("params", "kernel parameters")] where before[key] != after[key] {
                because.append(label)
            }
        }
        let dryActivate = (sections["dry-activate"] ?? []).joined(separator: "\n")
        return DevicePlan(current: current, new: new, diff: ClosureDiff(before: closure("before"), after: newClosure ?? closure("after")),
                          copied: copied, units: .parse(dryActivate), rebootRequired: !because.isEmpty, rebootBecause: because)
    }
}
