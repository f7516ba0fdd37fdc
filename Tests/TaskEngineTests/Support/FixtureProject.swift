import Foundation
import Logging
@testable import TaskEngine

/// A project for the task types: a git repository with an input-less flake whose configurations
/// have `toplevel` (with a `bin/switch-to-configuration` that records it ran), `vm` (a
/// `bin/run-<name>-vm` that prints boot lines and runs until killed) and `image` (a directory
/// holding `disk.img` next to `nix-support/`), all plain /bin/sh derivations.
struct FixtureProject {
    /// How a configuration's derivations behave.
    enum Behaviour: Equatable { case normal, failingBuild, slowBuild, noImage
        /// A toplevel holding `megabytes` of random bytes: a closure whose copy takes a while.
        case large(megabytes: Int)
        /// A switch that cuts the controller off, as a bad NixOS configuration would: on the test
        /// device (`OwnStoreDevice`) it takes the controller's key out of root's authorized_keys.
        /// Every other configuration's switch puts the key back, as the config that declares it would.
        case breaksAccess
        /// A switch that fails (exit 4, as switch-to-configuration does when a unit fails).
        case failingSwitch
        /// A system whose closure holds derivations named like packages (`hello-2.10`), a `kernel`
        /// and `initrd` (`linux-<kernel>`, `initrd-<kernel>`) and `kernel-params`, and whose
        /// `switch-to-configuration dry-activate` prints NixOS' "would restart the following units" lines.
        case system(packages: [String], kernel: String)
    }

    let path: String
    /// Each switch appends "<configuration> switched" here.
    let switchMarker: String
    /// In every derivation name: lets a test find this project's builders and VMs in /proc.
    let nonce: String

    /// With `input`, the flake has one input `dep` (`path:` that directory), so `nix flake update` has work to do.
    init(in directory: String, configurations: [String: Behaviour], commit: Bool = true, input: String? = nil) throws {
        path = directory + "/project"
        switchMarker = directory + "/switched"
        nonce = "fx\(UUID().uuidString.prefix(8).lowercased())"
        self.input = input
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        try rewrite(configurations)
        try git(["init", "-q"])
        if commit { try self.commit("initial") }
    }

    private let input: String?

    /// Writes the flake anew with these configurations (same nonce); commit afterwards for a deploy to see it.
    func rewrite(_ configurations: [String: Behaviour]) throws {
        let entries = configurations.sorted { $0.key < $1.key }.map { name, behaviour in
            Self.configuration(name, behaviour, nonce: nonce, marker: switchMarker)
        }.joined(separator: "\n")
        let inputs = input.map { "  inputs.dep.url = \"path:\($0)\";\n" } ?? ""
        let flake = "{\n\(inputs)  outputs = { self\(input == nil ? "" : ", dep") }: {\n    nixosConfigurations = {\n\(entries)\n    };\n  };\n}\n"
        try flake.write(toFile: path + "/flake.nix", atomically: true, encoding: .utf8)
    }

    func commit(_ message: String) throws {
        try git(["add", "-A"])
        try git(["-c", "user.email=test@example.invalid", "-c", "user.name=test", "commit", "-q", "-m", message])
    }

    func git(_ arguments: [String]) throws {
        try SSHServer.run("/usr/bin/git", ["-C", path] + arguments)
    }

