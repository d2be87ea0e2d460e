import Foundation
import GitSpriteCore
import SpriteSync
import SpritesAPI
import TestSupport
import Testing

/// The fault matrix in-process (docs/reliability.md): for each command, every API call it makes
/// fails in turn in each way the client reports a failure once its retries are spent
/// (`FaultySprites.Kind`). The command either succeeds or fails with a clear one-line error; a
/// re-run without the fault converges; and nothing is lost or duplicated: one sprite, the local
/// refs and work tree as they were, the sprite's work at home or still in the sprite.
///
/// The retries themselves, and the faults only a wire has (a stall, a host restarted under a
/// call, a stream cut before its exit frame), are the live matrix's (`FaultMatrixTests` in the
/// end-to-end target), one command per fault kind against a running host.
@Suite("fault matrix in-process", .offThePool)
struct InProcessFaultMatrixTests {
    enum Command: String, CaseIterable, Sendable {
        /// A first `up`: the sprite is deleted before each case.
        case up
        /// `up` again with a new local commit.
        case rerun
        /// `down` (park) with a new commit of the agent's to fetch.
        case down
        /// `down --destroy` with a new commit of the agent's to fetch.
        case destroy
        /// `fetch` with a new commit of the agent's to bring home.
        case fetch
    }

    /// A repository with a commit, a change and an untracked file; a fake API behind the faults.
    final class Bench {
        let b: Workbench
        let faulty: FaultySprites
        let command: Command
        let app: String
        var agentCommits = 0

        init(_ command: Command) throws {
            b = try Workbench()
            faulty = FaultySprites(b.fake)
            self.command = command
            app = try b.repo()
            try b.write("README", "hello, changed\n", in: app)
            try b.write("scratch/new.txt", "new\n", in: app)
            // the fake's sprites have no tmux: the agent's session is gone already
            b.fake.onRun = { _, argv in argv.first == "tmux" ? (0, Data(), Data()) : nil }
        }

        var context: Context { b.context(in: app, connection: faulty.connection()) }

        /// Puts things as the command expects them before one run; the calls are counted from
        /// its end, with no fault aimed.
        func prepare() throws {
            faulty.aim(nil)
            defer { faulty.aim(nil) }
            switch command {
            case .up:
                if try b.fake.getSprite("app-main") != nil { try b.fake.deleteSprite("app-main") }
            case .rerun:
                if try b.fake.getSprite("app-main") == nil { try run() }
                // a new commit of one file; the change and the untracked file stay as they are
                let file = "rerun-\(UUID().uuidString.prefix(8)).txt"
                try b.write(file, "x\n", in: app)
                try b.git("add", "--", file, in: app)
                try b.git("commit", "-q", "-m", "more", in: app)
            case .down, .destroy, .fetch:
                if try b.fake.getSprite("app-main") == nil {
                    var options = UpOptions()
                    options.noAgent = true
                    _ = try UpWorkflow.run(context, options: options)
                }
                agentCommits += 1
                _ = try b.inSprite(
                    "app-main",
                    "cd workspace && echo \(agentCommits) > agent-\(agentCommits).txt && git add -A && "
                        + "git -c user.name=a -c user.email=a@example.com commit -qm 'agent \(agentCommits)'")
            }
        }

        /// Runs the command as its CLI does; a fetch that could not bring something home fails.
        func run() throws {
            switch command {
            case .up, .rerun:
                var options = UpOptions()
                options.noAgent = true
                _ = try UpWorkflow.run(context, options: options)
            case .down:
                _ = try DownWorkflow.run(context, sprite: nil, options: .init(destroy: false, force: false))
            case .destroy:
                _ = try DownWorkflow.run(context, sprite: nil, options: .init(destroy: true, force: false))
            case .fetch:
                let result = try FetchWorkflow.run(context, sprite: nil, all: false)
                if result.failed {
                    // as the CLI says it, after the notes
                    throw SpriteError(
                        "some of the sprite's work could not be fetched: \(result.notes.joined(separator: "; "))",
                        hints: ["run it again; add -v to see each request"])
                }
            }
        }

        /// What the user has that no command may change: the work tree and the refs other than
        /// the ones a sprite's work is fetched into.
        func localState() throws -> String {
            let status = try b.git("status", "--porcelain", "--untracked-files=all", in: app)
            let refs = try b.git("for-each-ref", "--format=%(refname) %(objectname)", in: app)
                .split(separator: "\n").filter {
                    !$0.hasPrefix("refs/remotes/sprite/") && !$0.hasPrefix("refs/sprite/")
                }
            return status + "\n" + refs.joined(separator: "\n")
        }

        /// After the re-run: the command's promise holds.
        func converged() throws -> [String] {
            var problems: [String] = []
            let sprites = try b.fake.listSprites().map(\.name)
            switch command {
            case .up, .rerun:
                if sprites != ["app-main"] { problems.append("sprites \(sprites)") }
                if try b.inSprite("app-main", "git -C workspace rev-parse HEAD")
                    != (try b.git("rev-parse", "HEAD", in: app))
                {
                    problems.append("workspace HEAD differs")
                }
                let changes = try b.inSprite("app-main", "git -C workspace status --porcelain --untracked-files=all")
                let local = try b.git("status", "--porcelain", "--untracked-files=all", in: app)
                if changes != local { problems.append("workspace changes: \(changes), here: \(local)") }
            case .down, .destroy, .fetch:
                let home = try b.git("log", "-1", "--format=%s", "refs/remotes/sprite/app-main/main", in: app)
                if home != "agent \(agentCommits)" { problems.append("the agent's commit is not home: \(home)") }
                if command == .destroy && !sprites.isEmpty { problems.append("sprites \(sprites)") }
                if command != .destroy && sprites != ["app-main"] { problems.append("sprites \(sprites)") }
            }
            return problems
        }
    }

    @Test(arguments: Command.allCases)
    func everyCallUnderEveryFaultFailsClearlyOrSucceedsAndConverges(_ command: Command) throws {
        let bench = try Bench(command)
        try bench.prepare()
        try bench.run()
        let calls = bench.faulty.calls
        #expect(!calls.isEmpty)
        var ran = 0, succeeded = 0, failedClearly = 0
        for kind in FaultySprites.Kind.allCases {
            for call in calls {
                let what = "\(call) \(kind.rawValue)"
                try bench.prepare()
                let before = try bench.localState()
                bench.faulty.aim((call, kind))
                do {
                    try bench.run()
                    succeeded += 1
                } catch let error as SpriteError {
                    #expect(
                        !error.message.isEmpty && !error.message.contains("\n") && !error.hints.isEmpty,
                        "\(what): not a clear failure: \(error.message) \(error.hints)")
                    failedClearly += 1
                } catch {
                    Issue.record("\(what): not a clear failure (the CLI would say 'unexpected failure'): \(error)")
                }
                #expect(bench.faulty.fired, "\(what): a clean run's call was not made again")
                bench.faulty.aim(nil)
                // a destroy that went through leaves nothing to run again
                let gone = try bench.b.fake.getSprite("app-main") == nil
                if !(command == .destroy && gone) {
                    do { try bench.run() } catch { Issue.record("\(what): the re-run failed: \(error)") }
                }
                let problems = try bench.converged()
                #expect(problems.isEmpty, "\(what): \(problems)")
                #expect(try bench.localState() == before, "\(what): the local refs or work tree changed")
                ran += 1
            }
        }
        print(
            "fault matrix in-process \(command.rawValue): \(ran) cases over \(calls.count) calls: "
                + "\(succeeded) succeeded, \(failedClearly) failed clearly")
    }
}
