import Testing
@testable import TaskEngine

/// Nix names a device's store `ssh-ng://user@host` (the port goes to ssh in NIX_SSHOPTS); messages
/// add the port, so a dead device among live ones on one host is told apart (issue 30).
@Suite("SSHStoreName: the port in Nix's store URLs")
struct SSHStoreNameTests {
    @Test("the port is added to ssh and ssh-ng URLs that name none", arguments: [
        ("cannot open connection to remote store 'ssh-ng://root@127.0.0.1': error: cannot connect to 'root@127.0.0.1'", 2222,
         "cannot open connection to remote store 'ssh-ng://root@127.0.0.1:2222': error: cannot connect to 'root@127.0.0.1:2222'"),
        ("copying to ssh://deploy@kiosk-1.lan/nix/store", 2200, "copying to ssh://deploy@kiosk-1.lan:2200/nix/store"),
        ("'ssh-ng://root@10.0.0.1:2222' already has one", 2222, "'ssh-ng://root@10.0.0.1:2222' already has one"),
        ("'ssh-ng://root@[fe80::1]'", 2222, "'ssh-ng://root@[fe80::1]:2222'"),
        ("'ssh-ng://root@fe80::1'", 2222, "'ssh-ng://root@fe80::1'"),
        ("'ssh-ng://root@127.0.0.1'", 22, "'ssh-ng://root@127.0.0.1'"),
        ("no store here", 2222, "no store here"),
    ])
    func withPort(_ text: String, _ port: Int, _ expected: String) {
        #expect(SSHStoreName.withPort(text, port: port) == expected)
    }

    @Test("the port of NIX_SSHOPTS as the engine writes it (and as people do)")
    func port() throws {
        let options = try SSHOptions.nixSSHOpts(port: 40022, keyPath: "/k", knownHostsPath: "/h", connectTimeout: 5)
        #expect(SSHStoreName.port(inSSHOptions: options) == 40022)
        #expect(SSHStoreName.port(inSSHOptions: "-o Port=2200") == 2200)
        #expect(SSHStoreName.port(inSSHOptions: "-p2201") == 2201)
        #expect(SSHStoreName.port(inSSHOptions: "-o BatchMode=yes") == nil)
        #expect(SSHStoreName.port(inSSHOptions: nil) == nil)
    }
}
