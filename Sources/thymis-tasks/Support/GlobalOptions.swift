import ArgumentParser
import Foundation
import TaskEngine

/// Options every command takes: where the state lives.
struct GlobalOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp(
        "The state directory (default: $THYMIS_TASKS_STATE_DIR, else $XDG_STATE_HOME/thymis-tasks, else ~/.local/state/thymis-tasks).",
        valueName: "dir"))
    var stateDir: String?

    var directory: StateDirectory { StateDirectory.resolve(explicit: stateDir) }

    /// Opens the store, turning any failure into a clear line and exit code 4. Readers pass
    /// `readOnly`: they then never wait for SQLite's write lock.
    func openStore(readOnly: Bool = false) throws -> TaskStore {
        do {
            return try TaskStore(directory: directory, readOnly: readOnly)
        } catch {
            throw CLIError(error)
        }
    }

    /// The store for `list`: nil when the state directory has none (nothing is created).
    func openExistingStore() throws -> TaskStore? {
        do {
            return try TaskStore(directory: directory, readOnly: true)
        } catch StoreError.noStore {
            return nil
        } catch {
            throw CLIError(error)
        }
    }

    /// Engine settings from the environment (`THYMIS_TASKS_POOLS`, `THYMIS_TASKS_NIX_CONFIG`,
    /// `THYMIS_TASKS_OUTPUT_MAX_SIZE`/`_AGE`); `retention` (serve's flags) replaces the latter two.
    func engineConfiguration(retention: OutputRetentionPolicy? = nil) throws -> EngineConfiguration {
        let limits: [Pool: Int]
        do {
            limits = try EngineConfiguration.poolLimits(from: ProcessInfo.processInfo.environment["THYMIS_TASKS_POOLS"])
        } catch {
            throw CLIError("THYMIS_TASKS_POOLS: \(error)", code: ExitCodes.badInput)
        }
        return EngineConfiguration(poolLimits: limits, retention: try retention ?? Self.retentionPolicy())
    }

    /// The retention policy from the environment over the default, and `size`/`age` (flags) over that.
    static func retentionPolicy(size: String? = nil, age: String? = nil, sizeFlag: String = "--output-max-size",
                                ageFlag: String = "--output-max-age") throws -> OutputRetentionPolicy {
        var policy: OutputRetentionPolicy
        do { policy = try OutputRetentionPolicy.resolve() } catch { throw CLIError("\(error)", code: ExitCodes.badInput) }
        do {
            if let size { policy.maxSize = try OutputRetentionPolicy.parseSize(size, setting: sizeFlag) }
            if let age { policy.maxAge = try OutputRetentionPolicy.parseAge(age, setting: ageFlag) }
        } catch {
            throw CLIError("\(error)", code: ExitCodes.usage)
        }
        return policy
    }
}
