import Foundation
import Testing

/// A state directory someone else could change is refused before anything in it is opened, and no
/// file name in it is ever followed as a symbolic link (issue 23, items 1, 4 and 12).
@Suite("a state directory another user could change is refused; no file in it is followed as a link", .serialized,
       .enabled(if: FileManager.default.isExecutableFile(atPath: CLIRunner.executable)))
struct StateDirectoryTrustTests {
    let cli: CLIRunner
    init() throws { cli = try CLIRunner() }

    /// A submit that needs the engine (and so the lock, the log and the database).
    var submit: [String] {
        ["submit", "ssh-command", "--host", "127.0.0.1", "--port", "1", "--identity", "/etc/hostname",
         "--known-hosts", "/etc/hostname", "--", "true"]
    }

    func victim() throws -> String {
        let path = cli.scratch + "/victim-\(UUID().uuidString.prefix(6))"
        try "untouched\n".write(toFile: path, atomically: false, encoding: .utf8)
        return path
    }

    @Test("a world-writable directory with engine.lock planted as a link to a root-owned file: refused, the file untouched")
    func plantedLockInWorldWritable() async throws {
        defer { cli.cleanUp() }
        let target = try victim()
        try FileManager.default.createDirectory(atPath: cli.stateDirectory, withIntermediateDirectories: true)
        chmod(cli.stateDirectory, 0o777)
        try FileManager.default.createSymbolicLink(atPath: cli.stateDirectory + "/engine.lock", withDestinationPath: target)
        let result = try await cli.run(submit)
        #expect(result.status == 4, "\(result.stderr)")
        #expect(result.stderr == "thymis-tasks: refusing the state directory \(cli.stateDirectory): it is writable by every user (mode 0777); use a directory of your own (--state-dir or THYMIS_TASKS_STATE_DIR)\n")
        #expect(try String(contentsOfFile: target, encoding: .utf8) == "untouched\n")
        #expect(!FileManager.default.fileExists(atPath: cli.stateDirectory + "/tasks.sqlite"))
    }

    @Test("each file name planted as a link in a private directory is refused by name and never written through",
          arguments: ["engine.lock", "engine.alive", "thymis-tasks.log", "tasks.sqlite", "tasks.sqlite-wal", "tasks.sqlite-shm",
                      "tasks.sqlite.setup-lock", "auto-update.json", "reports", "dashboard-forms.json"])
    func plantedLink(_ name: String) async throws {
        defer { cli.cleanUp() }
        let target = try victim()
        try FileManager.default.createDirectory(atPath: cli.stateDirectory, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
        try FileManager.default.createSymbolicLink(atPath: cli.stateDirectory + "/" + name, withDestinationPath: target)
        let result = try await cli.run(submit)
        #expect(result.status == 4, "\(result.stderr)")
        #expect(result.stderr.contains("\(name) in it is a symbolic link; remove it"), "\(result.stderr)")
        #expect(try String(contentsOfFile: target, encoding: .utf8) == "untouched\n")
    }

    @Test("a directory owned by another user (nobody) is refused, naming the owner")
    func foreignOwner() async throws {
        defer { cli.cleanUp() }
        try #require(getuid() == 0, "needs root to hand a directory to another user")
        try FileManager.default.createDirectory(atPath: cli.stateDirectory, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o755])
        chown(cli.stateDirectory, 65534, 65534)
        let result = try await cli.run(submit)
        #expect(result.status == 4)
        #expect(result.stderr.contains("refusing the state directory \(cli.stateDirectory): it belongs to user nobody (uid 65534), who could replace its files under you"),
                "\(result.stderr)")
    }

    @Test("a directory under a world-writable, non-sticky one is refused; under sticky /tmp it is fine")
    func writableParent() async throws {
        defer { cli.cleanUp() }
        let open = cli.scratch + "/open"
        try FileManager.default.createDirectory(atPath: open, withIntermediateDirectories: true)
        chmod(open, 0o777)
        var inOpen = cli
        inOpen.stateDirectory = open + "/state"
        let refused = try await inOpen.run(submit)
        #expect(refused.status == 4)
        #expect(refused.stderr.contains("the directory above it, \(open), is writable by every user (mode 0777)"), "\(refused.stderr)")
        #expect(!FileManager.default.fileExists(atPath: open + "/state/tasks.sqlite"))
        chmod(open, 0o1777)
        let accepted = try await inOpen.run(submit)
        #expect(accepted.status == 0, "\(accepted.stderr)")
        _ = await inOpen.waitForNoEngine()
    }

    @Test("a group-writable directory of a shared group is refused")
    func groupWritable() async throws {
        defer { cli.cleanUp() }
        try FileManager.default.createDirectory(atPath: cli.stateDirectory, withIntermediateDirectories: true)
        // Group "users" (gid 100) is not root's private group.
        chown(cli.stateDirectory, 0, 100)
        chmod(cli.stateDirectory, 0o770)
        let result = try await cli.run(submit)
        #expect(result.status == 4)
        #expect(result.stderr.contains("it is writable by the group users (gid 100) (mode 0770)"), "\(result.stderr)")
    }

    @Test("a user who may not read the state directory gets permission denied and exit 4 from every reader")
    func noAccess() async throws {
        defer { cli.cleanUp() }
        try #require(getuid() == 0, "needs root to run as another user")
        let created = try await cli.run(submit)
        #expect(created.status == 0, "\(created.stderr)")
        _ = await cli.waitForNoEngine()
        chmod(cli.scratch, 0o755)
        for command in [["list"], ["list", "--json"], ["show", "x"], ["logs", "x"]] {
            let result = try await cli.runProgram("/usr/bin/setpriv",
                                                  ["--reuid=65534", "--regid=65534", "--clear-groups", CLIRunner.executable] + command)
            #expect(result.status == 4, "\(command): \(result.stderr)")
            #expect(result.stderr == "thymis-tasks: permission denied: \(cli.stateDirectory) (the state directory) cannot be read by you; ask its owner, or use your own with --state-dir\n",
                    "\(command)")
        }
    }

    @Test("report --output is written 0600 whatever the umask, and replaces a link instead of following it")
    func reportOutputIsPrivate() async throws {
        defer { cli.cleanUp() }
        let created = try await cli.run(submit + ["--wait"])
        let id = created.stdout.split(separator: "\n").first.map(String.init) ?? ""
        let target = try victim()
        let output = cli.scratch + "/report.md"
        try FileManager.default.createSymbolicLink(atPath: output, withDestinationPath: target)
        let result = try await cli.run(["report", id, "--output", output])
        #expect(result.status == 0, "\(result.stderr)")
        var info = stat()
        #expect(lstat(output, &info) == 0 && info.st_mode & S_IFMT == S_IFREG && info.st_mode & 0o777 == 0o600)
        #expect(try String(contentsOfFile: target, encoding: .utf8) == "untouched\n")
        #expect(try String(contentsOfFile: output, encoding: .utf8).hasPrefix("# "))
    }
}
