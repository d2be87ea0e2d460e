import Foundation
import SpriteSync
import SpritesAPI
import TestSupport
import Testing

@Suite("git sprite exec", .ownThread)
struct ExecCommandTests {
    @Test func execStreamsBothStreamsAndPassesTheExitStatusThrough() throws {
        let s = try Sandbox()
        let host = try LocalHost(root: s.path("host"))
        let api = host.client()
        let repo = try s.makeRepo("app")
        let name = "app-main"
        _ = try api.createSprite(SpriteCreation(name: name))
        try api.makeDirectory(name, path: "/home/sprite/workspace")
        let env = ["SPRITES_TOKEN": host.token, "SPRITES_API_URL": host.url]
        let r = try s.sprite(["exec", "--", "sh", "-c", "pwd; echo oops >&2; exit 42"], in: repo, env: env)
        #expect(r.status == 42)
        #expect(r.stdout == "/home/sprite/workspace\n")
        #expect(r.stderr == "oops\n")
        // a branch name resolves to its sprite; a sprite name is taken as it is
        let byBranch = try s.sprite(["exec", "main", "--", "true"], in: repo, env: env)
        #expect(byBranch.status == 0, "\(byBranch.stderr)")
        let piped = try s.run(
            "sh", ["-c", "printf 'a b\\n' | git sprite exec \(name) --dir /tmp -- cat"], in: repo, env: env)
        #expect(piped.stdout == "a b\n")
        let literal = try s.sprite(["exec", "--", "echo", "$(id)", "`id`", ";", "&&"], in: repo, env: env)
        #expect(literal.stdout == "$(id) `id` ; &&\n")
        // the command travels in the request's address: what fits arrives whole; what a
        // service takes at most is said at once (it hung 30 s, then blamed the connection)
        func length(_ argument: String) throws -> RunResult {
            try s.sprite(["exec", "--", "sh", "-c", "echo ${#1}", "x", argument], in: repo, env: env)
        }
        #expect(try length(String(repeating: "a", count: 6000)).stdout == "6000\n")
        let tooLong = try length(String(repeating: "&", count: 30000))
        #expect(tooLong.status == 64, "\(tooLong.stderr)")
        #expect(tooLong.stderr.contains("error: the command is too long to send: 87 KiB once encoded"))
        #expect(tooLong.stderr.contains("hint: pass the long part on the command's stdin"))
        // past an edge's own limit (8 KiB for the edge tier's nginx), its refusal is said as such
        let middle = try length(String(repeating: "a", count: 20000))
        #expect(
            middle.stdout == "20000\n"
                || (middle.status == 64 && middle.stderr.contains("the Sprites API refused a request as too long")),
            "\(middle.status) \(middle.stderr)")
    }

    /// Ctrl-C while `exec` runs a command without a terminal is the command's: it is passed on
    /// to the command in the sprite, which stops as it would here (a trap runs) and whose status
    /// is ours. git-sprite used to end at once, and the command ran on until the service's
    /// grace after a disconnect ended it. Through `git sprite` the same Ctrl-C reaches
    /// git-sprite twice (git passes its own on), and counts once. A host whose streams do not
    /// say they take signals (`sparse`, as the API allows) gets it through the session's kill.
    @Test(arguments: [(false, false), (true, false), (false, true)])
    func ctrlCReachesTheCommandInTheSprite(throughGit: Bool, sparse: Bool) throws {
        let run = try SignalledExec(sparse: sparse)
        let script = "trap 'echo stopped-by-int; exit 7' INT; echo ready; while :; do sleep 0.1; done"
        let (p, exited, shown) = try run.start(script, throughGit: throughGit)
        #expect(eventually(seconds: 30) { shown.value.contains("ready") }, "\(shown.value)")
        kill(-p.processIdentifier, SIGINT)  // the terminal's Ctrl-C: the whole process group
        #expect(exited.wait(timeout: .now() + 30) == .success)
        #expect(eventually(seconds: 5) { shown.value.contains("stopped-by-int") }, "\(shown.value)")
        if !throughGit {
            #expect(p.terminationReason == .exit && p.terminationStatus == 7, "\(p.terminationStatus)")
        }
    }

    /// A command that Ctrl-C ended (no trap of its own) ends git-sprite the same way, by SIGINT,
    /// so that a shell loop around `git-sprite exec` stops; it exited with the command's 130,
    /// and bash went on to the loop's next round (a second adversarial review, 3 runs of 3).
    /// A command that chose its own status on SIGINT still returns it (above).
    @Test func aCommandEndedByCtrlCEndsUsByItToo() throws {
        let run = try SignalledExec(sparse: false)
        let (p, exited, shown) = try run.start("echo ready; sleep 100")
        #expect(eventually(seconds: 30) { shown.value.contains("ready") }, "\(shown.value)")
        kill(-p.processIdentifier, SIGINT)
        #expect(exited.wait(timeout: .now() + 30) == .success)
        #expect(p.endedByInterrupt, "\(p.ending)")
    }

    /// A signal that ends git-sprite during an `exec` (the terminal closed, Ctrl-\\, a job
    /// runner's SIGTERM) reaches the command first, as the same signal: only SIGINT was passed
    /// on, and the command ran on until the service's grace after a disconnect ended it with
    /// SIGTERM, ten seconds later (an adversarial review). git-sprite still ends by the signal.
    @Test(arguments: [(SIGHUP, false), (SIGQUIT, false), (SIGHUP, true)])
    func aSignalThatEndsUsReachesTheCommandFirst(sig: Int32, sparse: Bool) throws {
        let run = try SignalledExec(sparse: sparse)
        let (p, exited, shown) = try run.start(SignalledExec.recording + "echo ready; while :; do sleep 0.1; done")
        #expect(eventually(seconds: 30) { shown.value.contains("ready") }, "\(shown.value)")
        kill(p.processIdentifier, sig)
        #expect(exited.wait(timeout: .now() + 30) == .success)
        #expect(p.terminationReason == .uncaughtSignal && p.terminationStatus == sig, "\(p.terminationStatus)")
        let name = sig == SIGHUP ? "HUP" : "QUIT"
        #expect(eventually(seconds: 20) { run.got() != "" }, "the command got nothing")
        #expect(run.got() == name)
    }

    /// git-sprite killed outright (SIGKILL: an OOM kill, a CI runner's hard timeout) during an
    /// `exec` says nothing to the sprite: the command ends a second after its stream, by the
    /// service's SIGTERM. It ran for the service's default ten seconds, and so did one that a
    /// signal during the handshake left behind (a second adversarial review).
    @Test func aCommandEndsSoonAfterGitSpriteIsKilled() throws {
        let run = try SignalledExec(sparse: false)
        let (p, exited, shown) = try run.start(SignalledExec.recording + "echo ready; while :; do sleep 0.1; done")
        #expect(eventually(seconds: 30) { shown.value.contains("ready") }, "\(shown.value)")
        kill(p.processIdentifier, SIGKILL)
        #expect(exited.wait(timeout: .now() + 30) == .success)
        // (a bound, not a speed: the grace asked for is 1 s, the default 10 s)
        #expect(eventually(seconds: 6) { run.got() == "TERM" }, "\(run.got())")
    }

    /// Ctrl-C while the exec's request is on its way: the service may start the command before
    /// its answer reaches us, and git-sprite ended at once, leaving the command running until
    /// the service's grace ended it (an adversarial review). The Ctrl-C now waits for the
    /// stream and goes to the command, whose status comes back. A host that holds the request
    /// before answering holds the moment open: longer than the 5 s the Ctrl-C used to wait,
    /// which a loaded CI machine's TLS edge outlasted (a cold sprite's wake does too).
    @Test func ctrlCDuringTheHandshakeReachesTheCommand() throws {
        let run = try SignalledExec(sparse: false)
        let exec = "GET /v1/sprites/app-main/exec"
        try run.host.faults(["rules": [["method": "GET", "path": "/exec", "stall_seconds": 6.5, "count": 1]]])
        let (p, exited, shown) = try run.start(
            SignalledExec.recording + "echo started > /home/sprite/got; while :; do sleep 0.1; done")
        #expect(eventually(seconds: 30) { ((try? run.host.requestCount(exec)) ?? 0) > 0 })
        kill(p.processIdentifier, SIGINT)
        #expect(exited.wait(timeout: .now() + 60) == .success)
        #expect(shown.value.contains("note: Ctrl-C goes to the command once it has started"), "\(shown.value)")
        if eventually(seconds: 20, { !["", "started"].contains(run.got()) }) {
            #expect(run.got() == "INT")
            #expect(p.terminationReason == .exit && p.terminationStatus == 7, "\(p.ending) \(shown.value)")
        } else {
            // the Ctrl-C is passed on as the stream opens, which is when the command starts: under
            // load it can land before the shell has set its traps, and the command dies of it
            // (130) before writing anything. git-sprite then ends as the command did, by SIGINT,
            // saying nothing of its own; one that gave up on the stream says "interrupted" (and
            // the command, started later, would have written "started", then "TERM")
            #expect(run.got() == "", "\(run.got())")
            #expect(p.endedByInterrupt, "\(p.ending) \(shown.value)")
            #expect(!shown.value.contains("\ninterrupted"), "\(shown.value)")
        }
    }

    /// A second Ctrl-C ends git-sprite at once, and says what became of the command: "run the
    /// command again to finish", said before, would run it a second time.
    @Test func aSecondCtrlCSaysTheCommandEndsWithItsConnection() throws {
        let run = try SignalledExec(sparse: false)
        let (p, exited, shown) = try run.start("trap '' INT; echo ready; while :; do sleep 0.1; done")
        #expect(eventually(seconds: 30) { shown.value.contains("ready") }, "\(shown.value)")
        kill(p.processIdentifier, SIGINT)
        usleep(800_000)
        kill(p.processIdentifier, SIGINT)
        #expect(exited.wait(timeout: .now() + 30) == .success)
        #expect(p.endedByInterrupt, "\(p.ending) \(shown.value)")
        #expect(
            shown.value.contains("interrupted; the command in the sprite ends a second after its connection"),
            "\(shown.value)")
        #expect(!shown.value.contains("run the command again"), "\(shown.value)")
    }

    /// A service without in-band signals takes Ctrl-C through the session's kill, a request
    /// that lasts until the command ends, and git-sprite waited for it before ending: when the
    /// stream ended and the kill did not (a hostile server holds it here; a dropped stream does
    /// the same), `exec` waited for the kill request's hour. It now ends a moment after the
    /// stream, as the command did.
    @Test func aSessionKillThatNeverAnswersDoesNotHoldExec() throws {
        let server = try TestDaemon(["python3", "-u", TestDaemon.fixture("hostile_server.py"), "kill-hangs"])
        let s = try Sandbox()
        let repo = try s.makeRepo("app")
        let (p, exited, shown) = try SignalledExec.launch(
            ["exec", "box", "--", "x"], in: repo,
            environment: s.environment.merging(
                ["SPRITES_TOKEN": "t", "SPRITES_API_URL": "http://127.0.0.1:" + server.firstLine]) { $1 })
        #expect(eventually(seconds: 30) { shown.value.contains("ready") }, "\(shown.value)")
        kill(p.processIdentifier, SIGINT)
        let ended = exited.wait(timeout: .now() + 20) == .success
        if !ended {
            kill(p.processIdentifier, SIGKILL)
            exited.wait()
        }
        #expect(ended, "exec waited for the kill request after its command had ended")
        #expect(p.endedByInterrupt, "\(p.ending) \(shown.value)")
    }

    /// A terminal resized while a command runs on a terminal in the sprite: the new size gets
    /// there (SIGWINCH is forwarded as a resize), as `stty size` inside shows.
    @Test func aResizedTerminalReachesTheSprite() throws {
        let s = try Sandbox()
        let host = try LocalHost(root: s.path("host"))
        _ = try host.client().createSprite(SpriteCreation(name: "term"))
        let env = ["SPRITES_TOKEN": host.token, "SPRITES_API_URL": host.url, "TERM": "xterm"]
        // a pty of our own: its size is set, then changed while `stty size` is asked again and
        // again (each newline), until the sprite reports the new size or time runs out
        let driver = try s.writeExecutable(
            "pty-driver",
            """
            #!/usr/bin/env python3
            import fcntl, os, pty, select, struct, sys, termios, time
            pid, fd = pty.fork()
            if pid == 0:
                os.execvp(sys.argv[1], sys.argv[1:])
            def size(rows, cols):
                fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
            out = b""
            def until(token, seconds, poke=False):
                global out
                end = time.time() + seconds
                while token not in out and time.time() < end:
                    if poke:
                        os.write(fd, b"\\n")
                    ready, _, _ = select.select([fd], [], [], 0.3)
                    if ready:
                        try:
                            out += os.read(fd, 4096)
                        except OSError:
                            break
                return token in out
            size(24, 80)
            ok = until(b"ready", 30) and until(b"24 80", 30, poke=True)
            size(50, 120)
            ok = ok and until(b"50 120", 30, poke=True)
            os.write(fd, b"q\\n")
            until(b"never", 2)
            sys.stdout.write("resized\\n" if ok else "not resized: %r\\n" % out[-400:])
            """)
        let r = try s.run(
            driver,
            [
                "git", "sprite", "exec", "-it", "term", "--dir", "/tmp", "--", "sh", "-c",
                "echo ready; while read a; do [ \"$a\" = q ] && exit 0; stty size; done",
            ], env: env)
        #expect(r.stdout.hasPrefix("resized"), "\(r.stdout) \(r.stderr)")
    }

    /// Input and output at once, more of each than every buffer on the way holds: the client
    /// keeps reading while it waits to send (a sender that held the connection while the
    /// socket was full stopped the reader, and a large stream through `cat` hung).
    @Test func aLargeStreamGoesThroughCatBothWaysAtOnce() throws {
        let s = try Sandbox()
        let host = try LocalHost(root: s.path("host"))
        _ = try host.client().createSprite(SpriteCreation(name: "pipe"))
        let env = ["SPRITES_TOKEN": host.token, "SPRITES_API_URL": host.url]
        // the command writes all its output before it reads any input, so the client's input
        // backs up while the output has to be read
        let command =
            "set -o pipefail; head -c 64M /dev/zero | timeout 120 git-sprite exec pipe --dir /tmp -- "
            + "sh -c 'head -c 64M /dev/zero; cat > /dev/null' | wc -c"
        let r = try s.run("bash", ["-c", command], env: env)
        #expect(
            r.status == 0 && r.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == String(64 << 20),
            "\(r.status) \(r.stdout) \(r.stderr)")
        let both = try s.run(
            "bash",
            [
                "-c",
                "set -o pipefail; head -c 96M /dev/zero | timeout 120 git-sprite exec pipe --dir /tmp -- cat | wc -c",
            ],
            env: env)
        #expect(
            both.status == 0 && both.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == String(96 << 20),
            "\(both.status) \(both.stdout) \(both.stderr)")
    }

    @Test func execFindsTheSpritePlanNamedWhenRemotesAreAmbiguous() throws {
        // two remotes, neither origin nor an upstream: plan, up and exec must agree on the name
        let s = try Sandbox()
        let host = try LocalHost(root: s.path("host"))
        let repo = try s.makeRepo("app")
        try s.git("remote", "add", "a", "https://example.com/o/alpha.git", in: repo)
        try s.git("remote", "add", "b", "https://example.com/o/beta.git", in: repo)
        let env = ["SPRITES_TOKEN": host.token, "SPRITES_API_URL": host.url]
        let name = try s.sprite(["plan", "--json"], in: repo, env: env).json()[path: "sprite.name"] as? String
        #expect(name == "app-main")
        _ = try host.client().createSprite(SpriteCreation(name: "app-main"))
        try host.client().makeDirectory("app-main", path: "/home/sprite/workspace")
        let r = try s.sprite(["exec", "--", "true"], in: repo, env: env)
        #expect(r.status == 0, "\(r.stderr)")
    }

    @Test func execExplainsAMissingSpriteOrWorkspace() throws {
        let s = try Sandbox()
        let host = try LocalHost(root: s.path("host"))
        let repo = try s.makeRepo("app")
        let env = ["SPRITES_TOKEN": host.token, "SPRITES_API_URL": host.url]
        let missing = try s.sprite(["exec", "--", "true"], in: repo, env: env)
        #expect(missing.status == 3)
        #expect(missing.stderr.hasPrefix("error: sprite 'app-main' does not exist\nhint: start it: git sprite up"))
        _ = try host.client().createSprite(SpriteCreation(name: "app-main"))
        let noWorkspace = try s.sprite(["exec", "--", "true"], in: repo, env: env)
        #expect(noWorkspace.stderr.hasPrefix("error: sprite 'app-main' has no /home/sprite/workspace yet"))
        // a directory asked for is not the workspace: `up` would not make it
        let noDirectory = try s.sprite(["exec", "--dir", "/srv/nowhere", "--", "true"], in: repo, env: env)
        #expect(
            noDirectory.stderr.hasPrefix(
                "error: sprite 'app-main' has no directory /srv/nowhere\nhint: see what is there: git sprite exec"),
            "\(noDirectory.stderr)")
        let usage = try s.sprite(["exec"], in: repo, env: env)
        #expect(usage.status == 64)
    }
}

