import Foundation
import GitSpriteCore
import SpritesAPI
import Testing

/// `git sprite wait`'s retries in-process, on a clock that only moves when the command sleeps:
/// a look at the agent that fails is tried again at the next interval, and five failures in a
/// row end the wait with an error of its own (each look counted exactly, which the end-to-end
/// `waitRetriesADroppedConnection` cannot, over a wire that drops streams).
@Suite("wait in-process", .offThePool)
struct WaitTests {
    /// The first `failures` looks at the agent fail; then it has finished.
    static func sprite(failures: Int) throws -> ScriptedSprite {
        try ScriptedSprite(script: "git-sprite-look") { n in
            n <= failures ? (1, "", "the sprite is busy\n") : (0, "agent=running\nstate=finished\n", "")
        }
    }

    @Test func failedLooksAreTriedAgainAndTheWaitEndsWithTheAgentsState() throws {
        let sprite = try Self.sprite(failures: 4)
        let result = try WaitWorkflow.run(sprite.context, sprites: [], timeout: nil)
        #expect(result.outcome == .finished)
        #expect(result.lines == ["app-main: finished"], "\(result.lines)")
        #expect(sprite.runs.value == 5)
        #expect(sprite.slept.value == 8, "four intervals of 2 s")
    }

    @Test func fiveFailedLooksInARowEndTheWaitWithAClearError() throws {
        let sprite = try Self.sprite(failures: .max)
        do {
            _ = try WaitWorkflow.run(sprite.context, sprites: [], timeout: nil)
            Issue.record("a wait whose every look fails must fail")
        } catch let error as SpriteError {
            #expect(
                error.message
                    == "stopped waiting for app-main: 5 looks in a row failed: "
                    + "looking at the agent in app-main failed: the sprite is busy", "\(error.message)")
            #expect(error.hints.contains("run git sprite wait again"), "\(error.hints)")
        }
        #expect(sprite.runs.value == 5)
    }
}
