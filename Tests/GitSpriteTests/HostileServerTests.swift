import Foundation
import SpritesAPI
import TestSupport
import Testing

/// The client against a broken or hostile server, and configuration a repository could carry
/// to turn it against its user: an error (or a safe outcome), never a trap.
@Suite("client hardening", .ownThread)
struct HostileServerTests {
    @Test func absurdRetryWaitsAndExitStatusesDoNotTrapTheClient() throws {
        let s = try Sandbox()
        let server = try TestDaemon(["python3", "-u", TestDaemon.fixture("hostile_server.py")])
        let url = "http://127.0.0.1:" + server.firstLine
        // 429 with Retry-After: inf and retry_after_seconds: 1e308
        let repo = try s.makeRepo("app")
        let r = try s.sprite(["status"], in: repo, env: ["SPRITES_TOKEN": "t", "SPRITES_API_URL": url])
        #expect(r.status == 1, "\(r.status) \(r.stderr)")
        #expect(r.stderr.hasPrefix("error: the Sprites API is rate limiting requests"), "\(r.stderr)")
        // an exit status far outside 0...255
        let api = SpritesClient(baseURL: url, token: "t")
        #expect(try api.run("x", ["true"]).status == 255)
    }

    /// A server that takes each connection and never answers: the call is tried once more,
    /// not until the attempts run out (four of 30 s each, two minutes), and the error says
    /// nothing answered ("the connection … broke", and "run the command again", said before).
    @Test(.longRunning) func aServerThatNeverAnswersIsTriedTwiceAndSaidSo() throws {
        let s = try Sandbox()
        let log = s.path("accepted")
        let server = try TestDaemon([
            "python3", "-c",
            """
            import socket, sys
            s = socket.socket(); s.bind(('127.0.0.1', 0)); s.listen(16); print(s.getsockname()[1], flush=True)
            held = []
            while True:
                c, _ = s.accept(); held.append(c)
                open(sys.argv[1], 'a').write('x')
            """, log,
        ])
        let repo = try s.makeRepo("app")
        let url = "http://127.0.0.1:" + server.firstLine
        let r = try s.sprite(["status"], in: repo, env: ["SPRITES_TOKEN": "t", "SPRITES_API_URL": url])
        #expect(r.status == 1, "\(r.status) \(r.stderr)")
        #expect(
            r.stderr.hasPrefix("error: the Sprites API at \(url) took the connection but did not answer"),
            "\(r.stderr)")
        #expect(r.stderr.contains("hint: is the service up?"), "\(r.stderr)")
        #expect((try? String(contentsOfFile: log, encoding: .utf8)) == "xx")
    }

    /// Shapes the service's own server answers in (read in its Go source by a fidelity review):
    /// no checkpoints is `null`; a failed checkpoint's reason is in `error`, and is said as
    /// the service's, not as an answer that could not be understood; a service defined
    /// without arguments has `"args": null` (which failed every service's decoding, and `up`).
    @Test func theServicesOwnShapesAreRead() throws {
        let server = try TestDaemon(["python3", "-u", TestDaemon.fixture("hostile_server.py"), "go-server"])
        let api = SpritesClient(baseURL: "http://127.0.0.1:" + server.firstLine, token: "t")
        #expect(try api.listCheckpoints("box").isEmpty)
        let services = try api.services("box")
        #expect(services.map(\.name) == ["web"] && services.first?.args == [] && services.first?.state == nil)
        do {
            _ = try api.createCheckpoint("box")
            Issue.record("the checkpoint did not fail")
        } catch APIError.failed(let reason) {
            #expect(reason == "Checkpoint failed: disk full")
        } catch {
            Issue.record("\(error)")
        }
    }

    @Test func theRemoteHelperTakesOnlySpriteNamesTheAPIAllows() throws {
        let s = try Sandbox()
        let repo = try s.makeRepo("app")
        for address in [
            "sprite::../etc", "sprite::Box/x", "sprite::a%2Fb/x", "sprite::-rf/x", "sprite::a?b=c/x",
            "sprite::" + String(repeating: "a", count: 64),
        ] {
            let r = try s.run(
                "git", ["ls-remote", address], in: repo,
                env: ["SPRITES_TOKEN": "t", "SPRITES_API_URL": "http://127.0.0.1:9"])
            #expect(r.status != 0)
            #expect(r.stderr.contains("invalid sprite address"), "\(address): \(r.stderr)")
        }
    }

    @Test func aMountNameFromGitConfigIsCheckedLikeAs() throws {
        let s = try Sandbox()
        let repo = try s.makeRepo("app")
        let notes = try s.makeRepo("notes")
        try s.git("config", "sprite.link.../../../tmp/x.path", notes, in: repo)
        let r = try s.sprite(["plan"], in: repo)
        #expect(r.status == 1)
        #expect(
            r.stderr.hasPrefix(
                "error: invalid mount name '../../../tmp/x' in git config sprite.link.../../../tmp/x.path"),
            "\(r.stderr)")
        #expect(r.stderr.contains("hint: remove it: git config --unset"))
    }

    /// tmux runs a lone argument through a shell; a one-word agent command (here one with a
    /// space in it) must be run as that one word.
    @Test func aOneWordAgentCommandIsRunAsAWordNotAsShell() throws {
        let s = try Sandbox()
        let host = try LocalHost(root: s.path("host"))
        let repo = try s.makeRepo("app")
        try s.write("fake agent", "#!/bin/sh\necho ran > /home/sprite/agent-ran\nexec sleep 100000\n", in: repo)
        chmod(repo + "/fake agent", 0o755)
        try s.git("add", "fake agent", in: repo)
        try s.git("commit", "-q", "-m", "agent", in: repo)
        try s.git("config", "sprite.agent.command", "'/home/sprite/workspace/fake agent'", in: repo)
        let r = try s.sprite(["up"], in: repo, env: ["SPRITES_TOKEN": host.token, "SPRITES_API_URL": host.url])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(
            eventually(seconds: 10) {
                (try? host.client().readFile("app-main", path: "/home/sprite/agent-ran")) == Data("ran\n".utf8)
            })
    }
}
