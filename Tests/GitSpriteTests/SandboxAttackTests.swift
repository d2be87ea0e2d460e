import Foundation
import GitSpriteCore
import SpriteSync
import SpritesAPI
import TestSupport
import Testing

/// What a process in a sprite tries against the host, other sprites and the token, each with
/// sprite-host running as root and as an ordinary user (docs/security.md lists the claims).
@Suite("sprite-host: attacks from inside a sprite", .ownThread)
struct SandboxAttackTests {
    /// Runs a shell script in the sprite; stdout, stderr and status.
    static func inSprite(
        _ api: SpritesClient, _ sprite: String, _ script: String
    ) throws -> (status: Int32, out: String, err: String) {
        let r = try api.run(sprite, ["sh", "-c", script])
        return (r.status, String(decoding: r.stdout, as: UTF8.self), String(decoding: r.stderr, as: UTF8.self))
    }

    /// A file on the host that no sprite may read or change, owned by whoever runs the host
    /// (so that a host fooled into following a link could write it).
    static func canary(_ user: HostUser, _ text: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.path + "/git-sprite-canary-" + UUID().uuidString
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        if user == .unprivileged { chown(path, HostUser.unprivilegedUID, HostUser.unprivilegedUID) }
        return path
    }

    /// Another sprite's name appears nowhere a sprite can read: no cgroup file system of the
    /// host's (it lists every sprite of every host, with live memory use), cgroup paths
    /// relative to the sprite's own cgroup namespace, no other sprite's mounts.
    @Test(arguments: HostUser.allCases)
    func noOtherSpriteCanBeSeenUnderSysOrProc(user: HostUser) throws {
        let f = try HostFixture(sprites: ["alpha-one", "beta-two"], user: user)
        _ = try f.api.run("beta-two", ["true"])  // running, with cgroups of its own on a root host
        let r = try Self.inSprite(
            f.api, "alpha-one",
            """
            { ls -R /sys/fs/cgroup; cat /proc/self/cgroup /proc/1/cgroup; } 2>/dev/null | grep -e beta-two -e sprite-host- ; \
            cat /proc/self/mountinfo /proc/mounts | grep -e beta-two ; true
            """)
        #expect(r.out.isEmpty, "\(r.out) \(r.err)")
        #expect(
            try Self.inSprite(f.api, "alpha-one", "ls -A /sys/fs/cgroup | wc -l").out.trimmingCharacters(
                in: .whitespacesAndNewlines) == "0")
        // a search of all of /sys and /proc/self for the other sprite's name finds nothing (it
        // was there: each sprite's disk is a loop device whose backing file names its image).
        // The search must finish: `pagemap` is 8 bytes for every page of the address space, and
        // grep killed by a timeout never writes out what it found; the pattern does not match
        // the search's own command line.
        let wide = try Self.inSprite(
            f.api, "alpha-one",
            "timeout 60 grep -rlsE --line-buffered --exclude=pagemap --exclude=mem 'beta-tw[o]' /sys /proc/self"
                + " > /tmp/found 2>/dev/null; echo \"status $?\"; head -3 /tmp/found")
        #expect(!wide.out.contains("status 124"), "the search did not finish: \(wide.out)")
        #expect(wide.out.split(separator: "\n").filter { !$0.hasPrefix("status") }.isEmpty, "\(wide.out)")
    }

    /// PID 1 cannot be traced or read (it is not dumpable), and the kernel's rarely needed
    /// system calls are refused to every sprite process by a seccomp filter.
    @Test(arguments: HostUser.allCases)
    func pidOneCannotBeTracedAndRarelyNeededSyscallsAreRefused(user: HostUser) throws {
        let f = try HostFixture(sprites: ["box"], user: user)
        let probe = """
            import ctypes, errno, os
            libc = ctypes.CDLL(None, use_errno=True)
            def call(nr, *args):
                r = libc.syscall(nr, *[ctypes.c_long(a) for a in args])
                return "ok" if r >= 0 else errno.errorcode.get(ctypes.get_errno(), str(ctypes.get_errno()))
            params = ctypes.create_string_buffer(120)
            print("ptrace-attach-1", call(101, 16, 1, 0, 0))
            print("io_uring_setup", call(425, 1, ctypes.addressof(params)))
            print("add_key", call(248, ctypes.addressof(ctypes.create_string_buffer(b"user")), ctypes.addressof(ctypes.create_string_buffer(b"k")), 0, 0, -2))
            print("keyctl", call(250, 0, -2))
            print("bpf", call(321, 0, 0, 0))
            print("perf_event_open", call(298, 0, 0, -1, -1, 0))
            print("userfaultfd", call(323, 0))
            print("unshare-ok", call(39))  # getpid: allowed calls still work
            """
        let r = try f.api.run("box", ["python3", "-c", probe])
        let out = String(decoding: r.stdout, as: UTF8.self)
        #expect(r.status == 0, "\(out) \(String(decoding: r.stderr, as: UTF8.self))")
        let results = Dictionary(
            uniqueKeysWithValues: out.split(separator: "\n").compactMap { line -> (String, String)? in
                let p = line.split(separator: " ").map(String.init)
                return p.count == 2 ? (p[0], p[1]) : nil
            })
        #expect(results["ptrace-attach-1"] == "EPERM", "\(out)")
        for call in ["io_uring_setup", "add_key", "keyctl", "bpf", "perf_event_open", "userfaultfd"] {
            #expect(results[call] == "EPERM", "\(call): \(out)")
        }
        #expect(results["unshare-ok"] == "ok", "\(out)")
        // PID 1's memory and environment are not readable
        let environ = try Self.inSprite(
            f.api, "box", "cat /proc/1/environ >/dev/null 2>&1 && echo readable || echo denied")
        #expect(environ.out.trimmingCharacters(in: .whitespacesAndNewlines) == "denied")
        // nor killed: the kernel drops signals from inside to an init that does not handle them
        let initPID = try Self.inSprite(f.api, "box", "cut -d\" \" -f22 /proc/1/stat").out
        #expect(!initPID.isEmpty)
        _ = try Self.inSprite(f.api, "box", "kill -KILL 1; kill -TERM 1; kill -SEGV 1; sleep 0.3; true")
        #expect(
            try Self.inSprite(f.api, "box", "cut -d\" \" -f22 /proc/1/stat").out == initPID, "PID 1 is the same process"
        )
        #expect(try f.api.run("box", ["true"]).status == 0)
    }

    @Test(arguments: HostUser.allCases)
    func nothingOfTheHostIsVisibleOrWritable(user: HostUser) throws {
        let f = try HostFixture(sprites: ["box"], user: user)
        let (host, api) = (f.host, f.api)
        let secret = try Self.canary(user, "host-secret-\(UUID().uuidString)")
        defer { unlink(secret) }
        let token = host.root + "/token"
        let script = """
            fail() { echo "ESCAPED: $1"; }
            cat /etc/shadow 2>/dev/null && fail shadow
            cat \(token) 2>/dev/null && fail token
            ls \(host.root) 2>/dev/null && fail state-root
            cat \(secret) 2>/dev/null && fail host-tmp
            ls /proc/1/root\(host.root) 2>/dev/null && fail proc-1-root
            test -e /proc/\(host.pid) && fail host-process-visible
            kill -0 \(host.pid) 2>/dev/null && fail host-process-signal
            for d in /usr /etc /var /opt /sys /.sprite /.sprite/policy; do touch $d/x 2>/dev/null && fail write-$d; done
            mkdir -p /home/sprite/m && mount -t tmpfs none /home/sprite/m 2>/dev/null && fail mount
            unshare -U true 2>/dev/null && fail unshare-user
            unshare -m true 2>/dev/null && fail unshare-mount
            unshare -n true 2>/dev/null && fail unshare-net
            nsenter -t 1 -m -p true 2>/dev/null && fail nsenter
            nsenter -t 1 -U true 2>/dev/null && fail nsenter-user
            python3 -c 'import ctypes,sys; sys.exit(0 if ctypes.CDLL(None).ptrace(16, \(host.pid), 0, 0) == 0 else 1)' 2>/dev/null && fail ptrace
            echo "home: $(ls -A /home | tr '\\n' ' ')"
            echo "root: $(ls -A /root | wc -l)"
            grep -E '^Cap(Prm|Eff|Bnd|Amb)' /proc/self/status | awk '{print $2}' | sort -u
            id -u
            readlink /proc/1/exe 2>/dev/null || echo "exe hidden: $(cat /proc/1/comm)"
            echo sprite > /tmp/from-sprite-\(host.pid)
            """
        let r = try Self.inSprite(api, "box", script)
        #expect(!r.out.contains("ESCAPED"), "\(r.out)")
        let lines = r.out.split(separator: "\n").map(String.init)
        #expect(lines.contains("home: sprite "), "\(r.out)")
        #expect(lines.contains("root: 0"), "\(r.out)")
        #expect(lines.contains("0000000000000000"), "no capability: \(r.out)")
        #expect(!lines.contains { $0.hasPrefix("000000") && $0 != "0000000000000000" }, "\(r.out)")
        #expect(lines.contains("1000"))
        #expect(lines.contains("exe hidden: init"), "PID 1 is the sprite's init and not dumpable: \(r.out)")
        // the sprite's /tmp is its own
        #expect(!FileManager.default.fileExists(atPath: "/tmp/from-sprite-\(host.pid)"))
        #expect(try String(contentsOfFile: secret, encoding: .utf8).hasPrefix("host-secret-"))
    }

    @Test(arguments: HostUser.allCases)
    func aSpriteCannotSeeAnotherSprite(user: HostUser) throws {
        let f = try HostFixture(sprites: ["alice", "mallory"], user: user)
        let api = f.api
        let marker = "alice-only-\(UUID().uuidString.prefix(8))"
        #expect(
            try Self.inSprite(api, "alice", "echo \(marker) > /home/sprite/\(marker); echo \(marker) > /tmp/\(marker)")
                .status == 0)
        let running = try api.openExec("alice", ExecRequest(command: ["sleep", "300", marker]))
        defer { running.close() }
        _ = try running.next(timeout: 5)
        // the marker is assembled in a file, so that no command line of this script holds it
        let half = marker.count / 2
        let look = """
            printf '%s%s' '\(marker.prefix(half))' '\(marker.dropFirst(half))' > /home/sprite/.pattern
            find / -xdev -name "$(cat /home/sprite/.pattern)*" 2>/dev/null
            cat /proc/[0-9]*/cmdline 2>/dev/null | tr '\\0' ' ' | grep -c -F -f /home/sprite/.pattern
            ls -d /home/* /tmp/* 2>/dev/null
            """
        let r = try Self.inSprite(api, "mallory", look)
        #expect(!r.out.contains("/\(marker)"), "\(r.out)")
        #expect(r.out.split(separator: "\n").contains("0"), "\(r.out)")
        #expect(!r.out.contains("alice"), "\(r.out)")
    }

    @Test(arguments: HostUser.allCases)
    func noAddressLeadsToTheHostsLoopback(user: HostUser) throws {
        let f = try HostFixture(sprites: ["net"], user: user)
        let (host, api) = (f.host, f.api)
        let listener = try TestDaemon(["python3", "-u", "-m", "http.server", "0", "--bind", "127.0.0.1"])
        let port = try #require(listener.firstLine.split(separator: " ").drop { $0 != "port" }.dropFirst().first)
        let hostPort = String(host.directURL.split(separator: ":").last ?? "")
        var targets: [String] = []
        for p in [String(port), hostPort] {
            targets += ["127.0.0.1:\(p)", "10.0.2.2:\(p)", "localhost:\(p)", "[::1]:\(p)"]
        }
        // -f: an answer from the proxy (403) is not a success; --noproxy '': even loopback names
        // go through the proxy when one is offered
        let probe = targets.map {
            "curl -sf -o /dev/null --noproxy '' --max-time 3 http://\($0)/ && echo REACHED \($0)"
        }.joined(separator: "\n")
        // open network, then through the egress proxy of a filtered policy that allows every name
        let open = try Self.inSprite(api, "net", probe)
        #expect(!open.out.contains("REACHED"), "\(open.out)")
        try api.setNetworkPolicy("net", rules: [PolicyRule(domain: "*", action: "allow")])
        let proxied = try Self.inSprite(api, "net", "env | grep -c '^http_proxy='\n" + probe)
        #expect(proxied.out.hasPrefix("1\n"), "the proxy is offered: \(proxied.out)")
        #expect(!proxied.out.contains("REACHED"), "\(proxied.out)")
        // the proxy says why
        let refused = try Self.inSprite(
            api, "net", "curl -s --noproxy '' --max-time 3 -o /dev/null -w '%{http_code}' http://localhost:\(port)/")
        #expect(refused.out == "403", "\(refused.out) \(refused.err)")
    }

    @Test(arguments: HostUser.allCases)
    func filesTheHostWritesCannotBeRedirected(user: HostUser) throws {
        let f = try HostFixture(sprites: ["dot"], user: user)
        let api = f.api
        let canary = try Self.canary(user, "canary\n")
        defer { unlink(canary) }
        _ = try api.putService("dot", name: "talker", cmd: "sh", args: ["-c", "echo service-line; exec sleep 300"])
        let plant = """
            ln -sf \(canary) /.sprite/policy/network.json 2>/dev/null && echo PLANTED policy
            rm -f /.sprite/logs/services/talker.log 2>/dev/null && echo REMOVED log
            ln -sf \(canary) /.sprite/logs/services/talker.log 2>/dev/null && echo PLANTED log
            ln -sf \(canary) /.sprite/logs/services/other.log 2>/dev/null && echo PLANTED other
            ln -sf \(canary) /.sprite/api.sock 2>/dev/null && echo PLANTED socket
            """
        let r = try Self.inSprite(api, "dot", plant)
        #expect(!r.out.contains("PLANTED") && !r.out.contains("REMOVED"), "\(r.out)")
        // the host writes the policy file and the log, and serves the log back
        try api.setNetworkPolicy("dot", rules: [PolicyRule(domain: "example.com", action: "allow")])
        let logs = try api.call("GET", "/v1/sprites/dot/services/talker/logs")
        #expect(String(decoding: logs.body, as: UTF8.self).contains("service-line"))
        #expect(!String(decoding: logs.body, as: UTF8.self).contains("canary"))
        #expect(try String(contentsOfFile: canary, encoding: .utf8) == "canary\n")
        #expect(
            String(decoding: try api.readFile("dot", path: "/.sprite/policy/network.json"), as: UTF8.self)
                .contains("example.com"))
    }

    @Test(.longRunning, arguments: HostUser.allCases)
    func symlinkSwapsNeverTurnTheFilesystemAPIOntoAHostFile(user: HostUser) throws {
        let f = try HostFixture(sprites: ["race"], user: user)
        let (host, api) = (f.host, f.api)
        let canary = try Self.canary(user, "host-only\n")
        defer { unlink(canary) }
        try api.writeFile("race", path: "plain", data: Data("plain\n".utf8))
        // the swapper flips a name between a file of the sprite and the host files' paths, about
        // two thousand times a second: half the time by an atomic rename over it, half by
        // unlinking it first (a moment with no name at all); a process of its own per swap (ln)
        // kept a core busy for the whole test and swapped no more often
        let swap = """
            import os, time
            os.chdir("/home/sprite")
            targets, i = ["plain", "\(canary)", "\(host.root)/token"], 0
            while True:
                i += 1
                try:
                    if i % 2:
                        os.symlink(targets[i % 3], "swap.new")
                        os.replace("swap.new", "swap")
                    else:
                        if os.path.lexists("swap"): os.unlink("swap")
                        os.symlink(targets[i % 3], "swap")
                except OSError:
                    pass
                time.sleep(0.0005)
            """
        let swapper = try api.openExec("race", ExecRequest(command: ["python3", "-c", swap]))
        defer { swapper.close() }
        _ = try swapper.next(timeout: 5)
        let leaked = Locked(0), tries = Locked(0)
        DispatchQueue.concurrentPerform(iterations: 4) { worker in
            let client = host.client()
            for i in 0..<250 {
                if (i + worker) % 2 == 0 {
                    // a read may meet the file half-rewritten by a write, never a host file
                    let text = String(decoding: (try? client.readFile("race", path: "swap")) ?? Data(), as: UTF8.self)
                    if text.contains("host-only") || text.contains(host.token) { leaked.withLock { $0 += 1 } }
                } else {
                    try? client.writeFile("race", path: "swap", data: Data("plain\n".utf8))
                }
                tries.withLock { $0 += 1 }
            }
        }
        #expect(tries.value == 1000)
        #expect(leaked.value == 0)
        #expect(try String(contentsOfFile: canary, encoding: .utf8) == "host-only\n")
        #expect(try String(contentsOfFile: host.root + "/token", encoding: .utf8) == host.token + "\n")
    }
}

