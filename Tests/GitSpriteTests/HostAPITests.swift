import Foundation
import SpritesAPI
import TestSupport
import Testing

/// The libcurl client against sprite-host over real loopback HTTP and WebSocket.
@Suite("Sprites API: client and host", .ownThread)
struct HostAPITests {
    @Test func execSeparatesStdoutStderrAndTheExitCode() throws {
        let s = try Sandbox()
        let host = try LocalHost(root: s.path("host"))
        let api = host.client()
        _ = try api.createSprite(SpriteCreation(name: "box"))
        let r = try api.run("box", ["sh", "-c", "printf out; printf err >&2; exit 7"])
        #expect(r.status == 7)
        #expect(String(decoding: r.stdout, as: UTF8.self) == "out")
        #expect(String(decoding: r.stderr, as: UTF8.self) == "err")
        // arguments with shell metacharacters arrive as one argv element each
        let args = try api.run("box", ["printf", "%s|", "a b", "$(touch /home/sprite/pwned)", "x&y=z+1%", "`id`"])
        #expect(String(decoding: args.stdout, as: UTF8.self) == "a b|$(touch /home/sprite/pwned)|x&y=z+1%|`id`|")
        #expect(try api.run("box", ["test", "-e", "/home/sprite/pwned"]).status == 1)
        let pwd = try api.run("box", ["pwd"])
        #expect(String(decoding: pwd.stdout, as: UTF8.self) == "/home/sprite\n")
    }

    @Test func aLongSilentCommandIsKeptAliveByPingsTheHostAnswers() throws {
        let s = try Sandbox()
        let host = try LocalHost(root: s.path("host"))
        let api = host.client()
        _ = try api.createSprite(SpriteCreation(name: "box"))
        // the keepalive limits scaled down: eight seconds of silence is twice the limit (two
        // seconds was missed once by a pong on a machine the whole suite kept busy)
        api.keepalive = (ping: 0.2, dead: 4)
        let r = try api.run("box", ["sh", "-c", "sleep 8; echo done"])
        #expect(r.status == 0)
        #expect(String(decoding: r.stdout, as: UTF8.self) == "done\n")
    }

    @Test func theFirstBytesACommandWritesAreNeverLost() throws {
        // output written before the client's subscription existed used to vanish now and then
        // (a git advertisement lost meant a push that hung); the owner now subscribes first
        let s = try Sandbox()
        let host = try LocalHost(root: s.path("host"))
        let api = host.client()
        _ = try api.createSprite(SpriteCreation(name: "early"))
        let outputs = try (0..<40).map { i in
            String(decoding: try api.run("early", ["echo", "early-\(i)"]).stdout, as: UTF8.self)
        }
        #expect(outputs == (0..<40).map { "early-\($0)\n" })
    }

    @Test func fiveMegabytesOfStdinComeBackByteIdentical() throws {
        let s = try Sandbox()
        let host = try LocalHost(root: s.path("host"))
        let api = host.client()
        _ = try api.createSprite(SpriteCreation(name: "pipe"))
        var input = Data(count: 5 * 1024 * 1024)
        input.withUnsafeMutableBytes { raw in
            var x: UInt32 = 2463534242
            for i in 0..<raw.count {
                x ^= x << 13
                x ^= x >> 17
                x ^= x << 5
                raw[i] = UInt8(truncatingIfNeeded: x)
            }
        }
        let r = try api.run("pipe", ["cat"], input: input)
        #expect(r.status == 0)
        #expect(r.stdout.count == input.count)
        #expect(r.stdout == input)
    }

