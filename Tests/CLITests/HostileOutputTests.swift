import Foundation
import Testing

/// Escape sequences and control bytes a build, a device or a submission could carry (issue 6's corpus).
let hostileSequences: [(name: String, shell: String)] = [
    ("OSC 52 clipboard write", #"\033]52;c;cHduZWQ=\007"#),
    ("OSC 0 window title", #"\033]0;pwned\007"#),
    ("OSC 2 title with ST", #"\033]2;pwned\033\\"#),
    ("OSC 8 hyperlink", #"\033]8;;http://evil.invalid\033\\link\033]8;;\033\\"#),
    ("CSI erase, home, scroll region, cursor up", #"\033[2J\033[H\033[1;3r\033[10A"#),
    ("DCS, APC, PM strings", #"\033P1$r\033\\\033_apc\033\\\033^pm\033\\"#),
    ("8-bit C1 CSI and OSC", #"\233" "31m\235" "0;t\234"#),
    ("NUL, lone CR, backspace, BEL", #"a\000b\rc\010d\007"#),
    ("bidi override", #"\342\200\256evil"#),
    ("invalid UTF-8", #"\377\376\300"#),
]

/// What may reach the terminal from the CLI: printable text, newlines (the pty adds CR before LF), tabs.
func terminalSafetyProblems(_ bytes: [UInt8]) -> [String] {
    var problems: [String] = []
    for (index, byte) in bytes.enumerated() {
        switch byte {
        case 0x1b: problems.append("ESC at \(index)")
        case 0x00...0x08, 0x0b, 0x0c, 0x0e...0x1a, 0x1c...0x1f, 0x7f: problems.append("control 0x\(String(byte, radix: 16)) at \(index)")
        case 0x0d where index + 1 >= bytes.count || bytes[index + 1] != 0x0a: problems.append("lone CR at \(index)")
        case 0xc2 where index + 1 < bytes.count && (0x80...0x9f).contains(bytes[index + 1]):
            problems.append("C1 U+00\(String(bytes[index + 1], radix: 16)) at \(index)")
        case 0xe2 where index + 2 < bytes.count && bytes[index + 1] == 0x80 && (0xaa...0xae).contains(bytes[index + 2]):
            problems.append("bidi control at \(index)")
        default: break
        }
    }
    return problems
}

@Suite("hostile bytes never reach the terminal through the CLI's human output", .serialized,
       .enabled(if: FileManager.default.isExecutableFile(atPath: CLIRunner.executable)
                && FileManager.default.isExecutableFile(atPath: "/usr/bin/script")))
struct HostileOutputTests {
    let cli: CLIRunner
    init() throws { cli = try CLIRunner() }

    @Test("logs, show and list of a build that prints and fails with every hostile sequence")
    func hostileBuild() async throws {
        defer { cli.cleanUp() }
        let printing = hostileSequences.map { "printf '%s: '; printf \"\($0.shell)\"; echo" .replacingOccurrences(of: "%s", with: $0.name) }
            .joined(separator: "; ")
        let project = try cli.makeProject("hostile", configurations: ["evil": "\(printing); \(printing) >&2; exit 1"])
        let submitted = try await cli.run(["submit", "build-project", "--project", project, "--wait"])
        #expect(submitted.status == 1)
        let id = submitted.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(!id.isEmpty)
        for arguments in [["logs", id, "--stream", "build"], ["logs", id], ["show", id], ["list"]] {
            let bytes = try await ptyRun(arguments)
            #expect(!bytes.isEmpty, "\(arguments) printed nothing")
            let problems = terminalSafetyProblems(bytes)
            #expect(problems.isEmpty, "\(arguments): \(problems.prefix(5))")
        }
        // Shown visibly, not dropped.
        let logs = String(decoding: try await ptyRun(["logs", id, "--stream", "build"]), as: UTF8.self)
        #expect(logs.contains("^[]52;c;cHduZWQ="))
        #expect(logs.contains("<U+202E>evil"))
    }

    @Test("a project directory whose name carries escape sequences is shown safely")
    func hostileSubmissionField() async throws {
        defer { cli.cleanUp() }
        let project = try cli.makeProject("proj\u{1b}]0;pwned\u{07}\u{1b}[2J", configurations: ["c": "mkdir -p $out"])
        let submitted = try await cli.run(["submit", "build-project", "--project", project, "--wait"])
        // Nix may well refuse such a path; either way the task is stored and must be shown safely.
        #expect(submitted.status == 0 || submitted.status == 1, "\(submitted.stderr)")
        let id = submitted.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        for arguments in [["show", id], ["list"]] {
            let problems = terminalSafetyProblems(try await ptyRun(arguments))
            #expect(problems.isEmpty, "\(arguments): \(problems.prefix(5))")
        }
    }

    @Test("nix-log FILE of a log with an OSC in a derivation name, a NUL and a bidi override prints them visibly")
    func hostileNixLog() async throws {
        defer { cli.cleanUp() }
        let drv = #"/nix/store/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-evil\u001b]0;pwned\u0007\u001b[2J.drv"#
        let log = [
            #"@nix {"action":"start","id":7,"level":3,"type":105,"text":"building '\#(drv)'","fields":["\#(drv)","",1,1]}"#,
            #"@nix {"action":"result","id":7,"type":101,"fields":["line\u0000with NUL \u202eevil \u009b31m"]}"#,
            #"@nix {"action":"msg","level":0,"msg":"error: builder for '\#(drv)' failed with exit code 1 \u001b]52;c;cHduZWQ=\u0007"}"#,
            #"@nix {"action":"stop","id":7}"#,
        ].joined(separator: "\n") + "\n"
        let file = cli.scratch + "/hostile.log"
        try log.write(toFile: file, atomically: false, encoding: .utf8)
        for arguments in [["nix-log", file], ["nix-log", file, "--json"]] {
            let bytes = try await ptyRun(arguments)
            #expect(!bytes.isEmpty, "\(arguments) printed nothing")
            let problems = terminalSafetyProblems(bytes)
            #expect(problems.isEmpty, "\(arguments): \(problems.prefix(5))")
        }
        let text = String(decoding: try await ptyRun(["nix-log", file]), as: UTF8.self)
        #expect(text.contains("evil^[]0;pwned^G^[[2J"), "\(text)")
        #expect(text.contains("<U+202E>evil"), "\(text)")
    }

    /// Runs `thymis-tasks ARGS` under `script`, returning what the pseudo-terminal received.
    func ptyRun(_ arguments: [String]) async throws -> [UInt8] {
        let output = cli.scratch + "/pty-\(UUID().uuidString.prefix(6))"
        let command = ([CLIRunner.executable] + arguments)
            .map { "'" + $0.replacingOccurrences(of: "'", with: "'\\''") + "'" }.joined(separator: " ")
        let result = try await cli.runProgram("/usr/bin/script", ["-q", "-e", "-c", command, output])
        #expect(result.status == 0 || arguments.first == "logs", "\(arguments): \(result.stderr)")
        return [UInt8](FileManager.default.contents(atPath: output) ?? Data())
    }
}
