// Removes terminal escape sequences from Nix's messages, which colour their text with SGR codes.

extension String {
    /// The text without ANSI escape sequences: CSI (`ESC [ ... final`), OSC (`ESC ] ... BEL|ESC \`),
    /// `ESC` + intermediates + final byte (e.g. `ESC ( B`). Other characters, newlines included, are kept.
    public var strippingANSIEscapes: String {
        let utf8 = self.utf8
        guard utf8.contains(0x1B) else { return self }
        var out: [UInt8] = []
        out.reserveCapacity(utf8.count)
        var i = utf8.startIndex
        let end = utf8.endIndex
        while i < end {
            let b = utf8[i]
            guard b == 0x1B else {
                out.append(b)
                i = utf8.index(after: i)
                continue
            }
            i = utf8.index(after: i)
            guard i < end else { break }
            var kind = utf8[i]
            i = utf8.index(after: i)
            // nF sequences (e.g. `ESC ( B`): intermediates 0x20-0x2F, then one final byte.
            while kind >= 0x20 && kind <= 0x2F && i < end {
                kind = utf8[i]
                i = utf8.index(after: i)
            }
            if kind == 0x5B {  // CSI: parameters and intermediates, then one final byte 0x40-0x7E
                while i < end {
                    let c = utf8[i]
                    i = utf8.index(after: i)
                    if c >= 0x40 && c <= 0x7E { break }
                }
            } else if kind == 0x5D {  // OSC: up to BEL or ST
                while i < end {
                    let c = utf8[i]
                    i = utf8.index(after: i)
                    if c == 0x07 { break }
                    if c == 0x1B, i < end, utf8[i] == 0x5C {
                        i = utf8.index(after: i)
                        break
                    }
                }
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// At most `maxBytes` of UTF-8, cut on a scalar boundary.
    func truncated(toUTF8Bytes maxBytes: Int) -> String {
        let utf8 = self.utf8
        guard utf8.count > maxBytes else { return self }
        var end = utf8.index(utf8.startIndex, offsetBy: maxBytes)
        while end > utf8.startIndex, utf8[end] & 0xC0 == 0x80 { end = utf8.index(before: end) }
        return String(self[..<end])
    }
}