    @Test func aTTYSessionResizesDetachesAndReattachesWithScrollback() throws {
        let s = try Sandbox()
        let host = try LocalHost(root: s.path("host"))
        let api = host.client()
        _ = try api.createSprite(SpriteCreation(name: "term"))
        let script = "tty; read a; stty size; read b; echo done-$b"
        let stream = try api.openExec(
            "term",
            ExecRequest(
                command: ["sh", "-c", script], tty: true, rows: 24, cols: 80,
                stdin: true))
        let first = try readUntil(stream) { $0.contains("/dev/pts/") }
        #expect(first.contains("/dev/pts/"))
        let id = try #require(stream.sessionID)
        // the host takes a stream's messages in order: the size is set before "go" arrives
        try stream.resize(rows: 40, cols: 100)
        try stream.write(Data("go\n".utf8))
        let sized = try readUntil(stream) { $0.contains("40 100") }
        #expect(sized.contains("40 100"))
        stream.close()
        // a TTY session outlives its client
        #expect(eventually { (try? api.sessions("term").map(\.id))?.contains(id) == true })
        let again = try api.attach("term", session: id)
        let replay = try readUntil(again) { $0.contains("40 100") }
        #expect(replay.contains("/dev/pts/"))
        try again.write(Data("zz\n".utf8))
        var output = ""
        var code: Int32?
        while code == nil {
            switch try again.next(timeout: 10) {
            case .stdout(let d): output += String(decoding: d, as: UTF8.self)
            case .exit(let c): code = c
            default: continue
            }
        }
        #expect(output.contains("done-zz"))
        #expect(code == 0)
    }

    @Test func spritesAreCreatedListedLabelledAndDeleted() throws {
        let s = try Sandbox()
        let host = try LocalHost(root: s.path("host"))
        let api = host.client()
        for n in ["app-a", "app-b", "other"] {
            _ = try api.createSprite(SpriteCreation(name: n, labels: ["git-sprite"]))
        }
        let created = try #require(try api.getSprite("app-a"))
        #expect(created.status == .cold || created.status == .running)
        #expect(created.labels == ["git-sprite"])
        #expect(try api.listSprites(prefix: "app-").map(\.name) == ["app-a", "app-b"])
        #expect(try api.listSprites().count == 3)
        let updated = try api.updateLabels("app-a", labels: ["git-sprite", "repo:app"])
        #expect(updated.labels == ["git-sprite", "repo:app"])
        do {
            _ = try api.createSprite(SpriteCreation(name: "app-a"))
            Issue.record("a duplicate create must fail")
        } catch let e as APIError {
            #expect(e.status == 409)
        }
        try api.deleteSprite("app-a")
        #expect(try api.getSprite("app-a") == nil)
        // state lives on disk: a restarted host still knows the sprites
        host.stop()
        let again = try LocalHost(root: host.root)
        #expect(try again.client().listSprites().map(\.name) == ["app-b", "other"])
    }