/// What a sprite tries against the host's own work on its behalf and its in-sprite API.
@Suite("sprite-host: attacks on the host's own work", .ownThread)
struct SandboxMaintenanceAttackTests {
    /// A restore empties the sprite's home on the host. A sprite that swapped a directory
    /// for a link to a host directory while that ran used to make the host delete the host
    /// directory's files; now nothing of the sprite runs during a restore, and the deleting
    /// happens in a sandbox where host files do not exist.
    @Test(arguments: HostUser.allCases)
    func aRestoreCannotBeTurnedOntoHostFiles(user: HostUser) throws {
        let f = try HostFixture(sprites: ["r"], user: user)
        let api = f.api
        let victim = FileManager.default.temporaryDirectory.path + "/git-sprite-victim-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: victim, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: victim) }
        for i in 0..<5000 { _ = FileManager.default.createFile(atPath: victim + "/f\(i)", contents: nil) }
        if user == .unprivileged { chown(victim, HostUser.unprivilegedUID, HostUser.unprivilegedUID) }
        _ = try api.createCheckpoint("r")
        let fill = "mkdir -p big && cd big && for i in $(seq 0 4999); do : > f$i; done"
        #expect(try api.run("r", ["sh", "-c", fill], directory: "/home/sprite").status == 0)
        // waits for the restore to start emptying big, then swaps it for a link to the victim
        let swapper = """
            import ctypes, os, time
            libc = ctypes.CDLL(None, use_errno=True)
            os.chdir("/home/sprite")
            os.symlink("\(victim)", "lnk")
            while len(os.listdir("big")) >= 5000: time.sleep(0.001)
            print("exchange", libc.renameat2(-100, b"big", -100, b"lnk", 2), flush=True)
            """
        try api.writeFile("r", path: "/tmp/swap.py", data: Data(swapper.utf8))
        _ = try api.putService("r", name: "swapper", cmd: "python3", args: ["/tmp/swap.py"])
        let wakerDone = DispatchSemaphore(value: 0)
        let waker = Thread {
            for _ in 0..<40 {
                _ = try? f.host.client().getSprite("r")
                usleep(25_000)
            }
            wakerDone.signal()
        }
        waker.start()
        try api.restoreCheckpoint("r", id: "v0")
        // every wake the swapper could ride on has happened
        wakerDone.wait()
        let left = try FileManager.default.contentsOfDirectory(atPath: victim).count
        #expect(left == 5000, "the host deleted \(5000 - left) of its own files")
    }

