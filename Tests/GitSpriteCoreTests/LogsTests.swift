import Foundation
import GitSpriteCore
import SpritesAPI
import Testing

/// `git sprite logs` on a cold sprite, in-process: the wake waits for an agent only when the
/// sprite has an agent service to start it again.
@Suite("logs in-process", .offThePool)
struct LogsTests {
    /// The fake's sprites stay cold; the agent's screen shows it after `screens` reads.
    static func sprite(agentShowsAfter screens: Int) throws -> ScriptedSprite {
        try ScriptedSprite(script: "git-sprite-screen") { n in
            (0, n > screens ? "agent=running\nnext=1\n--\nagent is back\n" : "agent=none\n--\nold screen\n", "")
        }
    }

    static func logs(_ sprite: ScriptedSprite) throws {
        try LogsWorkflow.run(sprite.context, sprite: nil, options: .init())
    }

    @Test func aColdSpriteWithoutAnAgentServiceIsReadOnceNotWaitedOn() throws {
        let sprite = try Self.sprite(agentShowsAfter: .max)
        try Self.logs(sprite)
        #expect(sprite.runs.value == 1)
        #expect(sprite.slept.value == 0)
        #expect(sprite.b.errors.contains("was cold; waking it"), "\(sprite.b.errors)")
        #expect(sprite.b.errors.contains("no agent runs in app-main"), "\(sprite.b.errors)")
    }

    @Test func aColdSpriteWhoseAgentServiceStartsItIsWaitedOnUntilItShows() throws {
        let sprite = try Self.sprite(agentShowsAfter: 2)
        _ = try sprite.b.fake.putService(
            "app-main", name: "agent", cmd: "sh", args: [], environment: [:], directory: nil)
        try Self.logs(sprite)
        #expect(sprite.runs.value == 3)
        #expect(sprite.slept.value == 1)
        #expect(!sprite.b.errors.contains("no agent runs"), "\(sprite.b.errors)")
    }

    @Test func aColdSpriteWhoseAgentNeverShowsIsWaitedOnFifteenSeconds() throws {
        let sprite = try Self.sprite(agentShowsAfter: .max)
        _ = try sprite.b.fake.putService(
            "app-main", name: "agent", cmd: "sh", args: [], environment: [:], directory: nil)
        try Self.logs(sprite)
        #expect(sprite.slept.value == 15)
        #expect(sprite.b.errors.contains("no agent runs in app-main"), "\(sprite.b.errors)")
    }
}
