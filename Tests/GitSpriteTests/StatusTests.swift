import Foundation
import SpritesAPI
import TestSupport
import Testing

@Suite("git sprite status and authentication", .ownThread)
struct StatusTests {
    @Test func aMissingTokenIsExit4WithTheWaysToProvideOne() throws {
        let s = try Sandbox()
        let repo = try s.makeRepo("app")
        let r = try s.sprite(["status"], in: repo, unset: ["SPRITES_TOKEN", "SPRITE_TOKEN"])
        #expect(r.status == 4)
        #expect(r.stdout.isEmpty)
        #expect(r.stderr.hasPrefix("error: No Sprites authentication token found\n"))
        #expect(r.stderr.contains("hint: export SPRITES_TOKEN="))
        #expect(r.stderr.contains("--local"))
    }

    @Test func aBadTokenIsExit4AndNeverPrinted() throws {
        let s = try Sandbox()
        let host = try LocalHost(root: s.path("host"))
        let repo = try s.makeRepo("app")
        let r = try s.sprite(
            ["status", "-v"], in: repo,
            env: ["SPRITES_TOKEN": "wrong-token-value", "SPRITES_API_URL": host.url])
        #expect(r.status == 4)
        #expect(r.stderr.contains("error: the Sprites API at \(host.url) rejected the token (HTTP 401)"))
        #expect(r.stderr.contains("hint: "))
        #expect(!r.stderr.contains("wrong-token-value") && !r.stdout.contains("wrong-token-value"))
    }

    @Test func statusListsThisRepositorysSpritesAndTracesWithoutSecrets() throws {
        let s = try Sandbox()
        let host = try LocalHost(root: s.path("host"))
        let api = host.client()
        _ = try api.createSprite(SpriteCreation(name: "app-main", labels: ["git-sprite", "repo=app", "branch=main"]))
        _ = try api.createSprite(
            SpriteCreation(name: "other-main", labels: ["git-sprite", "repo=other", "branch=main"]))
        _ = try api.createSprite(SpriteCreation(name: "unrelated", labels: []))
        let repo = try s.makeRepo("app")
        let env = ["SPRITES_TOKEN": host.token, "SPRITES_API_URL": host.url]
        let r = try s.sprite(["status"], in: repo, env: env)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout == "app-main\tcold\tmain\tunknown\t-\t-\t≥ $0.00\n", "a cold sprite is not woken to be listed")
        let all = try s.sprite(["ls", "--all", "--json"], in: repo, env: env)
        let names = ((try all.json()["sprites"] as? [[String: Any]]) ?? []).compactMap { $0["name"] as? String }
        #expect(names == ["app-main", "other-main"])
        let traced = try s.sprite(["status", "-v"], in: repo, env: env.merging(["GIT_SPRITE_TRACE": "1"]) { $1 })
        #expect(traced.stderr.contains("trace: > GET \(host.url)/v1/sprites"))
        #expect(traced.stderr.contains("trace: < 200 GET"))
        #expect(!traced.stderr.contains(host.token))
    }

    @Test func anUnreachableAPIIsAClearError() throws {
        let s = try Sandbox()
        let repo = try s.makeRepo("app")
        let r = try s.sprite(
            ["status"], in: repo, env: ["SPRITES_TOKEN": "t", "SPRITES_API_URL": "http://127.0.0.1:9"])
        #expect(r.status == 1)
        #expect(r.stderr.hasPrefix("error: cannot reach the Sprites API at http://127.0.0.1:9\n"))
    }
}