    @Test(arguments: HostUser.allCases)
    func theInSpriteAPIBoundsConnectionsAndTasks(user: HostUser) throws {
        let f = try HostFixture(sprites: ["t"], user: user)
        let api = f.api
        let fds = { (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(f.host.pid)/fd").count) ?? 0 }
        let before = fds()
        // two thousand connections that never finish a request
        let flood = """
            import socket, time
            held = []
            for i in range(2000):
                s = socket.socket(socket.AF_UNIX); s.setblocking(False)
                try: s.connect("/.sprite/api.sock")
                except (BlockingIOError, OSError): pass
                try: s.send(b"GET /v1/tasks HTTP/1.1\\r\\nHost: x\\r\\n")
                except OSError: pass
                held.append(s)
            print("open", len(held), flush=True)
            time.sleep(6)
            """
        try api.writeFile("t", path: "/tmp/flood.py", data: Data(flood.utf8))
        let stream = try api.openExec("t", ExecRequest(command: ["python3", "/tmp/flood.py"]))
        defer { stream.close() }
        _ = try readUntil(stream, timeout: 20) { $0.contains("open ") }
        #expect(fds() - before < 200, "the host holds \(fds() - before) more descriptors")
        // answered at all: a host wedged by the flood never would (how fast is not asserted: on
        // a loaded machine a second is not always enough)
        #expect(try api.call("GET", "/v1/sprites", timeout: 30).status == 200)
        // the flood ends (its held connections with it) before the tasks are counted
        let flooder = try #require(stream.sessionID)
        try api.kill("t", session: flooder, signal: "KILL", timeout: "5s")
        stream.close()
        let probe = [
            "curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "2", "--unix-socket",
            "/.sprite/api.sock", "http://sprite/v1/tasks",
        ]
        #expect(eventually(seconds: 20) { (try? api.run("t", probe).stdout) == Data("200".utf8) })
        // tasks: at most 256, names at most 256 bytes
        let tasks = """
            codes=""
            for i in $(seq 1 260); do
              codes="$codes $(curl -s -o /dev/null -w '%{http_code}' --unix-socket /.sprite/api.sock -X PUT http://sprite/v1/tasks/t$i -d '{"expire":"1m"}')"
            done
            echo $codes | tr ' ' '\\n' | sort | uniq -c | tr -s ' '
            curl -s -o /dev/null -w '%{http_code}' --unix-socket /.sprite/api.sock -X PUT "http://sprite/v1/tasks/$(head -c 300 /dev/zero | tr '\\0' x)" -d '{}'
            """
        let out = String(decoding: try api.run("t", ["sh", "-c", tasks]).stdout, as: UTF8.self)
        #expect(out.contains(" 256 200"), "\(out)")
        #expect(out.contains(" 4 409"), "\(out)")
        #expect(out.hasSuffix("400"), "\(out)")
    }

    /// The egress proxy is a way out: it exists only while a filtered policy needs it.
    @Test func noListenerOfTheHostWaitsInsideAnOpenOrBlockedSprite() throws {
        let f = try HostFixture(sprites: ["l"])
        let api = f.api
        let listening = "awk 'NR > 1 && $4 == \"0A\"' /proc/net/tcp /proc/net/tcp6 | wc -l"
        #expect(try SandboxAttackTests.inSprite(api, "l", listening).out == "0\n")
        try api.setNetworkPolicy("l", rules: [PolicyRule(domain: "*", action: "deny")])
        #expect(try SandboxAttackTests.inSprite(api, "l", listening).out == "0\n")
        try api.setNetworkPolicy("l", rules: [PolicyRule(domain: "example.com", action: "allow")])
        #expect(try SandboxAttackTests.inSprite(api, "l", listening).out == "1\n")
        try api.setNetworkPolicy("l", rules: [])
        #expect(try SandboxAttackTests.inSprite(api, "l", listening).out == "0\n")
    }

    /// A state root reached through a symlink is masked at its real place too (a home under
    /// /var, as on Fedora Silverblue, would otherwise be visible under the shared /var).
    @Test func aSymlinkedStateRootIsHiddenWhereItReallyIs() throws {
        let resolved = "/var/lib/git-sprite-test-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: resolved + "/root", withIntermediateDirectories: true)
        chown(resolved, HostUser.unprivilegedUID, HostUser.unprivilegedUID)
        chown(resolved + "/root", HostUser.unprivilegedUID, HostUser.unprivilegedUID)
        defer { try? FileManager.default.removeItem(atPath: resolved) }
        let link = FileManager.default.temporaryDirectory.path + "/git-sprite-link-" + UUID().uuidString
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: resolved + "/root")
        defer { unlink(link) }
        let s = try Sandbox()
        let host = try LocalHost(root: s.path("host"), user: .unprivileged, unprivilegedRoot: link)
        let api = host.client()
        _ = try api.createSprite(SpriteCreation(name: "a"))
        _ = try api.createSprite(SpriteCreation(name: "b"))
        try api.writeFile("b", path: "secret", data: Data("b-private".utf8))
        let r = try SandboxAttackTests.inSprite(
            api, "a", "cat \(resolved)/root/token \(resolved)/root/sprites/b/home/secret; ls \(resolved)")
        #expect(!r.out.contains(host.token) && !r.out.contains("b-private"), "\(r.out)")
    }
}

/// What a client (or anyone with the token) tries against sprite-host itself.
@Suite("sprite-host: hostile requests", .ownThread)
struct HostileRequestTests {
    /// The host's resident memory, in MiB.
    static func residentMiB(_ pid: Int32) -> Int {
        let status = (try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)) ?? ""
        let line = status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") } ?? ""
        return (Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0) / 1024
    }

