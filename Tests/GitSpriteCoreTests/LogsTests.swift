import Foundation
import GitSpriteCore
import SpriteSync
import SpritesAPI
import TestSupport
import Testing

/// `git sprite logs` on a cold sprite, in-process: the wake waits for an agent only when the
/// sprite has an agent service to start it again.
@Suite("logs in-process", .offThePool)
struct LogsTests {
    /// A sprite `up` made (the fake's sprites stay cold), its screen read `screens` times
    /// before the agent shows, on a clock whose time passes only when the command sleeps.
    final class Bench {
        let b: Workbench
        let app: String
        let reads = Locked(0)
        let slept = Locked<TimeInterval>(0)

        init(agentShowsAfter screens: Int) throws {
            b = try Workbench()
            app = try b.repo()
            var options = UpOptions()
            options.noAgent = true
            _ = try UpWorkflow.run(b.context(in: app), options: options)
            let reads = self.reads
            b.fake.onRun = { _, argv in
                guard argv.count > 3, argv[3] == "git-sprite-screen" else { return nil }
                let n = reads.withLock { count in
                    count += 1
                    return count
                }
                let screen = n > screens ? "agent=running\nnext=1\n--\nagent is back\n" : "agent=none\n--\nold screen\n"
                return (0, Data(screen.utf8), Data())
            }
        }

        func logs() throws {
            var context = b.context(in: app)
            let (start, slept) = (Date(), self.slept)
            context.clock = Clock(
                now: { start.addingTimeInterval(slept.value) }, sleep: { d in slept.withLock { $0 += d } })
            try LogsWorkflow.run(context, sprite: nil, options: .init())
        }
    }

    @Test func aColdSpriteWithoutAnAgentServiceIsReadOnceNotWaitedOn() throws {
        let bench = try Bench(agentShowsAfter: .max)
        try bench.logs()
        #expect(bench.reads.value == 1)
        #expect(bench.slept.value == 0)
        #expect(bench.b.errors.contains("was cold; waking it"), "\(bench.b.errors)")
        #expect(bench.b.errors.contains("no agent runs in app-main"), "\(bench.b.errors)")
    }

    @Test func aColdSpriteWhoseAgentServiceStartsItIsWaitedOnUntilItShows() throws {
        let bench = try Bench(agentShowsAfter: 2)
        _ = try bench.b.fake.putService(
            "app-main", name: "agent", cmd: "sh", args: [], environment: [:], directory: nil)
        try bench.logs()
        #expect(bench.reads.value == 3)
        #expect(bench.slept.value == 1)
        #expect(!bench.b.errors.contains("no agent runs"), "\(bench.b.errors)")
    }

    @Test func aColdSpriteWhoseAgentNeverShowsIsWaitedOnFifteenSeconds() throws {
        let bench = try Bench(agentShowsAfter: .max)
        _ = try bench.b.fake.putService(
            "app-main", name: "agent", cmd: "sh", args: [], environment: [:], directory: nil)
        try bench.logs()
        #expect(bench.slept.value == 15)
        #expect(bench.b.errors.contains("no agent runs in app-main"), "\(bench.b.errors)")
    }
}
