import Foundation

extension TaskRun {
    /// Runs `body` and meanwhile calls `tick` every `interval` (a row's live progress while a step
    /// that reports none runs); the ticking has stopped when this returns or throws, so a tick
    /// never overwrites what the caller sets next.
    func whileTicking<T>(every interval: Duration, _ tick: @escaping @Sendable () -> Void,
                         _ body: () async throws -> T) async throws -> T {
        let ticker = Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: interval)
                if !Task.isCancelled { tick() }
            }
        }
        let outcome: Result<T, any Error>
        do { outcome = .success(try await body()) } catch { outcome = .failure(error) }
        ticker.cancel()
        await ticker.value
        return try outcome.get()
    }

    /// A token for one SSH conversation with a device: the task's and a random part, so output the
    /// device prints cannot know it in advance and pose as the conversation's own lines.
    func deviceToken() -> String {
        "\(taskID.uuidString.prefix(8).lowercased())-" + String(UInt64.random(in: .min ... .max), radix: 36)
    }
}