    /// The commit HEAD points at (read from .git, no process needed).
    var head: String {
        get throws {
            let ref = try String(contentsOfFile: path + "/.git/HEAD", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
            guard ref.hasPrefix("ref: ") else { return ref }
            return try String(contentsOfFile: path + "/.git/" + ref.dropFirst(5), encoding: .utf8)
                .trimmingCharacters(in: .whitespacesAndNewlines)
        }
    }

    /// Gives every derivation a new name (and so a new store path) without changing what it does;
    /// commit afterwards for a deploy to see it.
    func changeDerivations(_ suffix: String = "b") throws {
        let file = path + "/flake.nix"
        let flake = try String(contentsOfFile: file, encoding: .utf8)
        try flake.replacingOccurrences(of: "-\(nonce)\"", with: "-\(nonce)\(suffix)\"").write(toFile: file, atomically: true, encoding: .utf8)
    }

    /// Lines the switch script wrote so far.
    var switches: [String] {
        ((try? String(contentsOfFile: switchMarker, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
    }

    /// Writes `thymis-project.json` (untracked: a deploy does not need it committed).
    func writeProjectFile(_ object: [String: Any]) throws {
        let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
        try data.write(to: URL(fileURLWithPath: path + "/" + ProjectFile.defaultName))
    }

    private static func configuration(_ name: String, _ behaviour: Behaviour, nonce: String, marker: String) -> String {
        var prefix = behaviour == .slowBuild ? "echo \(nonce)-slow-build; sleep 120; " : behaviour == .failingBuild ? "echo about to fail; exit 42; " : ""
        if case .large(let megabytes) = behaviour { prefix = "mkdir -p $out; head -c \(megabytes)M /dev/urandom > $out/payload; " }
        // Only the test device has /etc/thymis-test: elsewhere the key lines do nothing.
        let keys = "/root/.ssh/authorized_keys", device = "[ -f /etc/thymis-test/sshd_config ]"
        var switchLines = ["#!/bin/sh", "echo \"activating the configuration...\""]
        switch behaviour {
        case .breaksAccess:
            switchLines.append("if \(device); then mv \(keys) \(keys).revoked; echo \"removed the controller key\"; fi")
        default:
            switchLines.append("if \(device) && [ -f \(keys).revoked ]; then mv \(keys).revoked \(keys); echo \"restored the controller key\"; fi")
        }
        switchLines += ["mkdir -p \(URL(fileURLWithPath: marker).deletingLastPathComponent().path)", "echo \"\(name) switched\" >> \(marker)"]
        if behaviour == .failingSwitch {
            switchLines += ["echo \"warning: the following units failed: kiosk.service\" >&2", "exit 4"]
        }
        var systemParts = ""
        if case .system(let packages, let kernel) = behaviour {
            // dry-activate only says what it would do, as NixOS' does, and leaves no marker.
            switchLines.insert(contentsOf: [
                "if [ \"$1\" = dry-activate ]; then",
                "echo \"would stop the following units: old-kiosk.service\"",
                "echo \"would restart the following units: kiosk.service, sshd.service\"",
                "echo \"would start the following units: hello.service\"", "exit 0; fi",
            ], at: 1)
            func package(_ name: String) -> String {
                "${derivation { name = \"\(name)\"; system = \"x86_64-linux\"; builder = \"/bin/sh\"; PATH = \"/usr/bin:/bin\"; args = [ \"-c\" \"echo \(name) > $out\" ]; }}"
            }
            systemParts = """
                echo \(packages.map(package).joined(separator: " ")) > $out/packages
                ln -s \(package("linux-\(kernel)")) $out/kernel
                ln -s \(package("initrd-\(kernel)")) $out/initrd
                echo quiet > $out/kernel-params

                """
        }
        // printf '%s\n' 'line' 'line' ...: no line holds a single quote, and none may (a Nix '' string).
        let toplevel = """
            \(prefix)mkdir -p $out/bin
            \(systemParts)printf '%s\\n' \(switchLines.map { "'\($0)'" }.joined(separator: " ")) > $out/bin/switch-to-configuration
            chmod +x $out/bin/switch-to-configuration
            """
        let vm = """
            \(prefix)mkdir -p $out/bin
            printf '#!/bin/sh\\necho "booting \(name)"\\necho "\(name) login:"\\nwhile :; do sleep 0.1; done\\n' > $out/bin/run-\(name)-vm
            chmod +x $out/bin/run-\(name)-vm
            """
        let image = "\(prefix)mkdir -p $out/nix-support; head -c 65536 /dev/zero > $out/disk.img; echo file disk-image $out/disk.img > $out/nix-support/hydra-build-products"
        func derivation(_ kind: String, _ script: String) -> String {
            """
            derivation { name = "\(kind)-\(name)-\(nonce)"; system = "x86_64-linux"; builder = "/bin/sh"; PATH = "/usr/bin:/bin";
                  args = [ "-c" ''\(script)'' ]; }
            """
        }
        let imageAttribute = behaviour == .noImage ? "" : "image = \(derivation("image", image));"
        return """
                "\(name)" = { config.system.build = {
                  toplevel = \(derivation("toplevel", toplevel));
                  vm = \(derivation("vm", vm));
                  \(imageAttribute)
                }; };
            """
    }
}

extension SSHServer {
    var hostPublicKey: String {
        get throws { try String(contentsOfFile: directory + "/host_key.pub", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines) }
    }
    var otherPublicKey: String {
        get throws { try String(contentsOfFile: directory + "/other_key.pub", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines) }
    }
}

/// Whether the tests that need nix, git and sshd can run here.
let nixAndSSHAvailable = FileManager.default.isExecutableFile(atPath: "/usr/bin/nix")
    && FileManager.default.isExecutableFile(atPath: "/usr/bin/git") && SSHServer.isAvailable

extension TestEnvironment {
    /// An engine whose children find `programs` first in a directory of wrappers that run the real
    /// program under `nice -n 10`.
    func makeEngine(limits: [Pool: Int], nicedPrograms programs: [String]) -> TaskEngine {
        let wrappers = path("niced-bin")
        try? FileManager.default.createDirectory(atPath: wrappers, withIntermediateDirectories: true)
        for program in programs {
            let script = "#!/bin/sh\nexec nice -n 10 /usr/bin/\(program) \"$@\"\n"
            FileManager.default.createFile(atPath: wrappers + "/" + program, contents: Data(script.utf8),
                                           attributes: [.posixPermissions: 0o755])
        }
        var environment = TestEnvironment.childEnvironment
        environment["PATH"] = wrappers + ":" + (environment["PATH"] ?? "/usr/bin:/bin")
        let configuration = EngineConfiguration(poolLimits: limits, gracePeriod: .milliseconds(500), baseEnvironment: environment,
                                                requestPollInterval: .milliseconds(30))
        return TaskEngine(store: store, registry: .forTests, configuration: configuration,
                          logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
    }
}
