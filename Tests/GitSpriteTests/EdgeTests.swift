import Foundation
import GitSpriteCore
import SpritesAPI
import TestSupport
import Testing

/// The real service sits behind a TLS edge that speaks HTTP/2. Here nginx plays it (HTTP/2
/// offered by ALPN, WebSocket upgrades proxied) in front of sprite-host, and the whole day's
/// work goes through it: REST calls on HTTP/2, every WebSocket on an HTTP/1.1 connection of
/// its own.
@Suite("through an HTTP/2 TLS edge", .ownThread)
struct EdgeTests {
    static let agent = "sh -c 'echo agent-ready; exec sleep 100000' agent"

    @Test(.longRunning) func upExecAttachFetchPushAndDownWorkThroughTheEdgeAndNoUpgradeOffersH2() throws {
        let w = try Workspace()
        let s = w.sandbox
        let host = try LocalHost(root: s.path("host"), edge: true)
        let edge = try #require(host.edge)
        let env = [
            "SPRITES_TOKEN": host.token, "SPRITES_API_URL": host.url,
            "SSL_CERT_FILE": TestAuthority.shared.caCertificate,
        ]
        try s.git("config", "sprite.agent.command", Self.agent, in: w.app)

        let up = try s.sprite(["up"], in: w.app, env: env)
        #expect(up.status == 0, "\(up.stderr)")
        #expect(try host.remote("git -C workspace rev-parse HEAD") == (try s.git("rev-parse", "HEAD", in: w.app)))
        #expect(try host.remote("git -C repos/notes rev-parse HEAD") == (try s.git("rev-parse", "HEAD", in: w.notes)))

        let exec = try s.run(
            "sh", ["-c", "printf 'in\\n' | git sprite exec -- sh -c 'cat; echo err >&2; exit 3'"],
            in: w.app, env: env)
        #expect(exec.status == 3, "\(exec.stderr)")
        #expect(exec.stdout == "in\n")
        #expect(exec.stderr.contains("err"))

        let attach = try s.inTerminal(
            "git sprite attach", typing: "\\002d", once: "agent-ready", dir: w.app, env: env)
        #expect(attach.status == 0, "\(attach.stdout) \(attach.stderr)")
        #expect(attach.stdout.contains("agent-ready"))

        // the agent commits; fetch brings it home
        let commit = try s.sprite(
            [
                "exec", "--", "sh", "-c",
                "echo agent > agent.txt && git add -A && git -c user.name=a -c user.email=a@example.com commit -qm 'agent work'",
            ],
            in: w.app, env: env)
        #expect(commit.status == 0, "\(commit.stderr)")
        let fetch = try s.sprite(["fetch"], in: w.app, env: env)
        #expect(fetch.status == 0, "\(fetch.stderr)")
        #expect(try s.git("log", "-1", "--format=%s", "refs/remotes/sprite/app-main/main", in: w.app) == "agent work")

        // the remote helper, straight from git: a push and a fetch through the edge
        try s.git("branch", "-f", "side", "HEAD", in: w.app)
        let push = try s.run(
            "git", ["push", "-q", "sprite::app-main/home/sprite/workspace", "side:refs/heads/side"],
            in: w.app, env: env)
        #expect(push.status == 0, "\(push.stderr)")
        #expect(
            try host.remote("git -C workspace rev-parse refs/heads/side") == (try s.git("rev-parse", "side", in: w.app))
        )
        let gitFetch = try s.run(
            "git", ["fetch", "-q", "sprite::app-main/home/sprite/workspace", "main:refs/edge/main"],
            in: w.app, env: env)
        #expect(gitFetch.status == 0, "\(gitFetch.stderr)")
        #expect(try s.git("log", "-1", "--format=%s", "refs/edge/main", in: w.app) == "agent work")

        let down = try s.sprite(["down", "--destroy"], in: w.app, env: env)
        #expect(down.status == 0, "\(down.stderr)")
        #expect(try host.client().getSprite("app-main") == nil)

        // what the edge saw: REST on HTTP/2, every upgrade on HTTP/1.1 chosen by ALPN
        let seen = edge.requests()
        let upgrades = seen.filter { $0.status == 101 }
        let rest = seen.filter { $0.status != 101 }
        #expect(upgrades.count >= 5, "\(seen)")
        #expect(upgrades.allSatisfy { $0.proto == "HTTP/1.1" && $0.alpn == "http/1.1" }, "\(upgrades)")
        #expect(!rest.isEmpty && rest.allSatisfy { $0.proto == "HTTP/2.0" && $0.alpn == "h2" }, "\(rest)")
        #expect(!seen.contains { $0.status >= 500 }, "\(seen)")
    }
}