    /// The most the host's resident memory has ever been (VmHWM), in MiB.
    static func peakMiB(_ pid: Int32) -> Int {
        let status = (try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)) ?? ""
        let line = status.split(separator: "\n").first { $0.hasPrefix("VmHWM:") } ?? ""
        return (Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0) / 1024
    }

    /// The memory bound docs/security.md states for sprite-host under these attacks.
    static let memoryBoundMiB = 256

    @Test(arguments: HostUser.allCases)
    func malformedNumbersAreRefusedAndNeverCrashTheHost(user: HostUser) throws {
        let f = try HostFixture(sprites: ["n"], user: user, retries: false)
        let api = f.api
        _ = try api.putService("n", name: "svc", cmd: "sleep", args: ["300"])
        let bad = ["1e300", "-1", "x", "NaN", "inf", "99999999999999999999999", "0x10", ""]
        var calls: [(String, String, [(String, String)], Any?)] = []
        for v in bad where !v.isEmpty {
            calls += [
                ("PUT", "/v1/sprites/n/services/svc", [("duration", v)], ["cmd": "sleep", "args": ["1"]]),
                ("POST", "/v1/sprites/n/services/svc/start", [("duration", v)], nil),
                ("POST", "/v1/sprites/n/services/svc/stop", [("timeout", v)], nil),
                ("GET", "/v1/sprites/n/services/svc/logs", [("lines", v)], nil),
                ("GET", "/v1/sprites", [("max_results", v)], nil),
                ("POST", "/v1/sprites/n/exec", [("cmd", "true"), ("rows", v)], nil),
                ("POST", "/v1/sprites/n/exec", [("cmd", "true"), ("cols", v)], nil),
                ("POST", "/v1/sprites/n/exec", [("cmd", "true"), ("max_run_after_disconnect", v)], nil),
                ("PUT", "/v1/sprites/n/fs/write", [("path", "f"), ("mode", v)], nil),
            ]
        }
        for v: Any in [1e300, -1, "x", 1.5, 100_000, -1e300] {
            calls.append(("POST", "/v1/sprites", [], ["name": "bad", "config": ["cpus": v]]))
            calls.append(("POST", "/v1/sprites", [], ["name": "bad", "config": ["ram_mb": v]]))
            calls.append(("POST", "/v1/sprites", [], ["name": "bad", "config": ["storage_gb": v]]))
            calls.append(("PUT", "/v1/sprites/n/services/svc2", [], ["cmd": "true", "http_port": v]))
        }
        calls.append(("POST", "/v1/sprites/n/fs/chmod", [], ["path": "f", "mode": "99999"]))
        calls.append(("POST", "/v1/sprites/n/policy/network", [], ["rules": [["domain": "a b", "action": "allow"]]]))
        calls.append(("PUT", "/v1/sprites/n/services/..%2F..%2Fescape", [], ["cmd": "true"]))
        calls.append(("PUT", "/v1/sprites/n/services/.hidden", [], ["cmd": "true"]))
        // a live session's kill, with bad timeouts
        let session = try api.openExec("n", ExecRequest(command: ["sleep", "300"]))
        defer { session.close() }
        _ = try session.next(timeout: 5)
        let id = try #require(session.sessionID)
        for v in ["1e300", "-1", "x", "NaN"] {
            calls.append(("POST", "/v1/sprites/n/exec/\(id)/kill", [("timeout", v)], nil))
            if v != "NaN" {  // JSON has no NaN
                calls.append(
                    ("POST", "/v1/sprites/n/exec/\(id)/kill", [], ["timeout": v == "x" ? "x" : (Double(v) ?? 0) as Any])
                )
            }
        }
        for (method, path, query, json) in calls {
            let r = try api.call(
                method, path, query: query, body: try json.map { try JSONSerialization.data(withJSONObject: $0) },
                contentType: "application/json", accept: [400, 404, 405, 413])
            #expect(
                r.status == 400,
                "\(method) \(path) \(query) \(String(describing: json)): \(r.status) \(String(decoding: r.body, as: UTF8.self))"
            )
        }
        #expect(try api.listSprites().map(\.name) == ["n"])
        // and the in-sprite Tasks API
        let expires = ["1e300", "-1", "x", "9999999999999999999h"].map {
            "curl -s -o /dev/null -w '%{http_code} ' --unix-socket /.sprite/api.sock -X POST http://sprite/v1/tasks"
                + " -d '{\"name\":\"t\",\"expire\":\"\($0)\"}'"
        }.joined(separator: "; ")
        let codes = String(decoding: try api.run("n", ["sh", "-c", expires]).stdout, as: UTF8.self)
        #expect(codes == "400 400 400 400 ", "\(codes)")
    }

    @Test(arguments: HostUser.allCases)
    func hugeBodiesAndHeadersAreBounded(user: HostUser) throws {
        let f = try HostFixture(sprites: ["big"], user: user, retries: false)
        let (host, api) = (f.host, f.api)
        let hundred = Data(repeating: 0x61, count: 100 << 20)
        // a JSON body is read up to 1 MiB, no further
        let json = try api.call(
            "POST", "/v1/sprites/big/policy/network", body: hundred, contentType: "application/json",
            accept: [400, 413])
        #expect(json.status == 413)
        // file contents and stdin stream through
        try api.writeFile("big", path: "blob", data: hundred)
        #expect(try Self.sizeInSprite(api) == "104857600")
        let (status, out) = try api.httpExec("big", ["sh", "-c", "wc -c"], input: hundred)
        #expect(status == 0)
        #expect(
            String(decoding: out.dropFirst(), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
                == "104857600")
        // 100 KB of headers: refused, and the host goes on
        let header = String(repeating: "x", count: 100 * 1024)
        let headed = try? api.call(
            "GET", "/v1/sprites", query: [], body: nil, contentType: "text/plain; x=" + header,
            accept: [400, 413, 431])
        #expect(headed == nil || headed?.status != 200)
        #expect(try api.listSprites().map(\.name) == ["big"])
        #expect(Self.residentMiB(host.pid) < Self.memoryBoundMiB, "\(Self.residentMiB(host.pid)) MiB")
    }

    /// A sprite plants 300,000 names (hard links, no space) in one directory and lists it:
    /// the listing streams, sorted in the sprite, and the host's peak memory stays bounded.
    @Test(.longRunning, arguments: HostUser.allCases)
    func listingADirectoryOfThreeHundredThousandNamesStaysWithinTheBound(user: HostUser) throws {
        let f = try HostFixture(sprites: ["many"], user: user, retries: false)
        let (host, api) = (f.host, f.api)
        let plant = """
            import os
            os.makedirs("d", exist_ok=True)
            open("d/0", "w").close()
            for i in range(1, 300000):  # hard links, a new file every 60,000 (ext4 allows 65,000 per file)
                if i % 60000 == 0: open("d/%06d-" % i + "x" * 180, "w").close()
                else: os.link("d/%06d-" % (i - i % 60000 or 0) + "x" * 180 if i >= 60000 else "d/0", "d/%06d-" % i + "x" * 180)
            """
        let planted = try api.run("many", ["python3", "-c", plant], directory: "/home/sprite")
        #expect(planted.status == 0, "\(String(decoding: planted.stderr, as: UTF8.self))")
        // ~100 MB of JSON, more than git-sprite's client accepts: read it with curl, the token in a file
        let headers = try host.authorizationFile(in: f.sandbox)
        let reply = f.sandbox.path("list.json")
        let got = try f.sandbox.run(
            "curl",
            [
                "-sS", "-o", reply, "-w", "%{http_code}", "-H", "@" + headers,
                host.directURL + "/v1/sprites/many/fs/list?path=/home/sprite/d",
            ],
            // what is bounded is memory, not time: with eight tests at once on two cores the
            // listing has taken more than two minutes
            limit: 600)
        #expect(got.stdout == "200", "\(got.stdout) \(got.stderr)")
        let list = try JSONDecoder().decode(FileList.self, from: Data(contentsOf: URL(fileURLWithPath: reply)))
        #expect(list.count == 300_000)
        #expect(list.entries.count == 300_000)
        #expect(
            list.entries.first?.name == "0" && list.entries.last?.name == "299999-" + String(repeating: "x", count: 180)
        )
        #expect(
            list.entries.dropFirst(1000).first?.path == "/home/sprite/d/001000-" + String(repeating: "x", count: 180))
        #expect(zip(list.entries, list.entries.dropFirst()).allSatisfy { $0.name < $1.name }, "sorted by name")
        #expect(Self.peakMiB(host.pid) < Self.memoryBoundMiB, "peak \(Self.peakMiB(host.pid)) MiB")
        // one file's listing is that file
        let one = try api.list("many", path: "/home/sprite/d/0")
        #expect(one.count == 1 && one.entries.first?.path == "/home/sprite/d/0" && one.entries.first?.type == "file")
    }

    /// The host's thread count.
    static func threads(_ pid: Int32) -> Int {
        let status = (try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)) ?? ""
        let line = status.split(separator: "\n").first { $0.hasPrefix("Threads:") } ?? ""
        return Int(line.split(separator: "\t").last ?? "") ?? 0
    }

    /// 400 detached TTY sessions opened and left: the sprite keeps the first 64 (the default
    /// cap), the rest are refused with a reason, the host's peak memory stays bounded, and
    /// once the sessions end their processes and threads are gone from the host.
    @Test(arguments: HostUser.allCases)
    func fourHundredDetachedSessionsAreCappedAndReclaimed(user: HostUser) throws {
        let f = try HostFixture(sprites: ["tty"], user: user, retries: false)
        let (host, api) = (f.host, f.api)
        let idle = Self.threads(host.pid)
        var refusals: [String] = []
        for _ in 0..<400 {
            do {
                let stream = try api.openExec(
                    "tty", ExecRequest(command: ["sleep", "600"], tty: true, rows: 24, cols: 80, stdin: true))
                _ = try stream.next(timeout: 10)  // the session is started (its id arrives first)
                stream.close()
            } catch {
                refusals.append("\(error)")
            }
        }
        #expect(refusals.count == 336, "\(refusals.count) refused: \(refusals.first ?? "")")
        #expect(refusals.allSatisfy { $0.contains("already runs 64 sessions") }, "\(refusals.first ?? "")")
        #expect(eventually { (try? api.sessions("tty").count) == 64 })
        #expect(Self.peakMiB(host.pid) < Self.memoryBoundMiB, "peak \(Self.peakMiB(host.pid)) MiB")
        for session in try api.sessions("tty") { _ = try api.kill("tty", session: session.id, signal: "KILL") }
        #expect(eventually(seconds: 30) { (try? api.sessions("tty").isEmpty) == true })
        // a thread left per session would be 64 or more; libdispatch keeps a few workers of its
        // own for a while, more when the machine is busy (9 over idle seen with six tests at once)
        #expect(
            eventually(seconds: 30) { Self.threads(host.pid) <= idle + 16 },
            "\(Self.threads(host.pid)) threads, \(idle) idle")
        // the budget came back: a new session starts
        #expect(try api.run("tty", ["true"]).status == 0)
    }

    /// The host-wide cap holds across sprites, and says which limit was met.
    @Test func theHostWideSessionCapHoldsAcrossSprites() throws {
        let s = try Sandbox()
        let host = try LocalHost(
            root: s.path("host"), extraArgs: ["--max-sessions", "6", "--max-sessions-per-sprite", "4"])
        let api = host.client()
        api.maxAttempts = 1
        for name in ["a", "b"] { _ = try api.createSprite(SpriteCreation(name: name)) }
        var opened: [ExecStream] = []
        defer { opened.forEach { $0.close() } }
        for name in ["a", "a", "a", "a", "b", "b"] {
            // a non-TTY session outlives its client by 10 s unless told otherwise: 1 s here
            var request = ExecRequest(command: ["sleep", "600"], stdin: true)
            request.maxRunAfterDisconnect = "1s"
            opened.append(try api.openExec(name, request))
        }
        #expect(eventually { (try? api.sessions("a").count) == 4 && (try? api.sessions("b").count) == 2 })
        #expect(throws: (any Error).self) { _ = try api.run("a", ["true"]) }
        do {
            _ = try api.run("b", ["true"])
            Issue.record("a seventh session started")
        } catch {
            #expect("\(error)".contains("this host already runs 6 sessions"), "\(error)")
            #expect("\(error)".contains("--max-sessions"), "\(error)")
        }
        opened.removeLast().close()  // a second after its client is gone the session ends: room again
        #expect(eventually(seconds: 30) { (try? api.run("b", ["true"]).status) == 0 })
    }

    /// Heads the host will not read are answered and closed: a 100 KB request line (414),
    /// 100 KB of headers (431), a head that stops or trickles past the deadline (408), and
    /// the host answers the next client at once.
    @Test func requestHeadsAreBoundedInSizeAndTime() throws {
        let s = try Sandbox()
        let host = try LocalHost(root: s.path("host"), extraArgs: ["--request-head-timeout", "2"])
        let port = String(host.directURL.split(separator: ":").last ?? "")
        let r = try s.run("python3", [TestDaemon.fixture("raw_heads.py"), port])
        let cases = Dictionary(
            uniqueKeysWithValues: r.stdout.split(separator: "\n").map { line in
                let f = line.split(separator: " ").map(String.init)
                return (f[0], (status: f[1], seconds: Double(f[2]) ?? 99, closed: f[3] == "closed"))
            })
        #expect(cases["long-line"]?.status == "414" && cases["long-line"]?.closed == true, "\(r.stdout) \(r.stderr)")
        #expect(cases["big-head"]?.status == "431" && cases["big-head"]?.closed == true, "\(r.stdout)")
        for size in [70, 90, 120] {
            let line = cases["whole-line-\(size)k"], head = cases["whole-head-\(size == 70 ? 75 : size)k"]
            #expect(line?.status == "414" && line?.closed == true, "\(size): \(r.stdout)")
            #expect(head?.status == "431" && head?.closed == true, "\(size): \(r.stdout)")
        }
        #expect(cases["stalled"]?.status == "408" && cases["stalled"]?.closed == true, "\(r.stdout)")
        #expect((cases["stalled"]?.seconds ?? 99) < 10, "\(r.stdout)")
        #expect(cases["slow"]?.status == "408" && cases["slow"]?.closed == true, "\(r.stdout)")
        #expect(try host.client().listSprites().isEmpty)
    }

    /// An upload whose body stops short (the client gone after 100 KB of 1 MB, with a length
    /// or in chunks without the last) leaves the file as it was, with nothing beside it, and
    /// no helper behind: the host wrote in place and a cut body truncated the file (a second
    /// adversarial review), and the first fix left the partial file of a cut `cp`.
    @Test(arguments: ["length", "chunked"])
    func anUploadCutShortLeavesTheFileAsItWas(framing: String) throws {
        let (name, file) = Self.fileOfItsOwn()
        let f = try HostFixture(sprites: ["up"])
        _ = try f.api.writeFile("up", path: file, data: Data("the original\n".utf8))
        let port = String(f.host.directURL.split(separator: ":").last ?? "")
        let cut = try f.sandbox.run(
            "python3",
            [
                "-c",
                """
                import socket, sys, time
                port, token, framing = sys.argv[1:4]
                s = socket.create_connection(("127.0.0.1", int(port)))
                head = "PUT /v1/sprites/up/fs/write?path=" + sys.argv[-1] + " HTTP/1.1\\r\\nHost: x\\r\\n"
                head += "Authorization: Bearer " + token + "\\r\\n"
                part = b"x" * 100000
                if framing == "length":
                    s.sendall((head + "Content-Length: 1000000\\r\\n\\r\\n").encode() + part)
                else:
                    s.sendall((head + "Transfer-Encoding: chunked\\r\\n\\r\\n").encode() + b"%x\\r\\n" % len(part) + part + b"\\r\\n")
                time.sleep(1)
                s.close()
                """, port, f.host.token, framing, file,
            ])
        #expect(cut.status == 0, "\(cut.stderr)")
        let helpers = { Self.writeHelpers(of: file) }
        #expect(eventually(seconds: 20) { helpers().isEmpty }, "\(helpers())")
        let listing = {
            (try? f.api.run("up", ["ls", "-a", "/home/sprite"]).stdout).map { String(decoding: $0, as: UTF8.self) }
                ?? ""
        }
        #expect(eventually(seconds: 10) { !listing().contains(name + ".") }, "\(listing())")
        #expect(try f.api.readFile("up", path: file) == Data("the original\n".utf8))
        // and a whole one still replaces it, with its mode
        _ = try f.api.writeFile("up", path: file, data: Data("new\n".utf8), mode: "0640")
        #expect(try f.api.readFile("up", path: file) == Data("new\n".utf8))
        #expect(
            String(decoding: try f.api.run("up", ["stat", "-c", "%a", file]).stdout, as: UTF8.self)
                == "640\n")
    }

    /// A write cut short whose helper does not end on SIGTERM (stopped here; in life, the
    /// sprite's OOM killer or a helper stuck on its disk) is killed two seconds later, when no
    /// handler of its own can remove its partial file: the host removes it then (it stayed,
    /// visible in the directory, found by reading the second review's fix).
    @Test func aWriteKilledOutrightLeavesNothingBeside() throws {
        let file = Self.fileOfItsOwn().file
        let f = try HostFixture(sprites: ["up"])
        _ = try f.api.writeFile("up", path: file, data: Data("the original\n".utf8))
        var upload: TestDaemon? = try Self.stalledUpload(to: f.host, file: file)
        let helper = { Self.writeHelpers(of: file) }
        let beside = {
            String(decoding: (try? f.api.run("up", ["ls", "-a", "/home/sprite"]).stdout) ?? Data(), as: UTF8.self)
                .split(separator: "\n").filter { $0.contains("sprite-write") }
        }
        #expect(eventually(seconds: 20) { !helper().isEmpty && !beside().isEmpty }, "the upload never started")
        for pid in helper() { kill(pid, SIGSTOP) }
        upload = nil  // the client gone: its connection closes
        _ = upload
        #expect(eventually(seconds: 20) { helper().isEmpty }, "\(helper())")
        #expect(eventually(seconds: 10) { beside().isEmpty }, "\(beside())")
        #expect(try f.api.readFile("up", path: file) == Data("the original\n".utf8))
    }

    /// The host killed in the middle of an upload (a crash, the OOM killer): the helper's input
    /// ends, and it took that end for the whole file and put 300 KB of a 1 MB upload in place
    /// of the original (a third adversarial review). The input is framed now, and only its end
    /// frame makes the file whole. A name as long as a name may be still gets a name of its own
    /// to be written under (the first version's ran past 255 bytes and was refused).
    @Test func anUploadCutByTheHostDyingLeavesTheFileAsItWas() throws {
        let file = Self.fileOfItsOwn().file
        let s = try Sandbox()
        let root = s.path("host")
        let long = String(repeating: "n", count: 250)
        do {
            let first = try LocalHost(root: root)
            let api = first.client()
            _ = try api.createSprite(SpriteCreation(name: "up"))
            try api.writeFile("up", path: file, data: Data("the original\n".utf8))
            try api.writeFile("up", path: "/home/sprite/" + long, data: Data("long\n".utf8))
            #expect(try api.readFile("up", path: "/home/sprite/" + long) == Data("long\n".utf8))
            let upload = try Self.stalledUpload(to: first, file: file)
            defer { _ = upload }
            let helper = { Self.writeHelpers(of: file) }
            #expect(eventually(seconds: 20) { !helper().isEmpty }, "the upload never reached the sprite")
            usleep(300_000)  // (the 300 KB on their way through)
            kill(first.pid, SIGKILL)
            #expect(eventually(seconds: 20) { helper().isEmpty }, "\(helper())")
        }
        let again = try LocalHost(root: root)
        let api = again.client()
        #expect(try api.readFile("up", path: file) == Data("the original\n".utf8))
        let listing = String(decoding: try api.run("up", ["ls", "-a", "/home/sprite"]).stdout, as: UTF8.self)
        #expect(!listing.contains("sprite-write"), "\(listing)")
    }

    /// A file name in /home/sprite no other test uses: the upload tests run at once, and their
    /// helpers are found among all the machine's processes.
    static func fileOfItsOwn() -> (name: String, file: String) {
        let name = "keep-\(UUID().uuidString.prefix(8)).txt"
        return (name, "/home/sprite/" + name)
    }

    /// The host's `sprite-enter … fs write` helpers writing `file`.
    static func writeHelpers(of file: String) -> [pid_t] {
        AttachTests.processes { $0.contains(" fs write ") && $0.contains(file) }
    }

    /// A raw upload of `file` to sprite `up` that says 1 MB, sends 300 KB and stalls with its
    /// connection open, until the daemon is released.
    static func stalledUpload(to host: LocalHost, file: String) throws -> TestDaemon {
        let port = String(host.directURL.split(separator: ":").last ?? "")
        return try TestDaemon([
            "python3", "-c",
            """
            import socket, sys, time
            s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
            head = "PUT /v1/sprites/up/fs/write?path=" + sys.argv[-1] + " HTTP/1.1\\r\\nHost: x\\r\\n"
            head += "Authorization: Bearer " + sys.argv[2] + "\\r\\nContent-Length: 1000000\\r\\n\\r\\n"
            s.sendall(head.encode() + b"P" * 300000)
            print("sent", flush=True)
            time.sleep(60)
            """, port, host.token, file,
        ])
    }

    static func sizeInSprite(_ api: SpritesClient) throws -> String {
        String(decoding: try api.run("big", ["stat", "-c", "%s", "/home/sprite/blob"]).stdout, as: UTF8.self)
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }

    @Test(arguments: HostUser.allCases)
    func fiftyExecsFeedingStdinToACommandThatNeverReadsDoNotStallTheHost(user: HostUser) throws {
        let f = try HostFixture(sprites: ["stall"], user: user)
        let (host, api) = (f.host, f.api)
        let input = Data(repeating: 0x62, count: 2 << 20)
        let group = DispatchGroup()
        for _ in 0..<50 {
            group.enter()
            Thread.detachNewThread {
                _ = try? host.client().httpExec("stall", ["sleep", "30"], input: input)
                group.leave()
            }
        }
        // wait until they all run in the sprite
        #expect(eventually(seconds: 30) { ((try? api.sessions("stall").count) ?? 0) >= 50 })
        for _ in 0..<5 {
            // answered at all: a stalled host never would (the speed is not asserted)
            #expect(try api.call("GET", "/v1/sprites", timeout: 30).status == 200)
        }
        #expect(Self.residentMiB(host.pid) < Self.memoryBoundMiB, "\(Self.residentMiB(host.pid)) MiB")
        try api.deleteSprite("stall")
        #expect(group.wait(timeout: .now() + 30) == .success)
    }

    @Test(arguments: HostUser.allCases)
    func aClientThatNeverReadsItsOutputHoldsTheCommandBackNotTheHost(user: HostUser) throws {
        let f = try HostFixture(sprites: ["flood"], user: user)
        let (host, api) = (f.host, f.api)
        // a WebSocket exec of an endless writer, whose client reads the 101 and nothing more
        let url = URL(string: host.url)
        let port = UInt16(url?.port ?? 0)
        var sockets: [Int32] = []
        for path in ["/v1/sprites/flood/exec?cmd=yes&cmd=flood", "/v1/sprites/flood/exec?cmd=cat&cmd=/dev/zero"] {
            let fd = try Self.connect(port: port)
            sockets.append(fd)
            let request =
                "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
                + "Authorization: Bearer \(host.token)\r\n\r\n"
            _ = request.withCString { send(fd, $0, strlen($0), 0) }
            var head = [UInt8](repeating: 0, count: 64)
            #expect(recv(fd, &head, head.count, 0) > 12)
            #expect(String(decoding: head[0..<12], as: UTF8.self) == "HTTP/1.1 101")
        }
        // and an HTTP exec whose answer is never read
        let fd = try Self.connect(port: port)
        sockets.append(fd)
        let post =
            "POST /v1/sprites/flood/exec?cmd=yes HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\n"
            + "Authorization: Bearer \(host.token)\r\n\r\n"
        _ = post.withCString { send(fd, $0, strlen($0), 0) }
        defer { for fd in sockets { close(fd) } }
        Thread.sleep(forTimeInterval: 3)
        let before = Self.residentMiB(host.pid)
        Thread.sleep(forTimeInterval: 3)
        let after = Self.residentMiB(host.pid)
        #expect(after < Self.memoryBoundMiB, "\(after) MiB")
        #expect(after - before < 32, "still growing: \(before) → \(after) MiB")
        // answered at all: a host whose threads wait on the unread output never would
        #expect(try api.call("GET", "/v1/sprites", timeout: 30).status == 200)
        // the writers are held back, not spinning: they sleep in write()
        let states = try api.run("flood", ["sh", "-c", "ps -o stat=,args= -C yes,cat"]).stdout
        #expect(
            String(decoding: states, as: UTF8.self).split(separator: "\n").allSatisfy { $0.hasPrefix("S") },
            "\(String(decoding: states, as: UTF8.self))")
    }

    /// Many HTTP execs of an endless writer whose clients never read: each reply's writes ran
    /// megabytes ahead of its connection (the writer's back-pressure reached the writing task
    /// only after the event loop had run what was queued), 2.6 GB for the host's 256 sessions
    /// (an adversarial review). A reply is paced by its connection now
    /// (`ReplyPacing`): what the host holds per session is its own output channel and
    /// scrollback, not the reply's queue.
    @Test func manyHTTPExecsNobodyReadsHoldLittleEach() throws {
        let f = try HostFixture(sprites: ["flood"], user: .root)
        let host = f.host
        _ = try f.api.run("flood", ["true"])
        let port = UInt16(URL(string: host.url)?.port ?? 0)
        let baseline = Self.residentMiB(host.pid)
        var sockets: [Int32] = []
        defer { for fd in sockets { close(fd) } }
        let sessions = 48
        for _ in 0..<sessions {
            let fd = try Self.connect(port: port)
            var small: Int32 = 4096
            setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, socklen_t(MemoryLayout<Int32>.size))
            sockets.append(fd)
            let post =
                "POST /v1/sprites/flood/exec?cmd=yes HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\n"
                + "Authorization: Bearer \(host.token)\r\n\r\n"
            _ = post.withCString { send(fd, $0, strlen($0), 0) }
        }
        Thread.sleep(forTimeInterval: 6)
        let grown = Self.residentMiB(host.pid) - baseline
        print("\(sessions) unread HTTP execs: the host grew by \(grown) MiB")
        #expect(grown < sessions * 5, "\(grown) MiB for \(sessions) sessions")
    }

    static func connect(port: UInt16) throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = port.bigEndian
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard rc == 0 else { throw CocoaError(.fileReadUnknown) }
        return fd
    }
}
