import Foundation

/// A snapshot of the process table (from /proc): who is whose parent, in which group, since when.
struct ProcessTree {
    struct Entry {
        let pid: Int32
        let parent: Int32
        let group: Int32
        let startTicks: UInt64
        let isZombie: Bool
    }

    private(set) var entries: [Int32: Entry] = [:]
    private var children: [Int32: [Int32]] = [:]

    /// Reads every /proc/PID/stat once.
    static func snapshot() -> ProcessTree {
        var tree = ProcessTree()
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return tree }
        for name in names {
            guard let pid = Int32(name), let entry = read(pid) else { continue }
            tree.entries[pid] = entry
            tree.children[entry.parent, default: []].append(pid)
        }
        return tree
    }

    static func read(_ pid: Int32) -> Entry? {
        let fd = open("/proc/\(pid)/stat", O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 1024)
        let count = buffer.withUnsafeMutableBytes { Foundation.read(fd, $0.baseAddress, 1023) }
        guard count > 0, let close = buffer[0..<count].lastIndex(of: UInt8(ascii: ")")) else { return nil }
        let fields = buffer[(close + 2)..<count].split(separator: UInt8(ascii: " "))
        // fields[0] state, [1] ppid, [2] pgrp, [19] starttime
        guard fields.count > 19,
              let parent = Int32(String(decoding: fields[1], as: UTF8.self)),
              let group = Int32(String(decoding: fields[2], as: UTF8.self)),
              let ticks = UInt64(String(decoding: fields[19], as: UTF8.self)) else { return nil }
        return Entry(pid: pid, parent: parent, group: group, startTicks: ticks, isZombie: fields[0].first == UInt8(ascii: "Z"))
    }

    /// Every live descendant of `pid`, depth first.
    func descendants(of pid: Int32) -> [Entry] {
        var result: [Entry] = []
        var stack = children[pid] ?? []
        var seen: Set<Int32> = []
        while let next = stack.popLast() {
            guard seen.insert(next).inserted, let entry = entries[next] else { continue }
            if !entry.isZombie { result.append(entry) }
            stack.append(contentsOf: children[next] ?? [])
        }
        return result
    }
}
