import Dispatch
import Foundation

/// Turns SIGINT, SIGTERM and SIGHUP into a callback on a queue, so whoever hosts the engine can shut it
/// down cleanly (final states recorded, processes stopped) instead of dying with them unrecorded.
///
/// The one signal class of the program: the engine host, `serve`, the CLI and the dashboard all use it.
/// With `escalation`, a signal whose clean stop has not finished after that long runs `onStuck` (the
/// dashboard restores the terminal and exits when a frame is stuck).
///
/// `@unchecked Sendable`: the sources are created in `init`, never changed, and only cancelled in `deinit`
/// (dispatch sources are thread-safe).
public final class SignalWatch: @unchecked Sendable {
    private let sources: [any DispatchSourceSignal]

    public init(signals: [Int32] = [SIGINT, SIGTERM, SIGHUP],
                escalation: (after: Duration, onStuck: @Sendable (Int32) -> Void)? = nil,
                handler: @escaping @Sendable (Int32) -> Void) {
        var sources: [any DispatchSourceSignal] = []
        for number in signals {
            // Ignored as a disposition, delivered through the dispatch source instead.
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler {
                handler(number)
                if let escalation {
                    let seconds = Double(escalation.after.components.seconds) + Double(escalation.after.components.attoseconds) / 1e18
                    DispatchQueue.global().asyncAfter(deadline: .now() + seconds) { escalation.onStuck(number) }
                }
            }
            source.resume()
            sources.append(source)
        }
        self.sources = sources
    }

    deinit { for source in sources { source.cancel() } }
}
