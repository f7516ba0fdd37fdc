import ArgumentParser
import Dashboard
import Foundation
import TaskEngine

/// `demo`: a sample project and a representative mix of real tasks, shown in the dashboard.
struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Open the dashboard on a sample project with real nix tasks running.",
        discussion: """
            Creates <state dir>/demo-project (three input-less flakes, git-initialised and committed: \
            fleet, broken and long) and submits a Build Project of each (fast, failing, one printing a \
            line every 0.1 s for a minute), an Update Nix Flake, a Build Image and a Run VM (it runs until \
            cancelled), then opens the dashboard. Works \
            offline: when THYMIS_TASKS_NIX_CONFIG is unset it is set to "substituters =" and \
            "sandbox = false" for this process. Needs nix and git (scripts/setup installs them).
            """)

    @OptionGroup var global: GlobalOptions
    @OptionGroup var flags: DashboardFlags

    @Option(help: "Lines the long build prints (one every 0.1 s).")
    var longLines = 600

    @Flag(help: "Create the project and submit the tasks, then wait for them without opening the dashboard.")
    var noDashboard = false

    func run() async throws {
        if ProcessInfo.processInfo.environment["THYMIS_TASKS_NIX_CONFIG"] == nil {
            setenv("THYMIS_TASKS_NIX_CONFIG", DemoProject.offlineNixConfig, 1)
        }
        let root = global.directory.path + "/demo-project"
        let projects: DemoProject.Paths
        do {
            try global.directory.create()
            projects = try DemoProject.create(at: root, longLines: max(1, longLines))
        } catch {
            throw CLIError("cannot create the demo project in \(root): \(error)", code: ExitCodes.store)
        }
        let store = try global.openStore()
        var environment = ProcessInfo.processInfo.environment
        environment["THYMIS_TASKS_NIX_CONFIG"] = environment["THYMIS_TASKS_NIX_CONFIG"] ?? DemoProject.offlineNixConfig
        var configuration = try global.engineConfiguration()
        configuration.baseEnvironment = EngineConfiguration.childEnvironment(from: environment)
        let engine = try EngineSession.makeEngine(options: global, store: store, configuration: configuration)

        // Without a dashboard nobody could cancel the VM, which runs until cancelled: leave it out.
        let submissions = DemoProject.submissions(projects, includeVM: !noDashboard)
        let directory = global.directory
        let submitAll: @Sendable (TaskEngine?) async throws -> Void = { running in
            let client = EngineClient(directory: directory, store: store)
            for json in submissions {
                if let running {
                    try await running.submit(Data(json.utf8))
                } else if case .failed(let error) = try await client.send(.submit, payload: json).1 {
                    throw CLIError(error)
                }
            }
        }
        if noDashboard {
            guard let host = try EngineHost.acquire(in: directory, makeEngine: { engine }) else {
                try await submitAll(nil)
                return
            }
            host.stopOnSignals()
            try await host.start()
            try await submitAll(host.engine)
            // Until the queue is empty (or a signal).
            _ = await host.run(idleExit: .zero)
            await host.shutdown()
            return
        }
        try await DashboardCommand.open(directory: global.directory, store: store, options: flags.options, engine: engine,
                                        beforeFirstFrame: submitAll)
    }
}

/// The sample project of the demo: three flakes whose `nixosConfigurations.<name>.config.system.build.toplevel`
/// are plain derivations built with /bin/sh, so they build offline in a fraction of a second (or fail,
/// or take a minute, as the demo needs).
enum DemoProject {
    static let offlineNixConfig = "substituters =\nsandbox = false"

    struct Paths: Sendable {
        var fleet: String
        var broken: String
        var long: String
    }

    /// Writes (or rewrites) the flakes and commits them. A fresh salt each run makes nix build
    /// again instead of reusing the last run's outputs.
    static func create(at root: String, longLines: Int) throws -> Paths {
        let salt = "\(Int(Date().timeIntervalSince1970))-\(getpid())"
        let paths = Paths(fleet: root + "/fleet", broken: root + "/broken", long: root + "/long")
        try write(flake(description: "thymis-tasks demo: a fleet of kiosks", salt: salt, configurations: [
            ("kiosk-1", """
                echo "building kiosk-1"
                printf '\\033[32mgreen\\033[0m and \\033[1;31mbold red\\033[0m from the builder\\n'
                echo "tab\tseparated\tcolumns"
                echo ok > $out
                """),
            ("kiosk-2", """
                echo "building kiosk-2 (日本語, emoji 🚀)"
                echo ok > $out
                """),
        ]), to: paths.fleet)
        try write(flake(description: "thymis-tasks demo: a configuration that fails to build", salt: salt, configurations: [
            ("broken-kiosk", """
                echo "compiling kiosk firmware"
                echo "error: missing device tree for board rpi-5" >&2
                exit 1
                """),
        ]), to: paths.broken)
        try write(flake(description: "thymis-tasks demo: a long build with steady output", salt: salt, configurations: [
            ("big-server", """
                i=0
                while [ $i -lt \(longLines) ]; do
                  i=$((i+1))
                  echo "[$i/\(longLines)] compiling module-$i.c"
                  sleep 0.1
                done
                echo ok > $out
                """),
        ]), to: paths.long)
        return paths
    }

