// `thymis-tasks nix-log FILE [--json]`: the summary the engine keeps, computed from a captured nix stderr file.
import ArgumentParser
import Dashboard
import Foundation
import NixLog
import TaskEngine

struct NixLogCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "nix-log",
        abstract: "Summarise a captured nix stderr (run with --log-format internal-json -v).",
        discussion: """
            Prints Nix errors (with file, line, column and trace), messages by level, build progress, \
            derivations with their state, phase, host and last log line, and line counts. \
            See docs/nixlog.md for the JSON shape.
            """)

    @Argument(help: "The captured stderr file.")
    var file: String

    @Flag(help: "Print the summary as JSON (keys: errors, messagesByLevel, buildLogLines, builds, otherLines, ...).")
    var json = false

    /// Chunk size for reading: the same order as pipe reads in the engine.
    private static let chunkBytes = 64 * 1024

    func run() throws {
        guard let handle = FileHandle(forReadingAtPath: file) else {
            throw ValidationError("cannot open \(file): check that it exists and is readable")
        }
        defer { try? handle.close() }
        var decoder = NixLogDecoder()
        while let chunk = try handle.read(upToCount: Self.chunkBytes), !chunk.isEmpty {
            chunk.withUnsafeBytes { decoder.feed($0) { _ in } }
        }
        decoder.finish { _ in }

        let report = NixLogReport(state: decoder.state)
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            print(JSONValue.escapingInvisibles(String(decoding: try encoder.encode(report), as: UTF8.self)))
        } else {
            // Derivation names, messages and build lines are the log's bytes: shown safely, line by
            // line, as every other viewer shows them (an OSC in a name must not retitle the terminal).
            let lines = report.text.split(separator: "\n", omittingEmptySubsequences: false)
            print(lines.map { TerminalText.sanitizedPlainText(Array($0.utf8)) }.joined(separator: "\n"), terminator: "")
        }
    }
}
