import Foundation

/// One result per fleet (issue 27): the children of one Deploy Devices or plan that need the same
/// value (the toplevel of a configuration they share, that toplevel's closure sizes) get it from the
/// first child that computed it, instead of each running the same `nix build` and `nix path-info`.
/// Twenty kiosks of one configuration evaluate it once.
///
/// Only children of the same parent share, and only while the value still holds: a toplevel is
/// reused only while it is in the store. The first child runs the process (it shows in its Process
/// tab); the others wait for it. When it fails, each waiting child runs its own, so every child's
/// failure names its own process and cause.
actor FleetShared<Value: Sendable> {
    private enum Entry {
        case running
        case done(Value)
        case failed
    }

    private var entries: [String: Entry] = [:]
    private var waiters: [String: [CheckedContinuation<Value?, Never>]] = [:]
    private var order: [String] = []
    private let stillValid: @Sendable (Value) -> Bool

    init(stillValid: @escaping @Sendable (Value) -> Bool = { _ in true }) {
        self.stillValid = stillValid
    }

    /// The shared value of `key`, or nil: then the caller computes it and calls `finish` (with nil on failure).
    func claim(_ key: String) async -> Value? {
        switch entries[key] {
        case .done(let value)? where stillValid(value):
            return value
        case .running?:
            return await withCheckedContinuation { waiters[key, default: []].append($0) }
        case .failed?:
            return nil
        default:
            entries[key] = .running
            remember(key)
            return nil
        }
    }

    /// What the claimer computed (nil: it failed; the waiters compute their own).
    func finish(_ key: String, _ value: Value?) {
        guard case .running? = entries[key] else { return }
        entries[key] = value.map(Entry.done) ?? .failed
        for waiter in waiters.removeValue(forKey: key) ?? [] { waiter.resume(returning: value) }
    }

    /// Keeps the last 512 keys: fleets end, their values need not stay.
    private func remember(_ key: String) {
        order.append(key)
        guard order.count > 512 else { return }
        let old = order.removeFirst()
        if case .running? = entries[old] { order.append(old); return }
        entries[old] = nil
    }

    /// The key of a process in a fleet: what it runs, with which settings, where, for which parent.
    static func key(parent: UUID, _ spec: ProcessSpec) -> String {
        let environment = spec.environment.keys.sorted().map { "\($0)=\(spec.environment[$0]!)" }
        return ([parent.uuidString, spec.program, spec.workingDirectory ?? ""] + spec.arguments + environment).joined(separator: "\u{0}")
    }
}

enum FleetBuilds {
    /// Toplevels, reused while they are in the store.
    static let toplevels = FleetShared<String>(stillValid: { FileManager.default.fileExists(atPath: $0) })
    /// Closure sizes (`nix path-info --json -r`), per toplevel.
    static let closures = FleetShared<[String: UInt64]>()

    /// The parent of the task `run` runs, when it is a child (only children share).
    static func parent(of run: TaskRun) -> UUID? {
        (try? run.store.task(run.taskID))?.parentID
    }

    /// `compute`'s result, shared by the children of one parent under `key`.
    static func shared<Value: Sendable>(_ cache: FleetShared<Value>, parent: UUID?, spec: ProcessSpec,
                                        compute: () async throws -> Value) async throws -> (value: Value, shared: Bool) {
        guard let parent else { return (try await compute(), false) }
        let key = FleetShared<Value>.key(parent: parent, spec)
        if let value = await cache.claim(key) { return (value, true) }
        do {
            let value = try await compute()
            await cache.finish(key, value)
            return (value, false)
        } catch {
            await cache.finish(key, nil)
            throw error
        }
    }
}
