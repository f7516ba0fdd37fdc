// Putting the terminal back from a path where curses must not be called: a signal handler,
// a crash, another thread.
import Glibc

/// Restores the terminal without ncurses: writes a reset sequence prepared when the terminal
/// was opened (leave the alternate screen, show the cursor, reset attributes, keypad and mouse
/// off) and puts back the termios settings saved before curses changed them.
///
/// `run()` is async-signal-safe: it only calls `write(2)` and `tcsetattr(3)` on memory that was
/// set up before and is never freed, takes no locks and allocates nothing. So it may be called
/// from a DispatchSource signal handler on any queue, or from a real signal handler, while the
/// render thread is in the middle of a frame. It does not touch curses' state; if the program
/// goes on using curses afterwards, call `NcursesTerminal.restore()` as usual.
enum EmergencyTerminalRestore {
    // `nonisolated(unsafe)`: written only by `arm` while opening the terminal, before any
    // signal handling that might call `run()` is installed; read-only afterwards. The
    // buffer is allocated once and never freed, so a late `run()` cannot see freed memory.
    private nonisolated(unsafe) static var sequence: UnsafeMutableBufferPointer<UInt8>? = nil
    private nonisolated(unsafe) static var savedAttributes: UnsafeMutablePointer<termios>? = nil
    private nonisolated(unsafe) static var outputDescriptor: Int32 = -1
    private nonisolated(unsafe) static var inputDescriptor: Int32 = -1
    private nonisolated(unsafe) static var length = 0
    private nonisolated(unsafe) static var hasAttributes = false

    /// Records what `run()` needs. Called by `NcursesTerminal` while opening.
    static func arm(output: Int32, input: Int32, attributes: termios?, resetSequence: [UInt8]) {
        if sequence == nil {
            sequence = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: 256)
            savedAttributes = UnsafeMutablePointer<termios>.allocate(capacity: 1)
        }
        let count = min(resetSequence.count, sequence!.count)
        for i in 0..<count { sequence![i] = resetSequence[i] }
        length = count
        if let attributes { savedAttributes!.pointee = attributes }
        hasAttributes = attributes != nil
        outputDescriptor = output
        inputDescriptor = input
    }

    /// Writes the reset sequence and restores the saved terminal settings. Harmless to call
    /// when nothing was armed or more than once.
    static func run() {
        guard outputDescriptor >= 0, let sequence, let base = sequence.baseAddress else { return }
        var written = 0
        while written < length {
            let n = write(outputDescriptor, base + written, length - written)
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            written += n
        }
        if hasAttributes, let savedAttributes, inputDescriptor >= 0 {
            _ = tcsetattr(inputDescriptor, TCSANOW, savedAttributes)
        }
    }
}
