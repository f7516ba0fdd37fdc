import ArgumentParser

/// A mistyped command or submit form, found after the parser refused the command line.
///
/// The parser suggests options (`--projct` -> `--project`) but not subcommands: an unknown word in a
/// command's place goes to the default command (`dashboard`: "Unexpected argument 'lst'") or is left
/// over while a later option is blamed (`submit build-projct --project X`: "Unknown option
/// '--project'"). Only the first word after a command that has subcommands is looked at, so a value of
/// an option (`--state-dir lst`) is never taken for a command.
struct UnknownCommand: Equatable {
    /// The word as typed.
    let word: String
    /// The command whose subcommand it should have been (`thymis-tasks`, `submit`).
    let parent: String
    /// The closest subcommand name, when one is close enough to be what was meant.
    let suggestion: String?
    /// Every subcommand name, for when none is close.
    let choices: [String]

    /// `unknown command "lst"; did you mean "list"?`, `unknown submit form "build-projct"; did you mean "build-project"?`.
    var message: String {
        let what = parent == ThymisTasks.configuration.commandName ? "command" : "\(parent) form"
        let help = parent == ThymisTasks.configuration.commandName ? "thymis-tasks --help" : "thymis-tasks \(parent) --help"
        if let suggestion { return "unknown \(what) \"\(word)\"; did you mean \"\(suggestion)\"?" }
        return "unknown \(what) \"\(word)\"; use one of \(choices.joined(separator: ", ")) (see `\(help)`)"
    }

    /// The unknown command in `arguments` (without the program name), walking down from `root`; nil
    /// when every word in a command's place names one.
    static func find(in arguments: [String], root: any ParsableCommand.Type) -> UnknownCommand? {
        var command = root
        var rest = arguments[...]
        while let word = rest.first {
            let subcommands = command.configuration.subcommands
            guard !subcommands.isEmpty, !word.hasPrefix("-") else { return nil }
            if let next = subcommands.first(where: { names(of: $0).contains(word) }) {
                command = next
                rest = rest.dropFirst()
                continue
            }
            let choices = subcommands.filter { $0.configuration.shouldDisplay }.compactMap { names(of: $0).first }
            return UnknownCommand(word: word, parent: names(of: command).first ?? "", suggestion: closest(to: word, in: choices),
                                  choices: choices)
        }
        return nil
    }

    static func names(of command: any ParsableCommand.Type) -> [String] {
        [command.configuration.commandName ?? command._commandName] + command.configuration.aliases
    }

    /// The choice with the fewest edits from `word`, if that is few enough to be a slip of the keyboard
    /// (two, or a third of the word for long ones), or the one `word` is a prefix of.
    static func closest(to word: String, in choices: [String]) -> String? {
        let lower = word.lowercased()
        let ranked = choices.map { (choice: $0, distance: editDistance(lower, $0)) }.sorted { $0.distance < $1.distance }
        if let best = ranked.first, best.distance <= max(2, lower.count / 3) { return best.choice }
        let prefixed = choices.filter { $0.hasPrefix(lower) }
        return prefixed.count == 1 ? prefixed[0] : nil
    }

    /// Levenshtein distance, with a swap of neighbours counting as one edit (`lsit` -> `list`).
    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        guard !a.isEmpty else { return b.count }
        guard !b.isEmpty else { return a.count }
        var table = Array(repeating: Array(repeating: 0, count: b.count + 1), count: a.count + 1)
        for i in 0...a.count { table[i][0] = i }
        for j in 0...b.count { table[0][j] = j }
        for i in 1...a.count {
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                table[i][j] = min(table[i - 1][j] + 1, table[i][j - 1] + 1, table[i - 1][j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                    table[i][j] = min(table[i][j], table[i - 2][j - 2] + 1)
                }
            }
        }
        return table[a.count][b.count]
    }
}
