import Testing
@testable import Dashboard

private let control = TextStyle.visibleControl
private let red = TextStyle(foreground: .red)

private func runs(_ text: String) -> [StyledRun] { StyledText.parse(bytes: Array(text.utf8)) }
private func runs(_ bytes: [UInt8]) -> [StyledRun] { StyledText.parse(bytes: bytes) }

@Suite("Sanitizing child output: SGR becomes style")
struct SGRTests {
    @Test("plain text is one plain run")
    func plain() {
        #expect(runs("hello world") == [StyledRun("hello world")])
    }

    @Test("bold red and reset change the style and are not shown")
    func basicColors() {
        #expect(runs("\u{1B}[1;31mred\u{1B}[0m plain") == [
            StyledRun("red", TextStyle(foreground: .red, bold: true)), StyledRun(" plain"),
        ])
    }

    @Test("an empty SGR resets")
    func emptyResets() {
        #expect(runs("\u{1B}[31ma\u{1B}[mb") == [StyledRun("a", red), StyledRun("b")])
    }

    @Test("dim, italic, underline, reverse and their resets 22/23/24/27")
    func attributes() {
        #expect(runs("\u{1B}[2;3;4;7ma\u{1B}[22;23;24;27mb") == [
            StyledRun("a", TextStyle(dim: true, italic: true, underline: true, reverse: true)), StyledRun("b"),
        ])
        #expect(runs("\u{1B}[1ma\u{1B}[22mb") == [StyledRun("a", TextStyle(bold: true)), StyledRun("b")])
    }

    @Test("39 and 49 restore default colours")
    func defaultColors() {
        #expect(runs("\u{1B}[31;42ma\u{1B}[39mb\u{1B}[49mc") == [
            StyledRun("a", TextStyle(foreground: .red, background: .green)),
            StyledRun("b", TextStyle(background: .green)),
            StyledRun("c"),
        ])
    }

    @Test("90-97 and 100-107 are the bright colours")
    func brightColors() {
        #expect(runs("\u{1B}[91;102mx") == [StyledRun("x", TextStyle(foreground: .bright(.red), background: .bright(.green)))])
    }

    @Test("38;5;n and 48;5;n pick from the 256-colour palette")
    func indexedColors() {
        #expect(runs("\u{1B}[38;5;208;48;5;17mx") == [StyledRun("x", TextStyle(foreground: .indexed(208), background: .indexed(17)))])
    }

    @Test("24-bit colours map to the nearest of the 256, in ; and : forms")
    func trueColor() {
        #expect(runs("\u{1B}[38;2;255;0;0mx") == [StyledRun("x", TextStyle(foreground: .indexed(196)))])
        #expect(runs("\u{1B}[38:2::0:0:255mx") == [StyledRun("x", TextStyle(foreground: .indexed(21)))])
        #expect(runs("\u{1B}[48;2;128;128;128;1mx") == [StyledRun("x", TextStyle(background: .indexed(244), bold: true))])
    }

    @Test("out-of-range colour values are ignored, the rest still applies")
    func invalidColorValues() {
        #expect(runs("\u{1B}[38;5;999;1mx") == [StyledRun("x", TextStyle(bold: true))])
        #expect(runs("\u{1B}[38;2;300;0;0;4mx") == [StyledRun("x", TextStyle(underline: true))])
    }

    @Test("a huge parameter list is capped: no crash, the first parameters apply")
    func hugeParameterList() {
        let sequence = "\u{1B}[1;" + String(repeating: "0;", count: 200_000) + "31mx"
        #expect(runs(sequence) == [StyledRun("x", .plain)])  // the 0s reset; 31 is past the cap
        let bold = "\u{1B}[" + String(repeating: "1;", count: 200_000) + "31mx"
        #expect(runs(bold) == [StyledRun("x", TextStyle(bold: true))])
    }

    @Test("huge numbers saturate instead of overflowing")
    func hugeNumbers() {
        #expect(runs("\u{1B}[" + String(repeating: "9", count: 10_000) + "mx") == [StyledRun("x")])
        #expect(runs("\u{1B}[38;5;" + String(repeating: "9", count: 100) + "mx") == [StyledRun("x")])
    }
}

@Suite("Sanitizing child output: everything else is shown, never passed through")
struct HostileOutputTests {
    @Test("CSI cursor moves, erase and scroll regions are shown as ^[[...")
    func otherCSI() {
        #expect(runs("a\u{1B}[2Jb") == [StyledRun("a"), StyledRun("^[[2J", control), StyledRun("b")])
        #expect(runs("\u{1B}[10;20H") == [StyledRun("^[[10;20H", control)])
        #expect(runs("\u{1B}[1;5r\u{1B}[S") == [StyledRun("^[[1;5r^[[S", control)])
        #expect(runs("\u{1B}[?1049h\u{1B}[?25l") == [StyledRun("^[[?1049h^[[?25l", control)])
    }

