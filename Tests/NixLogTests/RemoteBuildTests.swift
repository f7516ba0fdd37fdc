// Remote builds as Nix 2.8 logs them: machine attribution, the builder's forwarded activities, per-machine counts.
import Foundation
import NixLog
import Testing

@Suite("Remote builders")
struct RemoteBuildTests {
    static let builder = "ssh-ng://root@127.0.0.1?ssh-key=/keys/builder&remote-program=/run/builder-daemon&remote-store=/srv/builder-root"
    static let dep = "/nix/store/3nlbybhhzb2w75md4mg67ny37clq07hh-rb-dep-14986.drv"
    static let top = "/nix/store/6j8045qd4rbrv9mxjg9y1jlrd90gkxf3-rb-top-14986.drv"
    static let here = "/nix/store/mqwv2mj4fyr6v0421rdmrh92dzv6ajb0-rb-here-14986.drv"
    static let bad = "/nix/store/hw5c6xjqcnj5wp7jfh406y1da9276jnf-rb-bad-14986.drv"

    @Test("each derivation keeps the machine its Build activity named, though the builder forwards its own with none")
    func machineAttribution() {
        let (outputs, state) = decode(Self.mixedBuild, chunkSizes: [97, 4096])
        #expect(state.derivations.map(\.path) == [Self.here, Self.dep, Self.top])
        #expect(state.derivations.map(\.host) == [nil, Self.builder, Self.builder])
        #expect(state.derivations.map(\.status) == [.built, .built, .built])
        #expect(state.derivations.map(\.logLines) == [1, 1, 1])
        #expect(outputs.logLines.map(\.derivation) == [Self.here, Self.dep, Self.top])
        #expect(state.builds == NixProgress(done: 3, expected: 3))
    }

    @Test("per-machine counts: local and remote builds counted apart")
    func machineCounts() {
        let state = decode(Self.mixedBuild).state
        #expect(state.machines == [NixMachineCounts(machine: nil, built: 1), NixMachineCounts(machine: Self.builder, built: 2)])
        #expect(state.machines.map(\.displayName) == ["local", "ssh-ng://root@127.0.0.1"])
    }

    @Test("while building, counts follow this process' Builds activity, never the builder's own smaller one")
    func progressNeverShrinks() {
        var decoder = NixLogDecoder()
        var expected: [Int] = []
        var sawRemoteBuilding = false
        for line in Self.mixedBuild.split(separator: "\n") {
            Array((line + "\n").utf8).withUnsafeBytes { decoder.feed($0) { _ in } }
            expected.append(decoder.state.builds.expected)
            if decoder.state.machines.contains(where: { $0.machine == Self.builder && $0.building == 1 }) { sawRemoteBuilding = true }
        }
        #expect(sawRemoteBuilding)
        #expect(expected == expected.sorted(), "expected builds went down: \(expected)")
        #expect(expected.last == 3)
    }

    @Test("a build failing on the builder is failed on that machine")
    func remoteFailure() throws {
        let state = decode(Self.failedBuild).state
        #expect(state.derivations.count == 1)
        #expect(state.derivation(path: Self.bad)?.status == .failed)
        #expect(state.derivation(path: Self.bad)?.host == Self.builder)
        #expect(state.derivation(path: Self.bad)?.logLines == 1)
        #expect(state.builds.failed == 1)
        #expect(state.machines == [NixMachineCounts(machine: Self.builder, failed: 1)])
        let failure = try #require(state.derivation(path: Self.bad)?.failure)
        #expect(failure.hasPrefix("build of '\(Self.bad)' on '\(Self.builder)' failed: builder for '\(Self.bad)' failed with exit code 3;"),
                "\(failure)")
        #expect(failure.contains("> about to fail"))
        #expect(state.errors.kept.map(\.rawMessage) == ["builder for '\(Self.bad)' failed with exit code 1"])
    }

    @Test("nix-log --json has machines keyed by builder with building/built/failed; the text names them without the query")
    func report() throws {
        let state = decode(Self.mixedBuild).state
        let data = try JSONEncoder().encode(NixLogReport(state: state))
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let machines = try #require(object["machines"] as? [String: [String: Int]])
        #expect(machines == ["local": ["building": 0, "built": 1, "failed": 0, "interrupted": 0],
                             Self.builder: ["building": 0, "built": 2, "failed": 0, "interrupted": 0]])
        let text = NixLogReport(state: state).text
        #expect(text.contains("built             rb-dep-14986 on ssh-ng://root@127.0.0.1 (1 lines)"))
        #expect(text.contains("machines:\n  local: 0 building, 1 built, 0 failed\n  ssh-ng://root@127.0.0.1: 0 building, 2 built, 0 failed\n"))
    }

    @Test("a snapshot taken mid-build, with the builder's activities running, decodes to the same state")
    func snapshotRoundTrip() throws {
        let lines = Self.mixedBuild.split(separator: "\n")
        let half = lines.count / 2
        var first = NixLogDecoder()
        Array((lines[..<half].joined(separator: "\n") + "\n").utf8).withUnsafeBytes { first.feed($0) { _ in } }
        let copy = try JSONDecoder().decode(NixProcessState.self, from: JSONEncoder().encode(first.state))
        #expect(copy == first.state)
    }

    /// `nix build -f m.nix top here` with max-jobs 1 and one ssh-ng builder taking 1 job: `here`
    /// (preferLocalBuild) builds locally, `dep` and `top` (which needs `dep`) on the builder, whose
    /// daemon forwards its own Builds/CopyPaths and Build activities (machine "") over ssh-ng.
    /// Recorded with Nix 2.8.0; paths of keys and the builder's store shortened.
    static let mixedBuild = #"""
