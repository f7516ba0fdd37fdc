import Foundation
import Testing

/// Code points a terminal acts on or that hide or reorder text: `--json` must write them as `\uXXXX`.
let invisibleCodePoints: [UInt32] = [0x7F, 0x85, 0x9B, 0x9D, 0x202A, 0x202E, 0x2066, 0x2069, 0x2028, 0x2029, 0xFEFF, 0x200F]

@Suite("--json escapes every code point a terminal could act on", .serialized,
       .enabled(if: FileManager.default.isExecutableFile(atPath: CLIRunner.executable)))
struct JSONOutputTests {
    let cli: CLIRunner
    init() throws { cli = try CLIRunner() }

    @Test("C1 controls, bidi controls, line separators and the BOM in a submission come out as \\u escapes")
    func invisiblesEscaped() async throws {
        defer { cli.cleanUp() }
        let name = "p" + String(String.UnicodeScalarView(invisibleCodePoints.compactMap(Unicode.Scalar.init))) + "q"
        let project = try cli.makeProject(name, configurations: ["c": "mkdir -p $out"])
        let file = cli.scratch + "/submission.json"
        try JSONSerialization.data(withJSONObject: ["type": "build_project_task", "project_path": project])
            .write(to: URL(fileURLWithPath: file))
        let submitted = try await cli.run(["submit", "--file", file])
        #expect(submitted.status == 0, "\(submitted.stderr)")
        let id = submitted.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        for arguments in [["show", id, "--json"], ["list", "--json"]] {
            let result = try await cli.run(arguments)
            #expect(result.status == 0, "\(arguments): \(result.stderr)")
            let raw = result.stdout.unicodeScalars.filter { invisibleCodePoints.contains($0.value) }
            #expect(raw.isEmpty, "\(arguments): raw \(raw.map { String($0.value, radix: 16) })")
            #expect(result.stdout.contains("\\u009b") && result.stdout.contains("\\u202e") && result.stdout.contains("\\ufeff"),
                    "\(arguments)")
            // Still the same JSON: the path reads back exactly.
            let parsed = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8))
            let record = (parsed as? [String: Any]) ?? (parsed as? [[String: Any]])?.first ?? [:]
            #expect((record["submission"] as? [String: Any])?["project_path"] as? String == project, "\(arguments)")
        }
    }
}