    @Test("an SGR-like sequence with a private marker or intermediate is not SGR")
    func notQuiteSGR() {
        #expect(runs("\u{1B}[?31mx") == [StyledRun("^[[?31m", control), StyledRun("x")])
        #expect(runs("\u{1B}[31 mx") == [StyledRun("^[[31 m", control), StyledRun("x")])
    }

    @Test("a CSI cut short by a control shows both")
    func interruptedCSI() {
        #expect(runs("\u{1B}[31\u{01}m") == [StyledRun("^[[31^A", control), StyledRun("m")])
        #expect(runs("\u{1B}[31") == [StyledRun("^[[31", control)])
    }

    @Test("OSC 0/2 window titles up to BEL are shown")
    func windowTitle() {
        #expect(runs("\u{1B}]0;pwned\u{07}x") == [StyledRun("^[]0;pwned^G", control), StyledRun("x")])
        #expect(runs("\u{1B}]2;t\u{1B}\\x") == [StyledRun("^[]2;t^[\\", control), StyledRun("x")])
    }

    @Test("OSC 8 hyperlinks show the target; the link text stays plain")
    func hyperlink() {
        #expect(runs("\u{1B}]8;;http://e.vil\u{1B}\\click\u{1B}]8;;\u{1B}\\") == [
            StyledRun("^[]8;;http://e.vil^[\\", control), StyledRun("click"), StyledRun("^[]8;;^[\\", control),
        ])
    }

    @Test("OSC 52 clipboard writes are shown, payload included")
    func clipboard() {
        #expect(runs("\u{1B}]52;c;cm0gLXJmIH4=\u{07}") == [StyledRun("^[]52;c;cm0gLXJmIH4=^G", control)])
    }

    @Test("an OSC that never ends is shown to the end of the line, controls inside as carets")
    func unterminatedString() {
        #expect(runs("\u{1B}]0;a\u{01}b\tc") == [StyledRun("^[]0;a^Ab^Ic", control)])
    }

    @Test("an ESC inside a string ends it; a following SGR still applies")
    func escEndsString() {
        #expect(runs("\u{1B}]0;t\u{1B}[31mx") == [StyledRun("^[]0;t", control), StyledRun("x", red)])
    }

    @Test("DCS, APC, PM and SOS strings are shown")
    func deviceStrings() {
        #expect(runs("\u{1B}P1$r\u{1B}\\") == [StyledRun("^[P1$r^[\\", control)])
        #expect(runs("\u{1B}_apc\u{1B}\\\u{1B}^pm\u{1B}\\\u{1B}Xsos\u{1B}\\") == [
            StyledRun("^[_apc^[\\^[^pm^[\\^[Xsos^[\\", control),
        ])
    }

    @Test("two-byte escapes and a lone ESC are shown")
    func shortEscapes() {
        #expect(runs("\u{1B}c\u{1B}(Bx\u{1B}") == [StyledRun("^[c^[(B", control), StyledRun("x"), StyledRun("^[", control)])
        #expect(runs("\u{1B}\u{1B}[1mx") == [StyledRun("^[", control), StyledRun("x", TextStyle(bold: true))])
    }

    @Test("8-bit C1 bytes that are not UTF-8 are shown as \\x9b")
    func c1Bytes() {
        #expect(runs([0x9B, 0x32, 0x4A, 0x9D]) == [StyledRun("\\x9b", control), StyledRun("2J"), StyledRun("\\x9d", control)])
    }

    @Test("C1 code points are shown as <U+009B>")
    func c1CodePoints() {
        #expect(runs([0xC2, 0x9B, 0x41, 0xC2, 0x85]) == [
            StyledRun("<U+009B>", control), StyledRun("A"), StyledRun("<U+0085>", control),
        ])
    }

    @Test("NUL, backspace, DEL and a lone CR are shown in caret notation")
    func c0Controls() {
        #expect(runs([0x61, 0x00, 0x08, 0x7F, 0x0D, 0x62]) == [StyledRun("a"), StyledRun("^@^H^?^M", control), StyledRun("b")])
    }

    @Test("the CR of a CRLF line end is dropped, a CR before it is not")
    func crlf() {
        #expect(runs("abc\r") == [StyledRun("abc")])
        #expect(runs("50%\r60%\r") == [StyledRun("50%"), StyledRun("^M", control), StyledRun("60%")])
    }

    @Test("TAB expands to the next multiple of 8 columns, counting wide characters")
    func tabs() {
        #expect(runs("a\tb") == [StyledRun("a       b")])
        #expect(runs("12345678\tx") == [StyledRun("12345678        x")])
        #expect(runs("漢\tx") == [StyledRun("漢      x")])
        #expect(runs("\u{1B}[31m\t") == [StyledRun("        ", red)])
    }

    @Test("bidi controls and line separators are shown as <U+...>")
    func bidi() {
        #expect(runs("a\u{202E}b") == [StyledRun("a"), StyledRun("<U+202E>", control), StyledRun("b")])
        #expect(runs("\u{2066}\u{200F}\u{061C}\u{2028}") == [StyledRun("<U+2066><U+200F><U+061C><U+2028>", control)])
    }

    @Test("invalid UTF-8 becomes one U+FFFD per maximal subpart")
    func invalidUTF8() {
        #expect(runs([0x61, 0xFF, 0x62]) == [StyledRun("a\u{FFFD}b")])
        #expect(runs([0xE6, 0xBC, 0x61]) == [StyledRun("\u{FFFD}a")])
        #expect(runs([0xF0, 0x9F, 0x98]) == [StyledRun("\u{FFFD}")])
        #expect(runs([0xED, 0xA0, 0x80]) == [StyledRun("\u{FFFD}\u{FFFD}"), StyledRun("\\x80", control)])
        #expect(runs([0xC0, 0xAF]) == [StyledRun("\u{FFFD}\u{FFFD}")])
    }

    @Test("valid multibyte text passes through")
    func unicode() {
        #expect(runs("漢字 😀 e\u{301}") == [StyledRun("漢字 😀 e\u{301}")])
    }

    @Test("the CLI's plain text uses the same visible forms without styling")
    func plainText() {
        let bytes = Array("\u{1B}[31mred\u{1B}[0m \u{1B}]0;t\u{07}\u{202E}".utf8) + [0x9B]
        #expect(TerminalText.sanitizedPlainText(bytes) == "red ^[]0;t^G<U+202E>\\x9b")
    }

    @Test("no output character is a control, whatever the input")
    func neverControl() {
        var bytes: [UInt8] = []
        for byte in 0...255 { bytes += [0x1B, UInt8(byte), UInt8(byte), 0x9B, UInt8(byte)] }
        bytes += Array(0...255)
        for run in StyledText.parse(bytes: bytes) {
            for scalar in run.text.unicodeScalars {
                #expect(TerminalText.visibleForm(of: scalar) == nil, "control \(scalar.value) in output")
            }
        }
    }
}