    /// The real service upgrades a WebSocket on any request of a keep-alive connection; so
    /// does sprite-host: after a GET, after a chunked PUT, and pipelined behind a GET.
    @Test(arguments: ["plain", "chunked", "pipelined"])
    func aWebSocketUpgradesOnAConnectionThatAlreadyServedARequest(mode: String) throws {
        let s = try Sandbox()
        let host = try LocalHost(root: s.path("host"), edge: false)
        _ = try host.client().createSprite(SpriteCreation(name: "pooled"))
        let port = String(host.directURL.split(separator: ":").last ?? "")
        let r = try s.run("python3", [TestDaemon.fixture("keepalive.py"), port, host.token, "pooled", mode])
        #expect(r.status == 0, "\(r.stdout) \(r.stderr)")
        #expect(r.stdout == "http 200\nws 101\nhello-from-the-same-connection\nexit 0\n", "\(r.stdout) \(r.stderr)")
        if mode == "chunked" { #expect(try host.client().getSprite("pooled")?.labels == ["keepalive"]) }
        // the host still serves ordinary connections, and the exec count is one per upgrade
        #expect(try host.client().listSprites().map(\.name) == ["pooled"])
    }

    /// `--sparse-replies` answers in the sparest documented shapes.
    @Test func theSparseHostAnswersInTheSparestDocumentedShapes() throws {
        let s = try Sandbox()
        let host = try LocalHost(root: s.path("host"), sparse: true)
        let api = host.client()
        api.maxAttempts = 1
        _ = try api.createSprite(SpriteCreation(name: "thin", labels: ["git-sprite", "repo=x"], cpus: 2, ramMB: 2048))
        let listed = try JSONSerialization.jsonObject(with: try api.call("GET", "/v1/sprites").body) as? [String: Any]
        let entry = try #require((listed?["sprites"] as? [[String: Any]])?.first)
        #expect(Set(entry.keys) == ["name", "org_slug", "updated_at"], "\(entry)")
        #expect(try api.getSprite("thin")?.labels == ["git-sprite", "repo=x"], "a lookup is whole")
        #expect(try api.getSprite("thin")?.config?.cpus != 2, "the create's config is ignored")
        do {
            _ = try api.createSprite(SpriteCreation(name: "thin"))
            Issue.record("a duplicate create must fail")
        } catch let APIError.http(f) {
            #expect(f.status == 400 && f.message == "sprite 'thin' already exists", "\(f)")
        }
        let bad = try api.call("GET", "/v1/sprites", query: [("max_results", "nine")], accept: [400])
        #expect(
            String(decoding: bad.body, as: UTF8.self).hasPrefix("{\"errors\":["),
            "\(String(decoding: bad.body, as: UTF8.self))")
        _ = try api.createCheckpoint("thin", comment: "first")
        _ = try api.createCheckpoint("thin", comment: "second")
        let raw =
            try JSONSerialization.jsonObject(with: try api.call("GET", "/v1/sprites/thin/checkpoints").body)
            as? [[String: Any]]
        // oldest first, after the live state's entry (the service's own server lists it first)
        #expect(raw?.compactMap { $0["id"] as? String } == ["Current", "v0", "v1"], "oldest first")
        #expect(try api.listCheckpoints("thin").map(\.id) == ["v1", "v0"], "the client orders them, without Current")
        // what the sprite's own server refuses comes as plain text, and reads as the reason
        let missing = try api.call("GET", "/v1/sprites/thin/checkpoints/v9", accept: [404])
        #expect(missing.headers["content-type"]?.hasPrefix("text/plain") == true, "\(missing.headers)")
        do {
            try api.restoreCheckpoint("thin", id: "v9")
            Issue.record("restoring a checkpoint that is not there did not fail")
        } catch APIError.http(let f) {
            #expect(f.status == 404 && f.message.contains("checkpoint not found: v9"), "\(f.message)")
        }
        try api.putService(
            "thin", name: "svc", cmd: "/bin/sh",
            args: ["-c", "pwd > /home/sprite/where; echo \"$X\" > /home/sprite/x; sleep 100"],
            environment: ["X": "set"], directory: "/tmp")
        #expect(eventually(seconds: 10) { (try? host.remote("cat where", sprite: "thin")) == "/home/sprite" })
        #expect(try host.remote("cat x", sprite: "thin") == "", "env ignored")
        // a service without arguments: "args": null, as the service's own server writes it
        try api.putService("thin", name: "bare", cmd: "/bin/true", args: [])
        let services =
            try JSONSerialization.jsonObject(with: try api.call("GET", "/v1/sprites/thin/services").body)
            as? [[String: Any]]
        #expect(services?.first { $0["name"] as? String == "bare" }?["args"] is NSNull, "\(services ?? [])")
        #expect(try api.services("thin").contains { $0.name == "bare" && $0.args.isEmpty })
    }