    static func submissions(_ paths: Paths, includeVM: Bool) -> [String] {
        func json(_ type: String, _ path: String) -> String {
            let data = try! JSONSerialization.data(withJSONObject: ["type": type, "project_path": path], options: [.sortedKeys])
            return String(decoding: data, as: UTF8.self)
        }
        func configurationJSON(_ type: String, _ field: String, _ configuration: String) -> String {
            let data = try! JSONSerialization.data(withJSONObject: ["type": type, "project_path": paths.fleet, field: configuration],
                                                   options: [.sortedKeys])
            return String(decoding: data, as: UTF8.self)
        }
        return [
            json("build_project_task", paths.long),
            json("build_project_task", paths.fleet),
            json("build_project_task", paths.broken),
            json("project_flake_update_task", paths.fleet),
            configurationJSON("build_device_image_task", "device_identifier", "kiosk-1"),
        ] + (includeVM ? [configurationJSON("run_nixos_vm_task", "configuration_id", "kiosk-2")] : [])
    }

    private static func flake(description: String, salt: String, configurations: [(String, String)]) -> String {
        var text = """
            {
              description = "\(description)";
              outputs = { self }:
                let
                  system = builtins.currentSystem or "x86_64-linux";
                  drv = name: script: derivation {
                    inherit name system;
                    builder = "/bin/sh";
                    args = [ "-c" script ];
                    PATH = "/usr/bin:/bin";
                    salt = "\(salt)";
                  };
                  mk = name: script: {
                    config.system.build.toplevel = drv name script;
                    # What Build Image for Device copies out: a small disk image file.
                    config.system.build.image = drv "${name}-image" ''
                      echo "writing the disk image of ${name}"
                      mkdir -p $out/sd-image
                      head -c 1048576 /dev/zero > $out/sd-image/${name}.img
                    '';
                    # What Run NixOS VM for Device runs: boots, then keeps running until cancelled.
                    config.system.build.vm = drv "${name}-vm" ''
                      mkdir -p $out/bin
                      cat > $out/bin/run-${name}-vm <<'SCRIPT'
                      #!/bin/sh
                      echo "[    0.000000] Linux version 6.6.0 (demo VM of ${name})"
                      echo "[    0.412000] systemd[1]: Reached target Multi-User System."
                      i=0; while true; do i=$((i+1)); echo "${name} login: (up $i s)"; sleep 1; done
                      SCRIPT
                      chmod +x $out/bin/run-${name}-vm
                    '';
                  };
                in
                {
                  nixosConfigurations = {

            """
        for (name, script) in configurations {
            text += "        \(name) = mk \"\(name)\" ''\n"
            for line in script.split(separator: "\n", omittingEmptySubsequences: false) {
                text += "          \(line)\n"
            }
            text += "        '';\n"
        }
        text += "      };\n    };\n}\n"
        return text
    }

    private static func write(_ flake: String, to directory: String) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try flake.write(toFile: directory + "/flake.nix", atomically: true, encoding: .utf8)
        if !FileManager.default.fileExists(atPath: directory + "/.git") {
            try git(["init", "-q"], in: directory)
        }
        try git(["add", "flake.nix"], in: directory)
        try git(["-c", "user.name=thymis-tasks demo", "-c", "user.email=demo@localhost", "-c", "commit.gpgsign=false",
                 "commit", "-q", "--allow-empty", "-m", "demo project"], in: directory)
    }

    private static func git(_ arguments: [String], in directory: String) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["git"] + arguments
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        process.standardOutput = FileHandle.nullDevice
        let errors = Pipe()
        process.standardError = errors
        do { try process.run() } catch { throw CLIError("git is needed for the demo project: \(error)", code: ExitCodes.store) }
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            throw CLIError("git \(arguments.first ?? "") in \(directory) failed: \(message)", code: ExitCodes.store)
        }
    }
}
