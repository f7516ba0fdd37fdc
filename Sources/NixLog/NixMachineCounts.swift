// How many derivations of one nix process build, were built and failed on each machine.

/// The derivations of one machine (a remote builder, or this machine) by how their builds went.
public struct NixMachineCounts: Sendable, Codable, Equatable {
    /// The machine as Nix names it on the Build activity (`ssh-ng://builder?ssh-key=...`); nil for this machine.
    public var machine: String?
    public var building = 0
    public var built = 0
    public var failed = 0
    /// Builds that started there and were stopped before they finished (another build failed, or cancel).
    public var interrupted = 0

    public init(machine: String?, building: Int = 0, built: Int = 0, failed: Int = 0, interrupted: Int = 0) {
        self.machine = machine
        self.building = building
        self.built = built
        self.failed = failed
        self.interrupted = interrupted
    }

    /// The machine without the store URI's query (which holds key paths and options, not a name):
    /// `ssh-ng://root@builder`, or "local".
    public var displayName: String { machine.map(NixMachineCounts.displayName) ?? "local" }

    /// `uri` without its `?query`.
    public static func displayName(_ uri: String) -> String {
        uri.firstIndex(of: "?").map { String(uri[..<$0]) } ?? uri
    }
}

extension NixProcessState {
    /// Per machine, in the order machines first appear in `derivations`: local builds under `machine == nil`.
    /// Only derivations whose build started are counted (not planned, not-built or dependency-failed
    /// ones, which ran nowhere); derivations beyond `derivationLimit` are not either. The failed
    /// counts add up to the derivations marked failed, and so to Nix's own failed count.
    public var machines: [NixMachineCounts] {
        var result: [NixMachineCounts] = []
        var index: [String?: Int] = [:]
        for derivation in derivations where [.building, .built, .failed, .interrupted].contains(derivation.status) {
            let position = index[derivation.host] ?? {
                result.append(NixMachineCounts(machine: derivation.host))
                index[derivation.host] = result.count - 1
                return result.count - 1
            }()
            switch derivation.status {
            case .building: result[position].building += 1
            case .built: result[position].built += 1
            case .failed: result[position].failed += 1
            case .interrupted: result[position].interrupted += 1
            case .planned, .notBuilt, .dependencyFailed: break
            }
        }
        return result
    }
}
