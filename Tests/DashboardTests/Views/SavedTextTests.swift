import Foundation
import Testing
@testable import Dashboard

/// What `S` saves, `Y` copies and `/` searches is the task's text: the screen's key hints stay on screen.
@Suite("Saved and copied tabs hold no key hints (issue 15)")
struct SavedTextTests {
    @Test("a hint run is drawn but left out of the saved file, the copy and the search")
    func hintsLeftOut() throws {
        let document = TextDocument([
            .styled([StyledRun("Build log (1 derivation, 3 lines)"), StyledRun("   d: open each derivation's log", isKeyHint: true)]),
            .bytes(Array("built kiosk-1".utf8)),
        ])
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("saved-\(UUID().uuidString.prefix(8)).txt").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        _ = try TabExport.save(document, to: path)
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "Build log (1 derivation, 3 lines)\nbuilt kiosk-1\n")
        #expect(document.plainText() == "Build log (1 derivation, 3 lines)\nbuilt kiosk-1\n")
        #expect(document.find("open each", from: 0, direction: 1).line == nil)
        #expect(document.lines(0..<1).first?.runs(columns: 0..<200).map(\.text).joined().contains("d: open each") == true, "still drawn")
    }
}
