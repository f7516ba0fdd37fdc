import Foundation

/// Secrets for a remote command (issue 23: 5), kept out of argv, `ps`, the store and every view.
///
/// The submission names each variable and the file that holds its value (`secret_env_files`:
/// `{"API_TOKEN": "/etc/thymis/token"}`); only those names and paths are stored. When the task runs,
/// the engine reads the files and sends the values over the SSH channel's stdin, each as its length
/// in bytes on a line of its own and then its bytes; a short POSIX prelude before the command reads
/// them into exported variables. The remote command line (in the process record, in `ps` on both
/// ends) carries the names only. A value may hold any bytes but NUL (a shell variable cannot), newlines
/// included; one trailing newline of the file is dropped, as `$(cat file)` would.
struct RemoteSecrets: Sendable {
    /// Variable name → file, in name order.
    let files: [(name: String, path: String)]

    static let field = "secret_env_files"
    static let maxValueBytes = 64 * 1024

    init(_ fields: SubmissionFields) throws(SubmissionError) {
        guard let raw = fields.object[Self.field], raw != .null else { files = []; return }
        guard case .object(let entries) = raw else {
            throw .wrongType(type: fields.context, field: Self.field, expected: "an object of VARIABLE: file path", got: raw.kindDescription)
        }
        var files: [(String, String)] = []
        for name in entries.keys.sorted() {
            let first = name.unicodeScalars.first
            guard let first, first == "_" || (first.isASCII && CharacterSet.letters.contains(first)),
                  name.unicodeScalars.allSatisfy({ $0 == "_" || ($0.isASCII && CharacterSet.alphanumerics.contains($0)) }), name.count <= 128 else {
                throw .invalidValue(type: fields.context, field: "\(Self.field).\(name)",
                                    reason: "is not an environment variable name (letters, digits and _, not starting with a digit)")
            }
            // Checked as a field of its own, so an error names `secret_env_files.NAME`.
            let key = "\(Self.field).\(name)"
            let path = try SSHOptions.readableFile(SubmissionFields(context: fields.context, object: [key: entries[name]!]), key)
            files.append((name, path))
        }
        self.files = files
    }

    var isEmpty: Bool { files.isEmpty }

    /// The shell prelude that reads the values from stdin, then `command`. Names only, never values.
    func command(running command: String) -> String {
        guard !isEmpty else { return command }
        let reads = files.map { "IFS= read -r n && \($0.name)=$(dd bs=1 count=\"$n\" 2>/dev/null; echo x) && \($0.name)=${\($0.name)%x} && export \($0.name)" }
        // Stdin is used up by the values: the command reads end of file, as without secrets.
        return reads.joined(separator: " && ") + " || { echo 'thymis-tasks: could not read the secret environment from stdin' >&2; exit 126; }; " + command
    }

    /// The values as the prelude reads them; a file that cannot be read fails the task, naming it.
    func standardInput() throws -> [UInt8] {
        var bytes: [UInt8] = []
        for (name, path) in files {
            guard let data = FileManager.default.contents(atPath: path) else {
                throw TaskFailure("secrets failed: cannot read \(path) for \(name); check that the engine's user may read it")
            }
            var value = [UInt8](data)
            if value.last == 10 { value.removeLast() }
            guard value.count <= Self.maxValueBytes else {
                throw TaskFailure("secrets failed: \(path) for \(name) holds \(value.count) bytes; the limit is \(Self.maxValueBytes)")
            }
            guard !value.contains(0) else {
                throw TaskFailure("secrets failed: \(path) for \(name) holds a NUL byte, which no shell variable can carry")
            }
            bytes += Array("\(value.count)\n".utf8) + value
        }
        return bytes
    }
}