@nix {"action":"msg","level":4,"msg":"evaluating file '/project/m.nix'"}
@nix {"action":"start","id":14272176324608,"level":0,"text":"","type":102}
@nix {"action":"start","id":14272176324609,"level":0,"text":"","type":104}
@nix {"action":"start","id":14272176324610,"level":0,"text":"","type":103}
@nix {"action":"result","fields":[0,1,0,0],"id":14272176324609,"type":105}
@nix {"action":"result","fields":[0,0,0,0],"id":14272176324610,"type":105}
@nix {"action":"result","fields":[101,0],"id":14272176324608,"type":106}
@nix {"action":"result","fields":[100,0],"id":14272176324608,"type":106}
@nix {"action":"result","fields":[0,2,0,0],"id":14272176324609,"type":105}
@nix {"action":"result","fields":[0,0,0,0],"id":14272176324610,"type":105}
@nix {"action":"result","fields":[101,0],"id":14272176324608,"type":106}
@nix {"action":"result","fields":[100,0],"id":14272176324608,"type":106}
@nix {"action":"start","id":14272176324611,"level":6,"text":"querying info about missing paths","type":0}
@nix {"action":"stop","id":14272176324611}
@nix {"action":"result","fields":[0,3,0,0],"id":14272176324609,"type":105}
@nix {"action":"result","fields":[0,0,0,0],"id":14272176324610,"type":105}
@nix {"action":"result","fields":[101,0],"id":14272176324608,"type":106}
@nix {"action":"result","fields":[100,0],"id":14272176324608,"type":106}
@nix {"action":"start","fields":["/nix/store/mqwv2mj4fyr6v0421rdmrh92dzv6ajb0-rb-here-14986.drv","",1,1],"id":14272176324612,"level":3,"text":"building '/nix/store/mqwv2mj4fyr6v0421rdmrh92dzv6ajb0-rb-here-14986.drv'","type":105}
@nix {"action":"result","fields":[0,3,1,0],"id":14272176324609,"type":105}
@nix {"action":"result","fields":[0,1,0,0],"id":14272176324610,"type":105}
@nix {"action":"result","fields":[101,0],"id":14272176324608,"type":106}
@nix {"action":"result","fields":[100,0],"id":14272176324608,"type":106}
@nix {"action":"start","id":14272176324613,"level":4,"text":"connecting to 'ssh-ng://root@127.0.0.1?ssh-key=/keys/builder&remote-program=/run/builder-daemon&remote-store=/srv/builder-root'","type":0}
@nix {"action":"stop","id":14272176324613}
@nix {"action":"start","fields":["/nix/store/3nlbybhhzb2w75md4mg67ny37clq07hh-rb-dep-14986.drv","ssh-ng://root@127.0.0.1?ssh-key=/keys/builder&remote-program=/run/builder-daemon&remote-store=/srv/builder-root",1,1],"id":14272176324614,"level":3,"text":"building '/nix/store/3nlbybhhzb2w75md4mg67ny37clq07hh-rb-dep-14986.drv' on 'ssh-ng://root@127.0.0.1?ssh-key=/keys/builder&remote-program=/run/builder-daemon&remote-store=/srv/builder-root'","type":105}
@nix {"action":"result","fields":[0,3,2,0],"id":14272176324609,"type":105}
@nix {"action":"result","fields":[0,0,0,0],"id":14272176324610,"type":105}
@nix {"action":"result","fields":[101,0],"id":14272176324608,"type":106}
@nix {"action":"result","fields":[100,0],"id":14272176324608,"type":106}
@nix {"action":"result","fields":["here line"],"id":14272176324612,"type":101}
@nix {"action":"result","fields":[1,3,1,0],"id":14272176324609,"type":105}
@nix {"action":"result","fields":[0,0,0,0],"id":14272176324610,"type":105}
@nix {"action":"result","fields":[101,0],"id":14272176324608,"type":106}
@nix {"action":"result","fields":[100,0],"id":14272176324608,"type":106}
@nix {"action":"start","id":14272176324615,"level":4,"text":"waiting for the upload lock to 'ssh-ng://root@127.0.0.1?ssh-key=/keys/builder&remote-program=/run/builder-daemon&remote-store=/srv/builder-root'","type":0}
@nix {"action":"stop","id":14272176324615}
@nix {"action":"start","id":14272176324616,"level":4,"text":"copying dependencies to 'ssh-ng://root@127.0.0.1?ssh-key=/keys/builder&remote-program=/run/builder-daemon&remote-store=/srv/builder-root'","type":0}
@nix {"action":"start","id":14272176324617,"level":3,"text":"copying 0 paths","type":103}
@nix {"action":"stop","id":14272176324617}
@nix {"action":"stop","id":14272176324616}
@nix {"action":"start","id":14272176324618,"level":0,"text":"","type":102}
@nix {"action":"start","id":14272176324619,"level":0,"text":"","type":104}
@nix {"action":"start","id":14272176324620,"level":0,"text":"","type":103}
@nix {"action":"result","fields":[0,1,0,0],"id":14272176324619,"type":105}
@nix {"action":"result","fields":[0,0,0,0],"id":14272176324620,"type":105}
@nix {"action":"result","fields":[101,0],"id":14272176324618,"type":106}
@nix {"action":"result","fields":[100,0],"id":14272176324618,"type":106}
@nix {"action":"start","id":14272176324621,"level":6,"text":"querying info about missing paths","type":0}
@nix {"action":"stop","id":14272176324621}
@nix {"action":"start","fields":["/nix/store/3nlbybhhzb2w75md4mg67ny37clq07hh-rb-dep-14986.drv","",1,1],"id":14272176324622,"level":3,"text":"building '/nix/store/3nlbybhhzb2w75md4mg67ny37clq07hh-rb-dep-14986.drv'","type":105}
@nix {"action":"result","fields":[0,1,1,0],"id":14272176324619,"type":105}
@nix {"action":"result","fields":[0,0,0,0],"id":14272176324620,"type":105}
@nix {"action":"result","fields":[101,0],"id":14272176324618,"type":106}
@nix {"action":"result","fields":[100,0],"id":14272176324618,"type":106}
@nix {"action":"result","fields":["dep line"],"id":14272176324622,"type":101}
@nix {"action":"result","fields":[1,1,0,0],"id":14272176324619,"type":105}
@nix {"action":"result","fields":[0,0,0,0],"id":14272176324620,"type":105}
@nix {"action":"result","fields":[101,0],"id":14272176324618,"type":106}
@nix {"action":"result","fields":[100,0],"id":14272176324618,"type":106}
@nix {"action":"stop","id":14272176324622}
@nix {"action":"stop","id":14272176324620}
@nix {"action":"stop","id":14272176324619}
@nix {"action":"stop","id":14272176324618}
@nix {"action":"start","id":14272176324623,"level":4,"text":"copying outputs from 'ssh-ng://root@127.0.0.1?ssh-key=/keys/builder&remote-program=/run/builder-daemon&remote-store=/srv/builder-root'","type":0}
@nix {"action":"start","id":14272176324624,"level":3,"text":"copying 1 paths","type":103}
@nix {"action":"start","fields":["/nix/store/yqrkjzshlmir90kdp4bccanncqcafpv3-rb-dep-14986","ssh-ng://root@127.0.0.1","local"],"id":14272176324625,"level":3,"text":"copying path '/nix/store/yqrkjzshlmir90kdp4bccanncqcafpv3-rb-dep-14986' from 'ssh-ng://root@127.0.0.1'","type":100}
@nix {"action":"stop","id":14272176324625}
@nix {"action":"stop","id":14272176324624}
@nix {"action":"stop","id":14272176324623}
@nix {"action":"result","fields":[2,3,0,0],"id":14272176324609,"type":105}
@nix {"action":"result","fields":[0,0,0,0],"id":14272176324610,"type":105}
@nix {"action":"result","fields":[101,0],"id":14272176324608,"type":106}
@nix {"action":"result","fields":[100,0],"id":14272176324608,"type":106}
@nix {"action":"stop","id":14272176324614}
@nix {"action":"start","id":14272176324626,"level":4,"text":"connecting to 'ssh-ng://root@127.0.0.1?ssh-key=/keys/builder&remote-program=/run/builder-daemon&remote-store=/srv/builder-root'","type":0}
@nix {"action":"stop","id":14272176324626}
@nix {"action":"start","fields":["/nix/store/6j8045qd4rbrv9mxjg9y1jlrd90gkxf3-rb-top-14986.drv","ssh-ng://root@127.0.0.1?ssh-key=/keys/builder&remote-program=/run/builder-daemon&remote-store=/srv/builder-root",1,1],"id":14272176324627,"level":3,"text":"building '/nix/store/6j8045qd4rbrv9mxjg9y1jlrd90gkxf3-rb-top-14986.drv' on 'ssh-ng://root@127.0.0.1?ssh-key=/keys/builder&remote-program=/run/builder-daemon&remote-store=/srv/builder-root'","type":105}
@nix {"action":"result","fields":[2,3,1,0],"id":14272176324609,"type":105}
@nix {"action":"result","fields":[0,0,0,0],"id":14272176324610,"type":105}
@nix {"action":"result","fields":[101,0],"id":14272176324608,"type":106}
@nix {"action":"result","fields":[100,0],"id":14272176324608,"type":106}
@nix {"action":"start","id":14272176324628,"level":4,"text":"waiting for the upload lock to 'ssh-ng://root@127.0.0.1?ssh-key=/keys/builder&remote-program=/run/builder-daemon&remote-store=/srv/builder-root'","type":0}
@nix {"action":"stop","id":14272176324628}
@nix {"action":"start","id":14272176324629,"level":4,"text":"copying dependencies to 'ssh-ng://root@127.0.0.1?ssh-key=/keys/builder&remote-program=/run/builder-daemon&remote-store=/srv/builder-root'","type":0}
@nix {"action":"start","id":14272176324630,"level":3,"text":"copying 0 paths","type":103}
@nix {"action":"stop","id":14272176324630}
@nix {"action":"stop","id":14272176324629}
@nix {"action":"start","id":14272176324631,"level":0,"text":"","type":102}
@nix {"action":"start","id":14272176324632,"level":0,"text":"","type":104}
@nix {"action":"start","id":14272176324633,"level":0,"text":"","type":103}
@nix {"action":"result","fields":[0,1,0,0],"id":14272176324632,"type":105}
@nix {"action":"result","fields":[0,0,0,0],"id":14272176324633,"type":105}
@nix {"action":"result","fields":[101,0],"id":14272176324631,"type":106}
@nix {"action":"result","fields":[100,0],"id":14272176324631,"type":106}
@nix {"action":"start","id":14272176324634,"level":6,"text":"querying info about missing paths","type":0}
@nix {"action":"stop","id":14272176324634}
@nix {"action":"start","fields":["/nix/store/6j8045qd4rbrv9mxjg9y1jlrd90gkxf3-rb-top-14986.drv","",1,1],"id":14272176324635,"level":3,"text":"building '/nix/store/6j8045qd4rbrv9mxjg9y1jlrd90gkxf3-rb-top-14986.drv'","type":105}
@nix {"action":"result","fields":[0,1,1,0],"id":14272176324632,"type":105}
@nix {"action":"result","fields":[0,0,0,0],"id":14272176324633,"type":105}
@nix {"action":"result","fields":[101,0],"id":14272176324631,"type":106}
@nix {"action":"result","fields":[100,0],"id":14272176324631,"type":106}
@nix {"action":"result","fields":["top line"],"id":14272176324635,"type":101}
@nix {"action":"result","fields":[1,1,0,0],"id":14272176324632,"type":105}
@nix {"action":"result","fields":[0,0,0,0],"id":14272176324633,"type":105}
@nix {"action":"result","fields":[101,0],"id":14272176324631,"type":106}
@nix {"action":"result","fields":[100,0],"id":14272176324631,"type":106}
@nix {"action":"stop","id":14272176324635}
@nix {"action":"stop","id":14272176324633}
@nix {"action":"stop","id":14272176324632}
@nix {"action":"stop","id":14272176324631}
@nix {"action":"start","id":14272176324636,"level":4,"text":"copying outputs from 'ssh-ng://root@127.0.0.1?ssh-key=/keys/builder&remote-program=/run/builder-daemon&remote-store=/srv/builder-root'","type":0}
@nix {"action":"start","id":14272176324637,"level":3,"text":"copying 1 paths","type":103}
@nix {"action":"start","fields":["/nix/store/l5p13i2cvd52fbdmnd84hsg0dkaf0fhd-rb-top-14986","ssh-ng://root@127.0.0.1","local"],"id":14272176324638,"level":3,"text":"copying path '/nix/store/l5p13i2cvd52fbdmnd84hsg0dkaf0fhd-rb-top-14986' from 'ssh-ng://root@127.0.0.1'","type":100}
@nix {"action":"stop","id":14272176324638}
@nix {"action":"stop","id":14272176324637}
@nix {"action":"stop","id":14272176324636}
@nix {"action":"result","fields":[3,3,0,0],"id":14272176324609,"type":105}
@nix {"action":"result","fields":[0,0,0,0],"id":14272176324610,"type":105}
@nix {"action":"result","fields":[101,0],"id":14272176324608,"type":106}
@nix {"action":"result","fields":[100,0],"id":14272176324608,"type":106}
@nix {"action":"stop","id":14272176324627}
@nix {"action":"stop","id":14272176324612}
@nix {"action":"stop","id":14272176324610}
@nix {"action":"stop","id":14272176324609}
@nix {"action":"stop","id":14272176324608}
"""#

    /// `nix build -f m.nix bad` on the same builder: its builder exits 3.
    static let failedBuild = #"""
