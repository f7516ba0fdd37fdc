import Foundation

/// Frame times for measuring the dashboard under load (`THYMIS_TASKS_FRAME_STATS=FILE`): kept in
/// memory on the render thread, written as one line (count, p50, p99, max in ms) when it exits.
final class FrameStats {
    private let path: String
    private var milliseconds: [Double] = []

    init(path: String) { self.path = path }

    func record(_ duration: Duration) {
        let components = duration.components
        milliseconds.append(Double(components.seconds) * 1000 + Double(components.attoseconds) / 1e15)
    }

    func write() {
        let sorted = milliseconds.sorted()
        func percentile(_ p: Double) -> Double {
            sorted.isEmpty ? 0 : sorted[min(sorted.count - 1, Int((Double(sorted.count - 1) * p).rounded()))]
        }
        let line = String(format: "frames %d p50 %.2f ms p99 %.2f ms max %.2f ms\n", sorted.count, percentile(0.5),
                          percentile(0.99), sorted.last ?? 0)
        try? line.write(toFile: path, atomically: true, encoding: .utf8)
    }
}
