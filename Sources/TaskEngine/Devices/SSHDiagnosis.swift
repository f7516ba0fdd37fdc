import Foundation

/// The line of ssh's stderr that says why it could not connect or lost the connection: Nix only
/// says the connection ended, ssh's own line (refused, host key, closed) is what helps.
enum SSHDiagnosis {
    static func line(in stderr: String) -> String? {
        let lines = stderr.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
        if lines.contains(where: { $0.contains("Host key verification failed") }) {
            return "host key verification failed (the device's key is not the one trusted for it)"
        }
        return lines.last {
            $0.hasPrefix("ssh:") || $0.contains("Permission denied") || $0.contains("Could not resolve")
                || $0.hasPrefix("Connection closed by") || $0.hasPrefix("Connection to ") || $0.hasPrefix("client_loop:")
        }.map { $0.hasPrefix("ssh: ") ? String($0.dropFirst(5)) : $0 }
    }
}
