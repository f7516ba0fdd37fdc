import Foundation
import Testing

/// What the dashboard writes to its terminal, recorded byte for byte while it shows hostile output.
@Suite("The dashboard's terminal output carries none of the child's escape sequences", .serialized,
       .enabled(if: Executable.path != nil && FileManager.default.isExecutableFile(atPath: TmuxSession.tmux)
                && FileManager.default.isExecutableFile(atPath: "/usr/bin/script")))
struct DashboardPtyRecordingTests {
    /// printf arguments for the builder: OSC 52/0/2/8, CSI moves and scroll region, DCS/APC/PM,
    /// 8-bit C1, NUL, lone CR, backspace, BEL, bidi override, invalid UTF-8.
    static let hostile = [
        #"osc52 \033]52;c;cHduZWQ=\007"#, #"title \033]0;pwned\007 \033]2;pwned\033\\"#,
        #"link \033]8;;http://evil.invalid\033\\text\033]8;;\033\\"#, #"csi \033[2J\033[H\033[1;3r\033[10A"#,
        #"dcs \033P1$r\033\\ apc \033_x\033\\ pm \033^y\033\\"#, #"c1 \233"31m \235"0;t\234"#,
        #"ctl a\000b\rc\010d\007"#, #"bidi \342\200\256evil"#, #"utf8 \377\376\300"#,
    ]

    /// Byte sequences the dashboard itself never writes; any of them in the recording came from the child.
    static func foreignSequences(in bytes: [UInt8]) -> [String] {
        var found: [String] = []
        for index in bytes.indices {
            let byte = bytes[index]
            let next = index + 1 < bytes.count ? bytes[index + 1] : 0
            if byte == 0x1b && [0x5d, 0x50, 0x5f, 0x5e, 0x58].contains(next) {  // ESC ] P _ ^ X: OSC, DCS, APC, PM, SOS
                found.append("ESC \(Character(UnicodeScalar(next))) at \(index)")
            }
            if byte == 0xc2 && (0x80...0x9f).contains(next) { found.append("C1 U+00\(String(next, radix: 16)) at \(index)") }
            if byte == 0xe2 && next == 0x80 && index + 2 < bytes.count && (0xaa...0xae).contains(bytes[index + 2]) {
                found.append("bidi control at \(index)")
            }
            if byte == 0x07 || byte == 0x00 { found.append("control 0x0\(byte) at \(index)") }
        }
        return found
    }

    @Test("build log, Nix messages, stderr and the failure reason full of escape sequences, recorded with script(1)")
    func recorded() async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("dash-pty-\(UUID().uuidString.prefix(8))").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        let project = root + "/project"
        try FileManager.default.createDirectory(atPath: project, withIntermediateDirectories: true)
        let printing = Self.hostile.map { "printf \"\($0)\\n\"" }.joined(separator: "\n")
        let flake = """
            { outputs = { self }: { nixosConfigurations.evil.config.system.build.toplevel = derivation {
                name = "evil-\(UUID().uuidString.prefix(8))"; system = "x86_64-linux"; builder = "/bin/sh"; PATH = "/usr/bin:/bin";
                args = [ "-c" ''
                  \(printing)
                  (\(printing.replacingOccurrences(of: "\n", with: "; "))) >&2
                  exit 1
                '' ]; }; }; }
            """
        try flake.write(toFile: project + "/flake.nix", atomically: true, encoding: .utf8)
        let state = root + "/state"
        let built = try await submitAndWaitForEngineExit(["submit", "build-project", "--state-dir", state, "--project", project, "--wait"],
                                                         state: state, environment: ["THYMIS_TASKS_NIX_CONFIG": DashboardTmuxTests.nixConfig])
        #expect(built.status == 1, "the build fails on purpose")

        let recording = root + "/typescript"
        let session = try await TmuxSession(command: "LANG=C.UTF-8 script -f -q -c '\(Executable.path!) --state-dir \(state)' \(recording); sleep 30")
        defer { session.close() }
        var screen = try await session.waitFor { $0.contains(text: "Build Project") }
        // Nix tab, each derivation's build log, stdout, stderr, back to the Nix tab's messages.
        try await session.send("3")
        screen = try await session.waitFor { $0.contains(text: "Build log") }
        try await session.send("d")
        screen = try await session.waitFor { $0.contains(text: "osc52") }
        #expect(screen.contains(text: "osc52 ^[]52;c;cHduZWQ=^G"), "\(screen.joined(separator: "\n"))")
        for key in ["5", "3", "E", "2", "1", "w", "3"] {
            try await session.send(key)
            try await Task.sleep(for: .milliseconds(200))
        }
        try await session.send("q")
        screen = try await session.waitFor { $0.allSatisfy { !$0.contains("Build Project") } }
        let bytes = [UInt8](FileManager.default.contents(atPath: recording) ?? Data())
        #expect(bytes.count > 1000, "the recording holds the dashboard's frames")
        let foreign = Self.foreignSequences(in: bytes)
        #expect(foreign.isEmpty, "\(foreign.prefix(10))")
        #expect(!String(decoding: bytes, as: UTF8.self).contains("\u{1b}]0;pwned"))
    }
}
