import Foundation
import SpriteSync
import SpritesAPI
import TestSupport
import Testing

/// The sprite's PID 1 starts its commands (`SpriteLauncher`, sprite-enter's launch.c): what it
/// starts is exactly what `sprite-enter run` makes, and nothing in the sprite can reach it.
@Suite("sprite-host: commands started by the sprite's PID 1", .ownThread)
struct PidOneLaunchTests {
    /// Everything that makes a process the sprite's: credentials, capabilities, the filter,
    /// namespaces, cgroups, descriptors, umask, directory and environment.
    static let portrait = """
        grep -E '^(Uid|Gid|Groups|CapInh|CapPrm|CapEff|CapBnd|CapAmb|NoNewPrivs|Seccomp|Seccomp_filters):' /proc/self/status
        cat /proc/self/cgroup
        for n in cgroup ipc mnt net pid user uts; do readlink /proc/self/ns/$n; done
        ls /proc/self/fd | tr '\\n' ' '; echo
        umask; pwd; env | sort
        """

    static func run(_ api: SpritesClient, _ script: String, tty: Bool) throws -> (status: Int32, out: String) {
        var out = Data()
        let status = try api.exec(
            "box",
            ExecRequest(command: ["sh", "-c", script], environment: ["PROBE": "a b;c"], directory: "/tmp", tty: tty),
            input: nil, inputData: nil, stdout: { out.append($0) }, stderr: { out.append($0) })
        return (status, String(decoding: out, as: UTF8.self).replacingOccurrences(of: "\r\n", with: "\n"))
    }

    /// A command without a terminal is PID 1's child; one with a terminal still comes through
    /// `sprite-enter run` (its parent is outside the sprite: PPID 0). Both are the same process
    /// in every respect that matters, as root host and as an ordinary user's.
    @Test(arguments: HostUser.allCases)
    func aCommandPidOneStartsIsExactlyWhatSpriteEnterRunMakes(user: HostUser) throws {
        let f = try HostFixture(sprites: ["box"], user: user)
        let launched = try Self.run(f.api, "echo ppid $PPID; " + Self.portrait, tty: false)
        let entered = try Self.run(f.api, "echo ppid $PPID; " + Self.portrait, tty: true)
        #expect(launched.status == 0 && entered.status == 0, "\(launched.out)\n---\n\(entered.out)")
        #expect(launched.out.hasPrefix("ppid 1\n"), "\(launched.out)")
        #expect(entered.out.hasPrefix("ppid 0\n"), "\(entered.out)")
        let drop = { (s: String) in s.split(separator: "\n").dropFirst().filter { !$0.hasPrefix("TERM=") } }
        #expect(drop(launched.out) == drop(entered.out), "\(launched.out)\n---\n\(entered.out)")
        #expect(launched.out.contains("CapBnd:\t0000000000000000"), "\(launched.out)")
        #expect(launched.out.contains("NoNewPrivs:\t1") && launched.out.contains("Seccomp:\t2"))
        #expect(launched.out.contains("\n0 1 2 3 \n"), "only stdio and ls's own directory: \(launched.out)")
        #expect(launched.out.contains("\n/tmp\n") && launched.out.contains("PROBE=a b;c"))
    }

    /// Exit statuses, signals, a missing program or directory, and many commands at once, each
    /// answered for itself.
    @Test func statusesSignalsAndFailuresComeBackToTheirOwnCommand() throws {
        let f = try HostFixture(sprites: ["box"])
        #expect(try f.api.run("box", ["sh", "-c", "exit 7"]).status == 7)
        #expect(try f.api.run("box", ["sh", "-c", "kill -TERM $$"]).status == 143)
        let missing = try f.api.run("box", ["no-such-program"])
        #expect(missing.status == 127)
        #expect(String(decoding: missing.stderr, as: UTF8.self).contains("no-such-program: No such file or directory"))
        let results = Locked([Int: (Int32, String)]())
        DispatchQueue.concurrentPerform(iterations: 24) { i in
            let r = try? f.api.run("box", ["sh", "-c", "echo \(i); exit \(i % 5)"], directory: "/tmp")
            results.withLock { $0[i] = r.map { ($0.status, String(decoding: $0.stdout, as: UTF8.self)) } }
        }
        for i in 0..<24 {
            let r = results.value[i]
            #expect(r?.0 == Int32(i % 5) && r?.1 == "\(i)\n", "\(i): \(String(describing: r))")
        }
    }

