/// The scroll state of every text tab, one per `DetailTab`: a lookup that cannot miss.
struct TabViews: Hashable, Sendable {
    private var states = DetailTab.allCases.map { LogViewState(follow: $0.followsOutput) }

    subscript(tab: DetailTab) -> LogViewState {
        get { states[tab.rawValue] }
        set { states[tab.rawValue] = newValue }
    }
}