@Suite("Sanitizing long lines and horizontal windows")
struct LongLineTests {
    @Test("a 1 MB line is parsed whole, styles included")
    func megabyteLine() {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(1_100_000)
        let chunk = Array("\u{1B}[32m".utf8) + Array(repeating: UInt8(ascii: "x"), count: 95) + Array("\u{1B}[0m漢".utf8)
        while bytes.count < 1_000_000 { bytes += chunk }
        let parsed = StyledText.parse(bytes: bytes)
        let chunks = bytes.count / chunk.count
        #expect(StyledText.displayWidth(of: parsed) == chunks * 97)
        #expect(parsed.count == chunks * 2)
    }

    @Test("only the requested columns come back")
    func window() {
        #expect(StyledText.parse(bytes: Array("abcdef".utf8), columns: 2..<4) == [StyledRun("cd")])
        #expect(StyledText.parse(bytes: Array("\u{1B}[31mabc\u{1B}[0mdef".utf8), columns: 2..<4) == [
            StyledRun("c", red), StyledRun("d"),
        ])
    }

    @Test("a wide character cut by the window edge becomes spaces")
    func windowCutsWide() {
        #expect(StyledText.parse(bytes: Array("漢字テ".utf8), columns: 1..<4) == [StyledRun(" 字")])
        #expect(StyledText.parse(bytes: Array("漢字テ".utf8), columns: 0..<3) == [StyledRun("漢 ")])
    }

    @Test("a window at the start of a 1 MB line does not read the rest")
    func windowOnHugeLine() {
        let bytes = Array(repeating: UInt8(ascii: "y"), count: 1_000_000) + [0x1B]
        #expect(StyledText.parse(bytes: bytes, columns: 0..<80) == [StyledRun(String(repeating: "y", count: 80))])
        #expect(StyledText.parse(bytes: bytes, columns: 999_990..<1_000_010) == [
            StyledRun(String(repeating: "y", count: 10)), StyledRun("^[", control),
        ])
    }
}

@Suite("Display width")
struct DisplayWidthTests {
    @Test("CJK and emoji take two columns, combining marks none, controls their visible form")
    func widths() {
        #expect(TerminalText.displayWidth(of: "abc") == 3)
        #expect(TerminalText.displayWidth(of: "漢字") == 4)
        #expect(TerminalText.displayWidth(of: "😀") == 2)
        #expect(TerminalText.displayWidth(of: "e\u{301}") == 1)
        #expect(TerminalText.displayWidth(of: "\u{1B}") == 2)
        #expect(TerminalText.displayWidth(of: "\u{202E}") == 8)
    }
}