    @Test func filesystemCallsWorkAndPathsNeverEscapeTheSprite() throws {
        let s = try Sandbox()
        let host = try LocalHost(root: s.path("host"))
        let api = host.client()
        _ = try api.createSprite(SpriteCreation(name: "files"))
        try api.writeFile("files", path: "dir/sub/hello.txt", data: Data("hi\n".utf8))
        #expect(try api.readFile("files", path: "/home/sprite/dir/sub/hello.txt") == Data("hi\n".utf8))
        try api.makeDirectory("files", path: "/home/sprite/empty")
        let entries = try api.listDirectory("files", path: "/home/sprite").map(\.name)
        #expect(entries.contains("dir") && entries.contains("empty"))
        let cat = try api.run("files", ["cat", "dir/sub/hello.txt"])
        #expect(cat.stdout == Data("hi\n".utf8))
        try api.deleteFile("files", path: "dir", recursive: true)
        #expect(throws: APIError.self) { try api.readFile("files", path: "dir/sub/hello.txt") }
        // every path is the sprite's: its own /etc, never the host's files
        let passwd = String(decoding: try api.readFile("files", path: "../../etc/passwd"), as: UTF8.self)
        #expect(passwd.contains("sprite:x:1000:1000"))
        #expect(passwd != (try String(contentsOfFile: "/etc/passwd", encoding: .utf8)))
        for secret in ["/etc/shadow", "/home/sprite/../../../etc/shadow"] {
            do {
                _ = try api.readFile("files", path: secret)
                Issue.record("\(secret) was readable")
            } catch let e as APIError {
                #expect(e.status == 403, "\(secret): \(e)")
            }
        }
        #expect(throws: APIError.self) { try api.readFile("files", path: "../other/x") }
        // a symlink inside the sprite that points out of its home leads to the sprite's /etc,
        // which is read-only
        #expect(try api.run("files", ["ln", "-s", "/etc", "/home/sprite/out"]).status == 0)
        #expect(String(decoding: try api.readFile("files", path: "out/passwd"), as: UTF8.self) == passwd)
        do {
            try api.writeFile("files", path: "out/evil", data: Data("x".utf8))
            Issue.record("wrote into the sprite's read-only /etc")
        } catch let e as APIError {
            #expect(e.status == 403)
        }
        #expect(!FileManager.default.fileExists(atPath: "/etc/evil"))
        // exec's working directory must exist in the sprite
        #expect(throws: APIError.self) {
            _ = try api.run("files", ["pwd"], directory: "/home/sprite/missing")
        }
    }

    @Test func checkpointsRestoreTheHomeDirectory() throws {
        let s = try Sandbox()
        let host = try LocalHost(root: s.path("host"))
        let api = host.client()
        _ = try api.createSprite(SpriteCreation(name: "cp"))
        try api.writeFile("cp", path: "state.txt", data: Data("one".utf8))
        let id = try api.createCheckpoint("cp", comment: "first")
        #expect(id == "v0")
        try api.writeFile("cp", path: "state.txt", data: Data("two".utf8))
        try api.writeFile("cp", path: "later.txt", data: Data("x".utf8))
        #expect(try api.listCheckpoints("cp").map(\.id) == ["v0"])
        try api.restoreCheckpoint("cp", id: "v0")
        #expect(try api.readFile("cp", path: "state.txt") == Data("one".utf8))
        #expect(throws: APIError.self) { try api.readFile("cp", path: "later.txt") }
    }

    /// A checkpoint whose copy fails (a file the sprite's user may not read) says why, and
    /// leaves nothing under its id: the next checkpoint took that id and copied over what the
    /// failed one left, so restoring it brought back a file deleted in between (an adversarial
    /// review).
    @Test func aFailedCheckpointSaysWhyAndLeavesNothingTheNextOneKeeps() throws {
        let s = try Sandbox()
        let host = try LocalHost(root: s.path("host"))
        let api = host.client()
        _ = try api.createSprite(SpriteCreation(name: "cp"))
        try api.writeFile("cp", path: "a-stale.txt", data: Data("deleted later".utf8))
        try api.writeFile("cp", path: "z-unreadable.txt", data: Data("x".utf8))
        #expect(try api.run("cp", ["chmod", "000", "/home/sprite/z-unreadable.txt"]).status == 0)
        do {
            _ = try api.createCheckpoint("cp", comment: "fails")
            Issue.record("a checkpoint of an unreadable file succeeded")
        } catch let e as APIError {
            #expect("\(e)".contains("Checkpoint failed"), "\(e)")
        }
        #expect(try api.listCheckpoints("cp").isEmpty)
        let kept = try FileManager.default.contentsOfDirectory(atPath: s.path("host/sprites"))
        for dir in kept {
            let checkpoints = s.path("host/sprites/\(dir)/checkpoints")
            #expect(((try? FileManager.default.contentsOfDirectory(atPath: checkpoints)) ?? []).isEmpty, "\(dir)")
        }
        #expect(
            try api.run("cp", ["sh", "-c", "rm /home/sprite/a-stale.txt; chmod 600 /home/sprite/*.txt"]).status == 0)
        let id = try api.createCheckpoint("cp", comment: "works")
        try api.restoreCheckpoint("cp", id: id)
        #expect(throws: APIError.self) { try api.readFile("cp", path: "a-stale.txt") }
        #expect(try api.readFile("cp", path: "z-unreadable.txt") == Data("x".utf8))
    }

    @Test func blockAllCutsTheNetworkAndAllowAllNeverReachesTheHostsLoopback() throws {
        let s = try Sandbox()
        let host = try LocalHost(root: s.path("host"))
        let api = host.client()
        _ = try api.createSprite(SpriteCreation(name: "net"))
        #expect(try api.networkPolicy("net").isEmpty)
        // a server on this machine's own address stands for the outside world
        let outside = try TestDaemon(["python3", "-u", "-m", "http.server", "0", "--bind", TestNetwork.hostAddress])
        let port = try #require(outside.firstLine.split(separator: " ").drop { $0 != "port" }.dropFirst().first)
        let world = [
            "curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "5",
            "http://\(TestNetwork.hostAddress):\(port)/",
        ]
        let open = try api.run("net", world)
        #expect(open.status == 0, "\(String(decoding: open.stderr, as: UTF8.self))")
        #expect(String(decoding: open.stdout, as: UTF8.self) == "200")
        // sprite-host itself listens on the host's loopback: out of reach, by any address
        let hostPort = String(host.directURL.split(separator: ":").last ?? "")
        for target in ["127.0.0.1", "10.0.2.2"] {
            let probe = try api.run(
                "net", ["curl", "-s", "--max-time", "3", "http://\(target):\(hostPort)/v1/sprites"])
            #expect(probe.status != 0, "\(target) reached sprite-host")
        }
        try api.setNetworkPolicy("net", rules: [PolicyRule(domain: "*", action: "deny")])
        #expect(try api.networkPolicy("net") == [PolicyRule(domain: "*", action: "deny")])
        #expect(try api.run("net", world).status != 0)
        #expect(
            String(decoding: try api.readFile("net", path: "/.sprite/policy/network.json"), as: UTF8.self)
                .contains("deny"))
        try api.setNetworkPolicy("net", rules: [])
        #expect(try api.run("net", world).status == 0)
        do {
            try api.setNetworkPolicy("net", rules: [PolicyRule(domain: "x.com", action: "maybe")])
            Issue.record("an invalid rule must be refused")
        } catch let e as APIError {
            #expect(e.status == 400)
        }
    }

    /// A service that ends as soon as it starts is started again later each time (1, 2, 4 s
    /// ...), and says when (`next_restart_at`), instead of once a second forever.
    @Test func aServiceThatKeepsEndingIsRestartedLessAndLessOften() throws {
        let s = try Sandbox()
        let host = try LocalHost(root: s.path("host"))
        let api = host.client()
        _ = try api.createSprite(SpriteCreation(name: "svc"))
        try api.putService("svc", name: "flaky", cmd: "sh", args: ["-c", "exit 3"])
        let state = { (try? api.services("svc").first?.state) ?? nil }
        // the moments its restart count went up, seen by looking every 50 ms (the first look
        // is not a moment it went up)
        var first: Int?
        var rises: [Int: Date] = [:]
        var waiting: ServiceState?
        let deadline = Date().addingTimeInterval(40)
        while (rises.keys.max() ?? 0) < 5 && Date() < deadline {
            if let now = state(), let count = now.restartCount {
                if first == nil {
                    first = count
                } else if count > (rises.keys.max() ?? first ?? 0) {
                    rises[count] = Date()
                }
                if now.status == "starting", now.nextRestartAt != nil { waiting = now }
            }
            usleep(50_000)
        }
        #expect(rises.keys.max() == 5, "\(rises.keys.sorted()) after \(String(describing: first))")
        #expect(waiting != nil, "a restart to come is announced with next_restart_at")
        // after the k-th quick end the next start waits 2^(k-1) s: the gaps are never shorter
        // (less the 50 ms a look may lag)
        var measured = 0
        for k in 2...4 {
            guard let rise = rises[k], let next = rises[k + 1] else { continue }
            let gap = next.timeIntervalSince(rise)
            #expect(gap > pow(2, Double(k - 1)) - 0.1, "after end \(k): \(gap) s")
            measured += 1
        }
        #expect(measured >= 2, "\(rises.keys.sorted())")
        try api.stopService("svc", name: "flaky")
        #expect(state()?.nextRestartAt == nil)
    }

    @Test func aServiceComesBackAfterAForcedColdTransition() throws {
        let s = try Sandbox()
        let host = try LocalHost(root: s.path("host"))
        let api = host.client()
        _ = try api.createSprite(SpriteCreation(name: "svc"))
        let events = try api.putService(
            "svc", name: "ticker", cmd: "sh",
            args: ["-c", "echo started >> /home/sprite/ticks; exec sleep 1000"])
        #expect(events.contains { $0.type == "started" })
        let state = { (try? api.services("svc").first?.state) ?? nil }
        #expect(eventually { state()?.status == "running" && state()?.pid != nil }, "\(String(describing: state()))")
        // (its PID is the sprite's own, which a new PID namespace may give out again: the
        // second start shows in the file it writes)
        try host.hook("POST", "/_host/sprites/svc/cold")
        // reading the sprite's record does not wake it (listing must not); a call to it does
        #expect(try api.getSprite("svc")?.status == .cold)
        _ = try api.services("svc")
        #expect(try api.getSprite("svc")?.status == .running)
        let ticks = { String(decoding: (try? api.readFile("svc", path: "ticks")) ?? Data(), as: UTF8.self) }
        #expect(eventually { ticks() == "started\nstarted\n" }, "\(ticks())")
        #expect(eventually(seconds: 5) { state()?.status == "running" && state()?.pid != nil })
        // a crash is restarted too
        let killed = try api.run("svc", ["pkill", "-x", "sleep"])
        #expect(killed.status == 0, "\(String(decoding: killed.stderr, as: UTF8.self))")
        #expect(eventually(seconds: 5) { ticks() == "started\nstarted\nstarted\n" }, "\(ticks())")
        try api.stopService("svc", name: "ticker")
        #expect(try api.services("svc").first?.state?.status == "stopped")
    }

    @Test func sessionsAreListedAndKilled() throws {
        let s = try Sandbox()
        let host = try LocalHost(root: s.path("host"))
        let api = host.client()
        _ = try api.createSprite(SpriteCreation(name: "k"))
        let stream = try api.openExec("k", ExecRequest(command: ["sleep", "600"]))
        _ = try stream.next(timeout: 5)  // session_info
        let id = try #require(stream.sessionID)
        #expect(try api.sessions("k").contains { $0.id == id && $0.command.contains("sleep 600") })
        let code = try api.kill("k", session: id, signal: "TERM", timeout: "5s")
        #expect(code == 143)
        #expect(try stream.next(timeout: 5) == .exit(143))
        #expect(try api.sessions("k").isEmpty)
        #expect(try api.kill("k", session: id) == nil)  // 410 Gone: already exited
        let (status, body) = try api.httpExec("k", ["sh", "-c", "printf hi; exit 5"])
        #expect(status == 5)
        #expect(body == Data([1]) + Data("hi".utf8))
    }

    /// A non-TTY command outlives a dropped client for `max_run_after_disconnect` (re-attach
    /// within it gets the output), then is stopped; the control channel is not offered.
    @Test func aDisconnectedCommandRunsForItsGraceThenStops() throws {
        let s = try Sandbox()
        let host = try LocalHost(root: s.path("host"))
        let api = host.client()
        _ = try api.createSprite(SpriteCreation(name: "g"))
        // 1: re-attached within the window, it finishes and its output arrives
        let first = try api.openExec(
            "g",
            ExecRequest(
                command: ["sh", "-c", "sleep 1; echo finished"],
                maxRunAfterDisconnect: "30s"))
        _ = try first.next(timeout: 5)
        let kept = try #require(first.sessionID)
        first.close()
        let again = try api.attach("g", session: kept, stdin: false)
        #expect(try readUntil(again, timeout: 10) { $0.contains("finished") }.contains("finished"))
        // 2: left alone past a 1 s window, it is stopped long before its own end
        let second = try api.openExec("g", ExecRequest(command: ["sleep", "600"], maxRunAfterDisconnect: "1s"))
        _ = try second.next(timeout: 5)
        let dropped = try #require(second.sessionID)
        second.close()
        #expect(try api.sessions("g").contains { $0.id == dropped })
        #expect(eventually(seconds: 15) { (try? api.sessions("g").contains { $0.id == dropped }) == false })
        let left = String(
            decoding: try api.run("g", ["sh", "-c", "ps -eo pid,ppid,pgid,stat,args"]).stdout, as: UTF8.self)
        #expect(!left.contains("sleep 600"), "\(left)")
        // 3: on a terminal, one that ignores SIGTERM (an interactive shell) gets the hangup a
        // closed terminal sends, and one that ignores both is killed 10 s later: both ran on
        // for good (a review found shells left running)
        for (ignoring, sleep) in [("TERM", "601"), ("TERM HUP", "602")] {
            let shell = try api.openExec(
                "g",
                ExecRequest(
                    command: ["sh", "-c", "trap '' \(ignoring); exec sleep \(sleep)"], tty: true,
                    maxRunAfterDisconnect: "1s"))
            _ = try shell.next(timeout: 5)
            shell.close()
            #expect(
                eventually(seconds: 30) {
                    let ps = (try? api.run("g", ["ps", "-eo", "args"]).stdout) ?? Data()
                    return !String(decoding: ps, as: UTF8.self).contains("sleep \(sleep)")
                }, "sleep \(sleep) ignoring \(ignoring) still runs")
        }
        // no multiplexed control channel: clients fall back to one socket per command
        let control = try api.call("GET", "/v1/sprites/g/control", accept: [404])
        #expect(control.status == 404)
    }
}