@nix {"action":"msg","level":4,"msg":"evaluating file '/project/m.nix'"}
@nix {"action":"start","id":16174846836736,"level":0,"text":"","type":102}
@nix {"action":"start","id":16174846836737,"level":0,"text":"","type":104}
@nix {"action":"start","id":16174846836738,"level":0,"text":"","type":103}
@nix {"action":"result","fields":[0,1,0,0],"id":16174846836737,"type":105}
@nix {"action":"result","fields":[0,0,0,0],"id":16174846836738,"type":105}
@nix {"action":"result","fields":[101,0],"id":16174846836736,"type":106}
@nix {"action":"result","fields":[100,0],"id":16174846836736,"type":106}
@nix {"action":"start","id":16174846836739,"level":6,"text":"querying info about missing paths","type":0}
@nix {"action":"stop","id":16174846836739}
@nix {"action":"start","id":16174846836740,"level":4,"text":"connecting to 'ssh-ng://root@127.0.0.1?ssh-key=/keys/builder&remote-program=/run/builder-daemon&remote-store=/srv/builder-root'","type":0}
@nix {"action":"stop","id":16174846836740}
@nix {"action":"start","fields":["/nix/store/hw5c6xjqcnj5wp7jfh406y1da9276jnf-rb-bad-14986.drv","ssh-ng://root@127.0.0.1?ssh-key=/keys/builder&remote-program=/run/builder-daemon&remote-store=/srv/builder-root",1,1],"id":16174846836741,"level":3,"text":"building '/nix/store/hw5c6xjqcnj5wp7jfh406y1da9276jnf-rb-bad-14986.drv' on 'ssh-ng://root@127.0.0.1?ssh-key=/keys/builder&remote-program=/run/builder-daemon&remote-store=/srv/builder-root'","type":105}
@nix {"action":"result","fields":[0,1,1,0],"id":16174846836737,"type":105}
@nix {"action":"result","fields":[0,0,0,0],"id":16174846836738,"type":105}
@nix {"action":"result","fields":[101,0],"id":16174846836736,"type":106}
@nix {"action":"result","fields":[100,0],"id":16174846836736,"type":106}
@nix {"action":"start","id":16174846836742,"level":4,"text":"waiting for the upload lock to 'ssh-ng://root@127.0.0.1?ssh-key=/keys/builder&remote-program=/run/builder-daemon&remote-store=/srv/builder-root'","type":0}
@nix {"action":"stop","id":16174846836742}
@nix {"action":"start","id":16174846836743,"level":4,"text":"copying dependencies to 'ssh-ng://root@127.0.0.1?ssh-key=/keys/builder&remote-program=/run/builder-daemon&remote-store=/srv/builder-root'","type":0}
@nix {"action":"start","id":16174846836744,"level":3,"text":"copying 0 paths","type":103}
@nix {"action":"stop","id":16174846836744}
@nix {"action":"stop","id":16174846836743}
@nix {"action":"start","id":16174846836745,"level":0,"text":"","type":102}
@nix {"action":"start","id":16174846836746,"level":0,"text":"","type":104}
@nix {"action":"start","id":16174846836747,"level":0,"text":"","type":103}
@nix {"action":"result","fields":[0,1,0,0],"id":16174846836746,"type":105}
@nix {"action":"result","fields":[0,0,0,0],"id":16174846836747,"type":105}
@nix {"action":"result","fields":[101,0],"id":16174846836745,"type":106}
@nix {"action":"result","fields":[100,0],"id":16174846836745,"type":106}
@nix {"action":"start","id":16174846836748,"level":6,"text":"querying info about missing paths","type":0}
@nix {"action":"stop","id":16174846836748}
@nix {"action":"start","fields":["/nix/store/hw5c6xjqcnj5wp7jfh406y1da9276jnf-rb-bad-14986.drv","",1,1],"id":16174846836749,"level":3,"text":"building '/nix/store/hw5c6xjqcnj5wp7jfh406y1da9276jnf-rb-bad-14986.drv'","type":105}
@nix {"action":"result","fields":[0,1,1,0],"id":16174846836746,"type":105}
@nix {"action":"result","fields":[0,0,0,0],"id":16174846836747,"type":105}
@nix {"action":"result","fields":[101,0],"id":16174846836745,"type":106}
@nix {"action":"result","fields":[100,0],"id":16174846836745,"type":106}
@nix {"action":"result","fields":["about to fail"],"id":16174846836749,"type":101}
@nix {"action":"result","fields":[0,0,0,1],"id":16174846836746,"type":105}
@nix {"action":"result","fields":[0,0,0,0],"id":16174846836747,"type":105}
@nix {"action":"result","fields":[101,0],"id":16174846836745,"type":106}
@nix {"action":"result","fields":[100,0],"id":16174846836745,"type":106}
@nix {"action":"stop","id":16174846836749}
@nix {"action":"stop","id":16174846836747}
@nix {"action":"stop","id":16174846836746}
@nix {"action":"stop","id":16174846836745}
@nix {"action":"msg","level":0,"msg":"\u001b[31;1merror:\u001b[0m build of '\u001b[35;1m/nix/store/hw5c6xjqcnj5wp7jfh406y1da9276jnf-rb-bad-14986.drv\u001b[0m' on '\u001b[35;1mssh-ng://root@127.0.0.1?ssh-key=/keys/builder&remote-program=/run/builder-daemon&remote-store=/srv/builder-root\u001b[0m' failed: \u001b[35;1m\u001b[0mbuilder for '\u001b[35;1m/nix/store/hw5c6xjqcnj5wp7jfh406y1da9276jnf-rb-bad-14986.drv\u001b[0m' failed with exit code 3;\n       last 1 log lines:\n       > about to fail\n       For full logs, run '\u001b[1mnix log /nix/store/hw5c6xjqcnj5wp7jfh406y1da9276jnf-rb-bad-14986.drv\u001b[0m'.\u001b[0m"}
@nix {"action":"result","fields":[0,0,0,1],"id":16174846836737,"type":105}
@nix {"action":"result","fields":[0,0,0,0],"id":16174846836738,"type":105}
@nix {"action":"result","fields":[101,0],"id":16174846836736,"type":106}
@nix {"action":"result","fields":[100,0],"id":16174846836736,"type":106}
@nix {"action":"stop","id":16174846836741}
@nix {"action":"stop","id":16174846836738}
@nix {"action":"stop","id":16174846836737}
@nix {"action":"stop","id":16174846836736}
@nix {"action":"msg","column":null,"file":null,"level":0,"line":null,"msg":"\u001b[31;1merror:\u001b[0m \u001b[35;1m\u001b[0mbuilder for '\u001b[35;1m/nix/store/hw5c6xjqcnj5wp7jfh406y1da9276jnf-rb-bad-14986.drv\u001b[0m' failed with exit code 1\u001b[0m","raw_msg":"\u001b[35;1m\u001b[0mbuilder for '\u001b[35;1m/nix/store/hw5c6xjqcnj5wp7jfh406y1da9276jnf-rb-bad-14986.drv\u001b[0m' failed with exit code 1\u001b[0m"}
"""#
}
