import Foundation
import GitSpriteCore
import SpriteSync
import SpritesAPI
import TestSupport
import Testing

/// `git sprite wait`'s retries in-process, on a clock that only moves when the command sleeps:
/// a look at the agent that fails is tried again at the next interval, and five failures in a
/// row end the wait with an error of its own (each look counted exactly, which the end-to-end
/// `waitRetriesADroppedConnectionThenFailsClearly` cannot, over a wire that drops streams).
@Suite("wait in-process", .offThePool)
struct WaitTests {
    /// A sprite `up` made, whose first `failures` looks at the agent fail; then it has finished.
    final class Bench {
        let b: Workbench
        let app: String
        let looks = Locked(0)
        let slept = Locked<TimeInterval>(0)

        init(failures: Int) throws {
            b = try Workbench()
            app = try b.repo()
            var options = UpOptions()
            options.noAgent = true
            _ = try UpWorkflow.run(b.context(in: app), options: options)
            let looks = self.looks
            b.fake.onRun = { _, argv in
                guard argv.count > 3, argv[3] == "git-sprite-look" else { return nil }
                let n = looks.withLock { count in
                    count += 1
                    return count
                }
                return n <= failures
                    ? (1, Data(), Data("the sprite is busy\n".utf8))
                    : (0, Data("agent=running\nstate=finished\n".utf8), Data())
            }
        }

        func wait() throws -> WaitWorkflow.Result {
            var context = b.context(in: app)
            let (start, slept) = (Date(), self.slept)
            context.clock = Clock(
                now: { start.addingTimeInterval(slept.value) }, sleep: { d in slept.withLock { $0 += d } })
            return try WaitWorkflow.run(context, sprites: [], timeout: nil)
        }
    }

    @Test func failedLooksAreTriedAgainAndTheWaitEndsWithTheAgentsState() throws {
        let bench = try Bench(failures: 4)
        let result = try bench.wait()
        #expect(result.outcome == .finished)
        #expect(result.lines == ["app-main: finished"], "\(result.lines)")
        #expect(bench.looks.value == 5)
        #expect(bench.slept.value == 8, "four intervals of 2 s")
    }

    @Test func fiveFailedLooksInARowEndTheWaitWithAClearError() throws {
        let bench = try Bench(failures: .max)
        do {
            _ = try bench.wait()
            Issue.record("a wait whose every look fails must fail")
        } catch let error as SpriteError {
            #expect(
                error.message
                    == "stopped waiting for app-main: 5 looks in a row failed: "
                    + "looking at the agent in app-main failed: the sprite is busy", "\(error.message)")
            #expect(error.hints.contains("run git sprite wait again"), "\(error.hints)")
        }
        #expect(bench.looks.value == 5)
    }
}