/// `git sprite exec` of a shell script in a sprite of a host of its own, for the tests that
/// signal it.
private struct SignalledExec {
    let s: Sandbox
    let host: LocalHost
    let repo: String

    /// Traps that write the signal's name to `/home/sprite/got` and exit 7.
    static let recording =
        "for sig in INT TERM HUP QUIT; do trap \"echo $sig > /home/sprite/got; exit 7\" $sig; done; "

    init(sparse: Bool) throws {
        s = try Sandbox()
        host = try LocalHost(root: s.path("host"), sparse: sparse)
        repo = try s.makeRepo("app")
        _ = try host.client().createSprite(SpriteCreation(name: "app-main"))
        try host.client().makeDirectory("app-main", path: "/home/sprite/workspace")
    }

    /// What the traps recorded ("" before any).
    func got() -> String { (try? host.remote("cat /home/sprite/got 2>/dev/null")) ?? "" }

    func start(_ script: String, throughGit: Bool = false) throws -> (Process, DispatchSemaphore, Locked<String>) {
        let env = ["SPRITES_TOKEN": host.token, "SPRITES_API_URL": host.url]
        return try Self.launch(
            ["exec", "--", "sh", "-c", script], through: throughGit ? ["git", "sprite"] : [], in: repo,
            environment: s.environment.merging(env) { $1 })
    }

    /// Starts git-sprite with `arguments` (through `git sprite` when `through` says so), its
    /// stdin empty; what it printed on both streams is gathered as it comes.
    static func launch(
        _ arguments: [String], through: [String] = [], in dir: String, environment: [String: String]
    ) throws -> (Process, DispatchSemaphore, Locked<String>) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: through.isEmpty ? Sandbox.binDirectory + "/git-sprite" : "/usr/bin/env")
        p.arguments = through + arguments
        p.currentDirectoryURL = URL(fileURLWithPath: dir)
        p.environment = environment
        let output = Pipe()
        // (both streams: what the command printed, and what git-sprite said)
        (p.standardInput, p.standardOutput, p.standardError) = (FileHandle.nullDevice, output, output)
        let shown = Locked("")
        let exited = p.exitSignal()
        try p.runWithSignalsUnblocked()
        Thread {
            while case let chunk = output.fileHandleForReading.availableData, !chunk.isEmpty {
                shown.withLock { $0 += String(decoding: chunk, as: UTF8.self) }
            }
        }.start()
        return (p, exited, shown)
    }
}
