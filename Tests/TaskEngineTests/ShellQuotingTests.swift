import Foundation
import Testing
@testable import TaskEngine

/// Command lines that `show`, `report` and the cause print can be pasted into bash and run the same
/// command: a word holding a newline or another control character is quoted `$'…\n…'` (issue 30:
/// `NIX_CONFIG='…^J…'` once the sanitiser had shown the newline).
@Suite("shellQuoted: plain words as they are, control characters in bash's $'…' form")
struct ShellQuotingTests {
    @Test("plain, single-quoted and $'…' words", arguments: [
        ("build", "build"),
        ("", "''"),
        ("a b", "'a b'"),
        ("it's", "'it'\\''s'"),
        ("substituters =\nsandbox = false", "$'substituters =\\nsandbox = false'"),
        ("tab\there, it's \\ back", "$'tab\\there, it\\'s \\\\ back'"),
        ("\u{1B}[31mred\r", "$'\\E[31mred\\r'"),
        ("bell\u{07}del\u{7F}", "$'bell\\x07del\\x7f'"),
        ("evil\u{202E}txt\u{9B}", "$'evil\\u202etxt\\u009b'"),
        ("grüße", "'grüße'"),
    ])
    func quoting(_ word: String, _ expected: String) {
        #expect(shellQuoted(word) == expected)
    }

    @Test("bash reads every quoted word back as the word itself", .enabled(if: FileManager.default.isExecutableFile(atPath: "/bin/bash")))
    func roundTrip() throws {
        let words = ["plain", "a b", "it's", "line one\nline two\n", "tab\tand \\ and ' and \"", "\u{1B}[2J\u{07}\u{7F}", "bidi\u{202E}x\u{2066}y\u{9B}z", "ünïcode ok"]
        for word in words {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/bin/bash")
            process.arguments = ["-c", "printf '%s' \(shellQuoted(word))"]
            process.environment = ["LC_ALL": "C.UTF-8"]
            let pipe = Pipe()
            process.standardOutput = pipe
            try process.run()
            let data = pipe.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            #expect(String(decoding: data, as: UTF8.self) == word, "\(shellQuoted(word))")
        }
    }

    @Test("a process whose environment and arguments hold newlines: its shell line has no raw control character")
    func shellLine() {
        var process = ProcessRecord(taskID: UUID(), index: 0, program: "/usr/bin/nix", arguments: ["eval", "--expr", "1\n+ 1"],
                                    environment: [:], workingDirectory: nil)
        process.exitCode = 0
        #expect(process.shellLine == "/usr/bin/nix eval --expr $'1\\n+ 1'")
        #expect(!process.shellLine.unicodeScalars.contains { $0.value < 0x20 })
    }
}