@Suite("Sprites API: faults", .ownThread)
struct HostFaultTests {
    @Test func twoServiceUnavailableAnswersAreRetriedTransparently() throws {
        let s = try Sandbox()
        let host = try LocalHost(root: s.path("host"))
        try host.faults(["rules": [["method": "POST", "path": "/v1/sprites", "status": 503, "count": 2]]])
        let sprite = try host.client().createSprite(SpriteCreation(name: "retry"))
        #expect(sprite.name == "retry")
        #expect(try host.requestCount("POST /v1/sprites") == 3)
    }

    @Test func tooManyRequestsWaitsForRetryAfter() throws {
        let s = try Sandbox()
        let host = try LocalHost(root: s.path("host"))
        try host.faults([
            "rules": [
                [
                    "method": "GET", "path": "/v1/sprites", "status": 429, "retry_after": 1,
                    "count": 1,
                ]
            ]
        ])
        let started = Date()
        _ = try host.client().listSprites()
        #expect(Date().timeIntervalSince(started) >= 0.9)
        #expect(try host.requestCount("GET /v1/sprites") == 2)
    }

    @Test func aDroppedExecStreamIsAClearErrorNotAHang() throws {
        let s = try Sandbox()
        let host = try LocalHost(root: s.path("host"))
        let api = host.client()
        _ = try api.createSprite(SpriteCreation(name: "drop"))
        try host.faults(["rules": [["method": "WS", "path": "/exec", "drop": 300, "count": 1]]])
        do {
            _ = try api.run("drop", ["sleep", "30"])
            Issue.record("the dropped stream must fail")
        } catch let e as APIError {
            guard case .streamLost = e else {
                Issue.record("unexpected \(e)")
                return
            }
            #expect(e.description.contains("ended before the command finished"))
        }
    }

    @Test func aLostCreateAnswerDoesNotDuplicateTheSprite() throws {
        let s = try Sandbox()
        let host = try LocalHost(root: s.path("host"))
        try host.faults(["rules": [["method": "POST", "path": "/v1/sprites", "drop": 1, "count": 1]]])
        let sprite = try host.client().createSprite(SpriteCreation(name: "once", labels: ["git-sprite"]))
        #expect(sprite.name == "once")
        #expect(try host.client().listSprites().map(\.name) == ["once"])
    }

    @Test func aBadTokenIsRejected() throws {
        let s = try Sandbox()
        let host = try LocalHost(root: s.path("host"))
        let bad = SpritesClient(baseURL: host.url, token: "wrong")
        do {
            _ = try bad.listSprites()
            Issue.record("a bad token must be rejected")
        } catch let e as APIError {
            #expect(e.status == 401)
        }
        #expect(throws: APIError.self) { _ = try bad.openExec("x", ExecRequest(command: ["true"])) }
    }
}
