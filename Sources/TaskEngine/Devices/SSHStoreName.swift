import Foundation

/// The port in Nix's names for a device's store. The engine gives `nix copy` the store as
/// `ssh-ng://user@host` (Nix 2.8 reads no port in that URL) and the port to ssh in `NIX_SSHOPTS`, so
/// Nix's errors name every device on one host alike: a dead device among live ones on 127.0.0.1 read
/// `ssh-ng://root@127.0.0.1` (issue 30). Messages say `ssh-ng://root@127.0.0.1:2222` instead.
enum SSHStoreName {
    /// `text` with the port added to every `ssh://` or `ssh-ng://` store URL that names none, and to
    /// the `'user@host'` Nix quotes after it (`cannot connect to 'root@127.0.0.1'`); unchanged for port
    /// 22 or no port, and for an unbracketed IPv6 host (where a port could not be told apart).
    static func withPort(_ text: String, port: Int?) -> String {
        guard let port, port != 22 else { return text }
        var logins: Set<String> = []
        let url = #/(ssh(?:-ng)?:\/\/)([^\s'"\/?),;]+)/#
        let named = text.replacing(url) { match in
            let authority = String(match.output.2)
            let host = authority.split(separator: "@").last.map(String.init) ?? authority
            guard !host.contains(":") || host.hasSuffix("]") else { return String(match.output.0) }
            logins.insert(authority)
            return String(match.output.1) + authority + ":\(port)"
        }
        return logins.reduce(named) { $0.replacingOccurrences(of: "'\($1)'", with: "'\($1):\(port)'") }
    }

    /// The port of ssh options as `NIX_SSHOPTS` carries them (`... -p 2222`), nil when they name none.
    static func port(inSSHOptions options: String?) -> Int? {
        guard let options else { return nil }
        let words = options.split(whereSeparator: \.isWhitespace).map(String.init)
        for (index, word) in words.enumerated() {
            if word == "-p", index + 1 < words.count { return Int(words[index + 1]) }
            if word.hasPrefix("-p"), let port = Int(word.dropFirst(2)) { return port }
            if word.lowercased().hasPrefix("port="), let port = Int(word.dropFirst(5)) { return port }
        }
        return nil
    }
}
