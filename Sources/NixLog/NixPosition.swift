/// A source position as Nix reports it. Nix 2.8 sends `file`, `line` and `column` apart; Nix 2.26
/// (and later) sends the position in `file` as well (`PATH:LINE:COL`, with `line` and `column`
/// also set, or only there). The path, line and column always come out apart, whichever shape came.
struct NixPosition: Equatable {
    var file: String?
    var line: Int?
    var column: Int?

    init(file: String?, line: Int?, column: Int?) {
        self.file = file
        self.line = line
        self.column = column
        guard let file else { return }
        // `PATH:LINE:COL` or `PATH:LINE`, the numbers taken only when they agree with the fields given.
        let parts = file.split(separator: ":", omittingEmptySubsequences: false)
        if parts.count >= 3, let l = Int(parts[parts.count - 2]), let c = Int(parts[parts.count - 1]),
           line == nil || line == l, column == nil || column == c {
            self.file = parts.dropLast(2).joined(separator: ":")
            self.line = l
            self.column = c
        } else if parts.count >= 2, let l = Int(parts[parts.count - 1]), line == nil || line == l, column == nil {
            self.file = parts.dropLast().joined(separator: ":")
            self.line = l
        }
    }
}
