import Foundation
import Synchronization

/// Reads a child's stdout and stderr pipes on a thread of its own, with `poll` and large raw reads.
///
/// A dedicated thread keeps blocking reads off Swift's cooperative pool and lets output be read at
/// pipe speed; lines are split by the consumer, never by a String API.
final class OutputPump: Sendable {
    enum Stream: Sendable { case stdout, stderr }

    private let stdoutFD: Int32
    private let stderrFD: Int32
    private let aborted = Mutex(false)
    /// Whether the pump has ended, and who waits for that; one lock so no wake-up is lost.
    private let completion = Mutex<(done: Bool, waiter: CheckedContinuation<Void, Never>?)>((false, nil))

    /// Reads smaller than this are followed by a 2 ms pause, to read many small writes at once.
    static let coalesceBelow = 64 * 1024

    /// Takes ownership of both read ends; they are closed when the pump ends.
    init(stdoutFD: Int32, stderrFD: Int32) {
        self.stdoutFD = stdoutFD
        self.stderrFD = stderrFD
    }

    /// Starts reading. `receive` and `tick` run on the pump's thread only, in order; `finish` runs once at the end.
    func start(receive: @escaping @Sendable (Stream, UnsafeRawBufferPointer) -> Void,
               tick: @escaping @Sendable () -> Void,
               finish: @escaping @Sendable () -> Void) {
        let thread = Thread { [self] in
            self.loop(receive: receive, tick: tick)
            finish()
            let waiter = self.completion.withLock { state -> CheckedContinuation<Void, Never>? in
                state.done = true
                defer { state.waiter = nil }
                return state.waiter
            }
            waiter?.resume()
        }
        thread.name = "thymis-output-pump"
        thread.start()
    }

    /// Stops reading at the next poll (used when something outside the task's group keeps a pipe open).
    func abort() { aborted.withLock { $0 = true } }

    /// Waits until both pipes reached end of file (or the pump was aborted) and `finish` ran.
    func waitUntilFinished() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let alreadyDone = completion.withLock { state -> Bool in
                if !state.done { state.waiter = continuation }
                return state.done
            }
            if alreadyDone { continuation.resume() }
        }
    }

    /// Waits up to `timeout`; returns false if the pump is still reading then.
    func waitUntilFinished(timeout: Duration) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if completion.withLock({ $0.done }) { return true }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return completion.withLock { $0.done }
    }

    private func loop(receive: (Stream, UnsafeRawBufferPointer) -> Void, tick: () -> Void) {
        let bufferSize = 256 * 1024
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: bufferSize, alignment: 16)
        defer { buffer.deallocate() }
        var fds = [pollfd(fd: stdoutFD, events: Int16(POLLIN), revents: 0),
                   pollfd(fd: stderrFD, events: Int16(POLLIN), revents: 0)]
        var open = 2
        while open > 0 {
            if aborted.withLock({ $0 }) { break }
            let ready = poll(&fds, nfds_t(fds.count), 50)
            if ready < 0 && errno != EINTR { break }
            var readNow = 0
            if ready > 0 {
                for index in fds.indices where fds[index].fd >= 0 && fds[index].revents != 0 {
                    let count = read(fds[index].fd, buffer.baseAddress, bufferSize)
                    if count > 0 {
                        readNow += count
                        receive(index == 0 ? .stdout : .stderr, UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
                    } else if count == 0 || (errno != EINTR && errno != EAGAIN) {
                        close(fds[index].fd)
                        fds[index].fd = -1
                        open -= 1
                    }
                }
            }
            tick()
            // A child that writes line by line (nix does, one JSON object per write) would wake this
            // thread for every line; a short pause lets the (1 MiB) pipe gather more. It adds at most
            // 2 ms of latency and never applies while output streams in large reads.
            if readNow > 0 && readNow < Self.coalesceBelow { usleep(2_000) }
        }
        for entry in fds where entry.fd >= 0 { close(entry.fd) }
    }
}
