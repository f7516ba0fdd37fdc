/// Keeps the first `headLimit` and the last `tailLimit` items appended and counts the ones in between,
/// so a chatty process cannot grow the summary without bound.
public struct BoundedLog<Element: Sendable & Codable & Equatable>: Sendable, Codable, Equatable {
    public private(set) var head: [Element] = []
    /// Oldest first.
    public private(set) var tail: [Element] = []
    /// Items dropped between `head` and `tail`.
    public private(set) var omitted = 0
    public let headLimit: Int
    public let tailLimit: Int

    public init(headLimit: Int, tailLimit: Int) {
        self.headLimit = headLimit
        self.tailLimit = tailLimit
    }

    /// All items appended so far, kept or not.
    public var totalCount: Int { head.count + omitted + tail.count }

    /// The kept items in order (head, then tail).
    public var kept: [Element] { head + tail }

    /// The last item appended.
    public var last: Element? { tail.last ?? head.last }

    public mutating func append(_ item: Element) {
        if head.count < headLimit {
            head.append(item)
            return
        }
        tail.append(item)
        if tail.count > tailLimit {
            tail.removeFirst()
            omitted += 1
        }
    }
}