    /// What a process in the sprite tries against the PID 1 that starts commands: its
    /// descriptors (the socket to the host), stopping it, a storm of SIGCHLD while commands
    /// start, and orphans it reaps beside its own children. Commands still start, and none gets the socket.
    @Test(arguments: HostUser.allCases)
    func nothingInTheSpriteReachesTheLauncher(user: HostUser) throws {
        let f = try HostFixture(sprites: ["box"], user: user)
        let probe = try f.api.run(
            "box",
            [
                "sh", "-c",
                """
                ls /proc/1/fd >/dev/null 2>&1 && echo fds-readable || echo fds-denied
                cat /proc/1/fdinfo/5 >/dev/null 2>&1 && echo fdinfo-readable || echo fdinfo-denied
                ls -l /proc/self/fd | grep -c socket
                kill -STOP 1; kill -CHLD 1; true
                """,
            ])
        let out = String(decoding: probe.stdout, as: UTF8.self)
        #expect(out == "fds-denied\nfdinfo-denied\n0\n", "\(out) \(String(decoding: probe.stderr, as: UTF8.self))")
        #expect(try f.api.run("box", ["true"]).status == 0, "PID 1 still starts commands after SIGSTOP")
        // SIGCHLD from inside, as fast as a shell sends it, while commands start and end
        let storm = try f.api.run(
            "box", ["sh", "-c", "i=0; while [ $i -lt 3000 ]; do kill -CHLD 1; i=$((i+1)); done & sleep 0.05; echo on"])
        #expect(storm.status == 0)
        for i in 0..<10 { #expect(try f.api.run("box", ["sh", "-c", "exit \(i)"]).status == Int32(i)) }
        // orphans are PID 1's children too, but not commands of the host's: two hundred of them
        // reaped while commands start and end leave every status where it belongs
        let orphans = try f.api.run(
            "box",
            [
                "sh", "-c",
                "i=0; while [ $i -lt 200 ]; do sleep 300 </dev/null >/dev/null 2>&1 & i=$((i+1)); done; echo started",
            ])
        #expect(String(decoding: orphans.stdout, as: UTF8.self) == "started\n")
        let reaped = try f.api.run(
            "box",
            [
                "sh", "-c",
                "for p in /proc/[0-9]*; do [ \"$(cat $p/comm 2>/dev/null)\" = sleep ] && kill ${p#/proc/}; done; exit 3",
            ])
        #expect(reaped.status == 3)
        for i in 0..<5 { #expect(try f.api.run("box", ["sh", "-c", "exit \(i)"]).status == Int32(i)) }
        #expect(try f.api.run("box", ["sh", "-c", "echo still"]).stdout == Data("still\n".utf8))
    }

    /// A process of the sprite's user may change PID 1's limits and scheduling (as it may any
    /// process of that user's); commands started later never inherit that. A change PID 1 can
    /// undo is undone (it goes on starting them); one it cannot (a hard limit lowered, a nice
    /// value raised) makes the host start them through `sprite-enter run` from then on.
    @Test(arguments: HostUser.allCases)
    func whatTheSpriteChangesInPidOneNoLaterCommandInherits(user: HostUser) throws {
        let f = try HostFixture(sprites: ["box"], user: user)
        let look = "echo $PPID $(ulimit -n) $(ulimit -f) $(cut -d' ' -f19 /proc/self/stat)"
        let before = String(decoding: try f.api.run("box", ["sh", "-c", look]).stdout, as: UTF8.self)
        let fields = before.split(separator: " ").map(String.init)
        #expect(fields.count == 4 && fields[0] == "1", "\(before)")
        // a soft limit lowered, so far that PID 1 could not receive a command's three
        // descriptors: put back by PID 1 before it reads, and it still starts the commands
        let hard = try f.api.run("box", ["sh", "-c", "ulimit -Hn"]).stdout
        _ = try f.api.run(
            "box",
            [
                "prlimit", "--pid", "1",
                "--nofile=5:\(String(decoding: hard, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))",
            ])
        #expect(String(decoding: try f.api.run("box", ["sh", "-c", look]).stdout, as: UTF8.self) == before)
        // the scheduler's time slice of PID 1 (sched_setattr, allowed to the same user)
        let slice = try f.api.run("box", ["python3", "-c", Self.timeSlice, "get"])
        let set = try f.api.run("box", ["python3", "-c", Self.timeSlice, "set-pid-1"])
        #expect(set.status == 0, "\(String(decoding: set.stderr, as: UTF8.self))")
        let later = try f.api.run("box", ["python3", "-c", Self.timeSlice, "get"])
        #expect(slice.status == 0 && later.stdout == slice.stdout, "\(String(decoding: later.stdout, as: UTF8.self))")
        #expect(String(decoding: later.stdout, as: UTF8.self).hasPrefix("1 "), "still started by PID 1")
        // what it cannot undo: a hard limit of four descriptors (it could not even receive the
        // command's three), a file size limit, the lowest priority
        let taint = try f.api.run(
            "box",
            ["sh", "-c", "prlimit --pid 1 --nofile=4:4 --fsize=1000:1000 && renice -n 19 -p 1 >/dev/null && echo done"])
        #expect(
            String(decoding: taint.stdout, as: UTF8.self) == "done\n",
            "\(String(decoding: taint.stderr, as: UTF8.self))")
        for _ in 0..<3 {
            let after = try f.api.run("box", ["sh", "-c", look])
            let seen = String(decoding: after.stdout, as: UTF8.self).split(separator: " ").map(String.init)
            #expect(after.status == 0 && seen.count == 4, "\(String(decoding: after.stderr, as: UTF8.self))")
            #expect(seen.first == "0", "started through sprite-enter run now: \(seen)")
            #expect(Array(seen.dropFirst()) == Array(fields.dropFirst()), "\(seen) against \(fields)")
        }
        #expect(try f.api.run("box", ["sh", "-c", "exit 5"]).status == 5)
    }

    /// Reads the time slice (sched_runtime) of this process after its parent's PID, or sets a
    /// slice of 50 ms on PID 1.
    static let timeSlice = """
        import ctypes, os, sys
        libc = ctypes.CDLL(None, use_errno=True)
        class Attr(ctypes.Structure):
            _fields_ = [("size", ctypes.c_uint32), ("policy", ctypes.c_uint32), ("flags", ctypes.c_uint64),
                        ("nice", ctypes.c_int32), ("priority", ctypes.c_uint32), ("runtime", ctypes.c_uint64),
                        ("deadline", ctypes.c_uint64), ("period", ctypes.c_uint64),
                        ("util_min", ctypes.c_uint32), ("util_max", ctypes.c_uint32)]
        a = Attr()
        if sys.argv[1] == "get":
            if libc.syscall(315, 0, ctypes.byref(a), ctypes.sizeof(a), 0) != 0: sys.exit("sched_getattr")
            print(os.getppid(), a.runtime)
        else:
            a.size, a.policy, a.runtime = ctypes.sizeof(a), 0, 50_000_000
            libc.syscall(314, 1, ctypes.byref(a), 0)  # refused on some kernels: then nothing changed
        """

    /// A command's session id is its PID in the sprite, as the real service's ids are the
    /// VM's own PIDs; an argument with a NUL byte (which would end a C string early) is refused.
    @Test func theSessionIdIsThePidInTheSpriteAndNulBytesAreRefused() throws {
        let f = try HostFixture(sprites: ["box"])
        let stream = try f.api.openExec("box", ExecRequest(command: ["sh", "-c", "echo $$"]))
        let out = try readUntil(stream) { $0.hasSuffix("\n") }
        #expect(stream.sessionID == out.trimmingCharacters(in: .whitespacesAndNewlines), "\(out)")
        stream.close()
        // refused before the upgrade, as an HTTP answer; a service's definition too
        for attempt in [
            { _ = try f.api.run("box", ["sh", "-c", "echo a\u{0}b"]) },
            { _ = try f.api.run("box", ["true"], environment: ["A": "x\u{0}y"]) },
            { _ = try f.api.putService("box", name: "s", cmd: "echo", args: ["a\u{0}b", "c"]) },
            { _ = try f.api.putService("box", name: "s", cmd: "true", args: [], environment: ["K": "v\u{0}w"]) },
        ] {
            #expect { try attempt() } throws: { ($0 as? APIError)?.status == 400 }
        }
        #expect(try f.api.run("box", ["true"]).status == 0)
    }
}
