// SSHServer.swift next to this file is a link to the engine tests' sshd (one real sshd helper, not two
// copies); this is the one name it needs from their support files.
typealias TestTimeout = CLITestError
