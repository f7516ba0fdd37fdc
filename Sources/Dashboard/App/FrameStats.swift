import Foundation

/// Frame times for measuring the dashboard under load (`THYMIS_TASKS_FRAME_STATS=FILE`): kept in
/// memory on the render thread, written as one line (count, p50, p99, max in ms) when it exits.
final class FrameStats {
    private let path: String
    private var wall: [Double] = []
    private var cpu: [Double] = []
    private var cpuAtTurnStart: Double = 0

    init(path: String) { self.path = path }

    /// The render thread's CPU time in ms: on a loaded machine wall time also counts time the
    /// thread waited for a core, CPU time only the work.
    static func threadCPU() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time)
        return Double(time.tv_sec) * 1000 + Double(time.tv_nsec) / 1e6
    }

    func turnStarted() { cpuAtTurnStart = Self.threadCPU() }

    func record(_ duration: Duration) {
        let components = duration.components
        wall.append(Double(components.seconds) * 1000 + Double(components.attoseconds) / 1e15)
        cpu.append(Self.threadCPU() - cpuAtTurnStart)
    }

    func write() {
        func summary(_ values: [Double]) -> String {
            let sorted = values.sorted()
            func percentile(_ p: Double) -> Double {
                sorted.isEmpty ? 0 : sorted[min(sorted.count - 1, Int((Double(sorted.count - 1) * p).rounded()))]
            }
            return String(format: "p50 %.2f ms p99 %.2f ms max %.2f ms", percentile(0.5), percentile(0.99), sorted.last ?? 0)
        }
        let line = "frames \(wall.count) wall \(summary(wall)); cpu \(summary(cpu))\n"
        try? line.write(toFile: path, atomically: true, encoding: .utf8)
    }
}
