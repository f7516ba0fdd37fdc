import Foundation
import Testing

/// A value that would change the window title and make the terminal answer into stdin, with a newline.
let titleAndQuery = "x\u{1b}]0;T\u{07}\u{1b}[6n\ny"

/// JSON text for a string (so the hostile value can sit inside a submission).
func jsonString(_ value: String) -> String {
    String(decoding: try! JSONSerialization.data(withJSONObject: [value], options: [.fragmentsAllowed]), as: UTF8.self)
        .dropFirst().dropLast().description
}

@Suite("error messages that echo a value show it visibly, on one line", .serialized,
       .enabled(if: FileManager.default.isExecutableFile(atPath: CLIRunner.executable)
                && FileManager.default.isExecutableFile(atPath: "/usr/bin/script")))
struct EchoedErrorTests {
    let cli: CLIRunner
    init() throws { cli = try CLIRunner() }

    /// Submissions and arguments whose error echoes the hostile value, with the exit code expected.
    func cases() throws -> [(name: String, arguments: [String], status: Int32)] {
        let value = jsonString(titleAndQuery)
        let project = try cli.makeProject("p", configurations: ["c": "mkdir -p $out"])
        let submissions: [(String, String)] = [
            ("submission type", #"{"type": \#(value)}"#),
            ("unknown field name", #"{"type": "build_project_task", "project_path": "/tmp", \#(value): 1}"#),
            ("access_tokens host", #"{"type": "build_project_task", "project_path": "\#(project)", "access_tokens": {\#(value): 7}}"#),
            ("access_tokens host with a space", #"{"type": "build_project_task", "project_path": "\#(project)", "access_tokens": {"a \u001b[6n": "t"}}"#),
            ("path", #"{"type": "build_project_task", "project_path": "/tmp/\u001b]0;T\u0007\u001b[6n"}"#),
        ]
        var result: [(String, [String], Int32)] = []
        for (name, json) in submissions {
            let file = cli.scratch + "/\(result.count).json"
            try json.write(toFile: file, atomically: true, encoding: .utf8)
            result.append((name, ["submit", "--file", file], 2))
        }
        result += [
            ("submission file path", ["submit", "--file", "/nonexistent/" + titleAndQuery], 2),
            ("id given to show", ["show", titleAndQuery], 3),
            ("id given to logs", ["logs", titleAndQuery], 3),
            ("list --state", ["list", "--state", titleAndQuery], 64),
            ("logs --stream (the argument parser's message)", ["logs", "abc", "--stream", titleAndQuery], 64),
            ("an unknown option (the argument parser's message)", ["list", "--" + titleAndQuery], 64),
            ("list --type", ["list", "--type", titleAndQuery], 64),
        ]
        return result
    }

    @Test("submission type, field names, access_tokens hosts, paths, ids, and the argument parser's messages")
    func echoedValues() async throws {
        defer { cli.cleanUp() }
        let project = try cli.makeProject("store", configurations: ["c": "mkdir -p $out"])
        let stored = try await cli.run(["submit", "build-project", "--project", project, "--wait"])
        #expect(stored.status == 0, "\(stored.stderr)")
        for test in try cases() {
            let plain = try await cli.run(test.arguments)
            #expect(plain.status == test.status, "\(test.name): exit \(plain.status): \(plain.stderr)")
            #expect(plain.stderr.split(separator: "\n", omittingEmptySubsequences: false).count == 2,
                    "\(test.name): one line ending in a newline: \(plain.stderr.debugDescription)")
            #expect(plain.stderr.contains("^[") || plain.stderr.contains("^J"), "\(test.name): the value is shown visibly: \(plain.stderr.debugDescription)")
            let pty = try await ptyRun(test.arguments)
            let problems = terminalSafetyProblems(pty)
            #expect(problems.isEmpty, "\(test.name): \(problems.prefix(5)): \(String(decoding: pty, as: UTF8.self).debugDescription)")
        }
    }

    /// Runs `thymis-tasks ARGS` under `script`, returning what the pseudo-terminal received.
    func ptyRun(_ arguments: [String]) async throws -> [UInt8] {
        let output = cli.scratch + "/pty-\(UUID().uuidString.prefix(6))"
        // The command goes in a file: script(1) logs its -c command line raw in the typescript's header.
        let command = ([CLIRunner.executable] + arguments)
            .map { "'" + $0.replacingOccurrences(of: "'", with: "'\\''") + "'" }.joined(separator: " ")
        let wrapper = output + ".sh"
        try ("#!/bin/sh\nexec " + command + "\n").write(toFile: wrapper, atomically: true, encoding: .utf8)
        chmod(wrapper, 0o755)
        _ = try await cli.runProgram("/usr/bin/script", ["-q", "-e", "-c", wrapper, output])
        return [UInt8](FileManager.default.contents(atPath: output) ?? Data())
    }
}
