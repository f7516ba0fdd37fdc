import Foundation
import Testing
@testable import TaskEngine

@Suite("Run SSH Command to a project device: only the device's own host key is trusted", .enabled(if: SSHServer.isAvailable))
struct SSHDeviceTests {
    let environment: TestEnvironment
    let server: SSHServer
    init() throws {
        environment = try TestEnvironment()
        server = try SSHServer()
    }

    func submission(hostKey: String) -> JSONValue {
        .object(["type": .string(SSHCommandKind.type), "target_host": .string("127.0.0.1"),
                 "target_port": .number(Double(server.port)), "ssh_key_path": .string(server.clientKey),
                 "ssh_host_key": .string(hostKey), "device_identifier": .string("kiosk-1"),
                 "command": .string("echo on $(hostname)"), "connect_timeout": .number(5)])
    }

    @Test("with the device's host key the command runs; the target is the device")
    func success() async throws {
        let engine = environment.makeEngine()
        try await engine.start(watchRequests: false)
        let record = try await engine.submitValue(submission(hostKey: try server.hostPublicKey))
        let final = try await environment.store.waitFor(record.id, toBe: [.completed, .failed])
        #expect(final.state == .completed, "\(final.failureReason ?? "")")
        #expect(final.target == "kiosk-1")
        #expect(try environment.store.allText(record.id, stream: .stdout).hasPrefix("on "))
        // The temporary known-hosts file is gone once the task ended.
        let option = try #require(try environment.store.processes(of: record.id).first?.arguments.first { $0.hasPrefix("UserKnownHostsFile=") })
        let file = String(option.dropFirst("UserKnownHostsFile=".count))
        #expect(!FileManager.default.fileExists(atPath: file))
        // In the state directory, not /tmp: what a killed engine leaves there, the next one removes.
        #expect(file.hasPrefix(environment.directory.scratchPath + "/known-hosts-"), "\(file)")
    }

    @Test("an engine starting removes the known-hosts files a killed engine's tasks left")
    func leftoversRemoved() async throws {
        let leftover = environment.directory.scratchPath + "/known-hosts-left-by-a-killed-engine"
        try FileManager.default.createDirectory(atPath: leftover, withIntermediateDirectories: true)
        try "[127.0.0.1]:22 ssh-ed25519 AAAA\n".write(toFile: leftover + "/known_hosts", atomically: true, encoding: .utf8)
        let engine = environment.makeEngine()
        try await engine.start(watchRequests: false)
        #expect(!FileManager.default.fileExists(atPath: leftover))
    }

    @Test("another key for the device fails without running the command")
    func mismatch() async throws {
        let engine = environment.makeEngine()
        try await engine.start(watchRequests: false)
        let record = try await engine.submitValue(submission(hostKey: try server.otherPublicKey))
        let final = try await environment.store.waitFor(record.id, toBe: [.completed, .failed])
        #expect(final.failureReason == "ssh to root@127.0.0.1:\(server.port) failed (exit 255: connection, authentication or host key problem; see stderr)")
        #expect(try environment.store.allText(record.id, stream: .stdout).isEmpty)
    }
}
