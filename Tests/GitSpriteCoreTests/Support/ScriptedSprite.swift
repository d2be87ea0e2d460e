import Foundation
import GitSpriteCore
import SpriteSync
import SpritesAPI

/// A sprite `up` made (without an agent) in a fresh `Workbench`, whose in-sprite script named
/// `script` is answered by `answer(n)` for its `n`th run (from 1), and a context for a command
/// in its repository on a clock whose time passes only when the command sleeps: a test counts
/// the runs and the time slept exactly, without waiting.
final class ScriptedSprite {
    let b: Workbench
    let app: String
    /// How often the script ran.
    let runs = Locked(0)
    /// How long the command slept, in all.
    let slept = Locked<TimeInterval>(0)

    init(script: String, answer: @escaping @Sendable (Int) -> (status: Int32, stdout: String, stderr: String)) throws {
        b = try Workbench()
        app = try b.repo()
        var options = UpOptions()
        options.noAgent = true
        _ = try UpWorkflow.run(b.context(in: app), options: options)
        let runs = self.runs
        b.fake.onRun = { _, argv in
            // a script is `sh -c TEXT NAME ARGS…`
            guard argv.count > 3, argv[3] == script else { return nil }
            let n = runs.withLock { count in
                count += 1
                return count
            }
            let (status, stdout, stderr) = answer(n)
            return (status, Data(stdout.utf8), Data(stderr.utf8))
        }
    }

    /// A context in the repository, on the counting clock.
    var context: Context {
        var context = b.context(in: app)
        let (start, slept) = (Date(), self.slept)
        context.clock = Clock(
            now: { start.addingTimeInterval(slept.value) }, sleep: { d in slept.withLock { $0 += d } })
        return context
    }
}
