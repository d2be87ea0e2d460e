import Foundation
import GitSpriteCore
import SpriteSync
import SpritesAPI
import TestSupport
import Testing

/// The decisions of `up` and `down`, in-process: real repositories and real git, an in-memory
/// Sprites API whose sprites are local directories (`FakeSprites`), no server and none of our
/// binaries. The end-to-end tests prove the real thing; these say what each use case decides.
@Suite("use cases in-process", .offThePool)
struct UseCaseTests {
    static func up(_ bench: Workbench, in dir: String, agent: Bool = false) throws -> UpResult {
        var options = UpOptions()
        options.noAgent = !agent
        return try UpWorkflow.run(bench.context(in: dir), options: options)
    }

    static func down(_ bench: Workbench, in dir: String, destroy: Bool = false, force: Bool = false) throws -> [String]
    {
        try DownWorkflow.run(bench.context(in: dir), sprite: nil, options: .init(destroy: destroy, force: force)).notes
    }

    static let head = "git -C workspace rev-parse HEAD"

    @Test func aFreshSpriteGetsExactlyTheLocalCode() throws {
        let b = try Workbench()
        let app = try b.repo()
        try b.write("README", "hello, changed\n", in: app)
        let result = try Self.up(b, in: app)
        #expect(result.created && result.spriteName == "app-main")
        #expect(result.repos.first?.method == "tunnel")
        #expect(result.repos.first?.notes.contains { $0.contains("goes through the tunnel (no remote)") } == true)
        #expect(try b.inSprite("app-main", Self.head) == (try b.git("rev-parse", "HEAD", in: app)))
        #expect(try b.inSprite("app-main", "git -C workspace status --porcelain") == "M README")
        #expect(b.fake.policies["app-main"] == [])
    }

    @Test func aRerunWithNothingNewShipsNothing() throws {
        let b = try Workbench()
        let app = try b.repo()
        _ = try Self.up(b, in: app)
        let before = b.fake.calls.count
        let again = try Self.up(b, in: app)
        let calls = b.fake.calls.dropFirst(before)
        #expect(!again.created)
        // one command in the sprite: the lock's, which also looks at the code once it holds it
        #expect(calls.filter { $0.hasPrefix("run ") } == ["run app-main git-sprite-lock"], "\(calls)")
        #expect(again.repos.first?.notes.isEmpty == true)
    }

    @Test func newCommitsArePushedOnTheNextRun() throws {
        let b = try Workbench()
        let app = try b.repo()
        _ = try Self.up(b, in: app)
        try b.commit("new.txt", "new\n", in: app)
        _ = try Self.up(b, in: app)
        #expect(try b.inSprite("app-main", Self.head) == (try b.git("rev-parse", "HEAD", in: app)))
    }

    /// A repository shipped once, then a commit in the sprite and another here: its branch
    /// has moved on both sides. Returns the repository's path.
    /// A re-run asks for the sprite's lock while it looks the sprite up, so over a real network
    /// the lock costs no round trip of its own: the lock's command is on its way before the
    /// lookup has answered (the lookup here waits for it, at most five seconds).
    @Test func aRerunAsksForTheLockWhileItLooksTheSpriteUp() throws {
        let b = try Workbench()
        let app = try b.repo()
        _ = try Self.up(b, in: app)
        try b.commit("new.txt", "new\n", in: app)
        let before = b.fake.calls.count
        let overlapped = Locked(false)
        b.fake.onGet = { [weak fake = b.fake] name in
            overlapped.set(
                eventually(seconds: 5) { fake?.calls.dropFirst(before).contains("run \(name) git-sprite-lock") == true }
            )
        }
        _ = try Self.up(b, in: app)
        let calls = b.fake.calls.dropFirst(before)
        #expect(overlapped.value, "\(calls)")
        #expect(calls.filter { $0.hasSuffix("git-sprite-lock") }.count == 1, "\(calls)")
        #expect(try b.inSprite("app-main", Self.head) == (try b.git("rev-parse", "HEAD", in: app)))
    }

    /// The lock asked for before the lookup has answered touches nothing until the sprite is
    /// found to be this repository's: a recorded name another repository's sprite now has gets
    /// no lock file, no git identity and no emptied staging from this run.
    @Test func aLockAskedForEarlyTouchesNothingInASpriteThatIsNotThisRepositorys() throws {
        let b = try Workbench()
        let app = try b.repo()
        _ = try Self.up(b, in: app)
        try b.fake.deleteSprite("app-main")
        var other = Sprite(name: "app-main")
        other.labels = ["git-sprite", "repo=other"]
        b.fake.add(other)
        #expect(throws: SpriteError.self) { try Self.up(b, in: app) }
        #expect(b.fake.calls.contains("run app-main git-sprite-lock"), "\(b.fake.calls)")
        let home = b.fake.local("app-main", SpritePaths.home)
        #expect(try FileManager.default.contentsOfDirectory(atPath: home) == [])
    }

    /// The lock asked for during the lookup, its stream lost after `go`: its command may still
    /// hold the lock in the sprite (the server has not seen the client go), so `up` fails with
    /// the lost stream instead of asking again and waiting for its own lock (five minutes).
    /// Here the command that holds on is started beside the lost stream, with `go`.
    @Test func aLockLostAfterGoIsNotAskedForAgain() throws {
        let b = try Workbench()
        let app = try b.repo()
        _ = try Self.up(b, in: app)
        try b.commit("new.txt", "new\n", in: app)
        let orphanInput = Pipe()
        let orphanSaid = Locked("")
        let locks = Locked(0)
        struct FellBack: Error {}
        b.fake.onExec = { [weak fake = b.fake] sprite, request, input in
            guard FakeSprites.shown(request.command) == InSpriteScript.lock.name,
                input !== orphanInput.fileHandleForReading
            else { return }
            guard
                locks.withLock({ n in
                    n += 1
                    return n
                }) == 1
            else { throw FellBack() }
            // the client's `go`, then a command of the same request that keeps the lock
            var heard = Data()
            while let input, !heard.starts(with: Data("go\n".utf8)) {
                let chunk = input.availableData
                if chunk.isEmpty { break }
                heard.append(chunk)
            }
            try orphanInput.fileHandleForWriting.write(contentsOf: Data("go\n".utf8))
            let fake = fake
            Thread {
                _ = try? fake?.exec(
                    sprite, ExecRequest(command: request.command, directory: request.directory, stdin: true),
                    input: orphanInput.fileHandleForReading, inputData: nil,
                    stdout: { data in orphanSaid.withLock { $0 += String(decoding: data, as: UTF8.self) } },
                    stderr: { _ in })
            }.start()
            #expect(eventually(seconds: 10) { orphanSaid.value.contains("locked") })
            throw APIError.streamLost(sessionID: nil, detail: "connection closed")
        }
        defer { try? orphanInput.fileHandleForWriting.close() }
        let error = #expect(throws: (any Error).self) { try Self.up(b, in: app) }
        #expect(!(error is FellBack) && locks.value == 1, "\(String(describing: error))")
    }

    /// The lock asked for during the lookup, refused before it ran (a sprite still waking
    /// answers 503): nothing can hold it, so it is asked for again the usual way, with retries.
    @Test func aLockRefusedBeforeItRanIsAskedForAgain() throws {
        let b = try Workbench()
        let app = try b.repo()
        _ = try Self.up(b, in: app)
        try b.commit("new.txt", "new\n", in: app)
        let locks = Locked(0)
        b.fake.onExec = { _, request, _ in
            guard FakeSprites.shown(request.command) == InSpriteScript.lock.name else { return }
            let n = locks.withLock { n in
                n += 1
                return n
            }
            if n == 1 {
                throw APIError.http(
                    HTTPFailure(status: 503, method: "GET", path: "/v1/sprites/app-main/exec", message: "waking"))
            }
        }
        _ = try Self.up(b, in: app)
        #expect(locks.value == 2)
        #expect(try b.inSprite("app-main", Self.head) == (try b.git("rev-parse", "HEAD", in: app)))
    }

    /// `up` records the root it found for the branch's HEAD, and a later run walks only to
    /// that commit: an answer only that record can give (a root that is not this history's)
    /// becomes the sprite's identity and is refused; a malformed record is ignored.
    @Test func theRootFoundIsRecordedAndALaterRunWalksOnlyToIt() throws {
        let b = try Workbench()
        let app = try b.repo()
        let root = try b.git("rev-list", "--max-parents=0", "HEAD", in: app)
        _ = try Self.up(b, in: app)
        let head = try b.git("rev-parse", "HEAD", in: app)
        #expect(try b.git("config", "branch.main.spriteRoot", in: app) == "\(head) \(root)")
        try b.commit("new.txt", "new\n", in: app)
        _ = try Self.up(b, in: app)
        let moved = try b.git("rev-parse", "HEAD", in: app)
        #expect(try b.git("config", "branch.main.spriteRoot", in: app) == "\(moved) \(root)")
        // a record only a walk that stops at it could take for the root
        let other = String(repeating: "e", count: 40)
        try b.git("config", "branch.main.spriteRoot", "\(moved) \(other)", in: app)
        let refused = #expect(throws: SpriteError.self) { try Self.up(b, in: app) }
        #expect(refused?.message.contains("is taken by a sprite that is not this repository's") == true)
        try b.git("config", "branch.main.spriteRoot", "\(moved) not-an-id", in: app)
        #expect(try Self.up(b, in: app).spriteName == "app-main")
    }

    static func diverged(_ b: Workbench) throws -> String {
        let app = try b.repo()
        _ = try Self.up(b, in: app)
        _ = try b.inSprite(
            "app-main", "cd workspace && echo agent > agent.txt && git add . && git commit -qm 'agent work'")
        try b.commit("mine.txt", "mine\n", in: app)
        return app
    }

    @Test func aSpriteBranchThatMovedOnComesHomeForYouToReconcile() throws {
        let b = try Workbench()
        let app = try Self.diverged(b)
        let result = try Self.up(b, in: app)
        let notes = result.repos.first?.notes ?? []
        #expect(notes.contains { $0.contains("the sprite's main has commits you do not have") }, "\(notes)")
        #expect(
            try b.git("rev-parse", "refs/remotes/sprite/app-main/main", in: app)
                == (try b.inSprite("app-main", Self.head)))
    }

    /// The same with a lock a stopped git left on `refs/remotes/sprite/app-main/main`: the
    /// fetch of the sprite's commits would fail on it at every run; it is removed and said.
    @Test func aStaleLockDoesNotStopTheSpritesCommitsComingHomeForYouToReconcile() throws {
        let b = try Workbench()
        let app = try Self.diverged(b)
        let dir = app + "/.git/refs/remotes/sprite/app-main"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        FileManager.default.createFile(atPath: dir + "/main.lock", contents: Data())
        try FileManager.default.setAttributes(
            [.modificationDate: Date().addingTimeInterval(-120)], ofItemAtPath: dir + "/main.lock")
        let result = try Self.up(b, in: app)
        let notes = result.repos.first?.notes ?? []
        #expect(notes.contains { $0.contains("has commits you do not have") }, "\(notes)")
        #expect(notes.contains { $0.contains("removed a lock a stopped git had left") }, "\(notes)")
        #expect(
            try b.git("rev-parse", "refs/remotes/sprite/app-main/main", in: app)
                == (try b.inSprite("app-main", Self.head)))
        #expect(!FileManager.default.fileExists(atPath: dir + "/main.lock"))
    }

    /// The agent edited a file and the user switched to a branch named like a file: the
    /// re-run must neither restore that file nor move the sprite's HEAD under its changes.
    @Test func theSpritesUncommittedWorkIsNeverOverwrittenByUp() throws {
        let b = try Workbench()
        let app = try b.repo()
        try b.commit("docs", "the docs\n", in: app)
        var options = UpOptions()
        options.noAgent = true
        options.name = "box"
        _ = try UpWorkflow.run(b.context(in: app), options: options)
        _ = try b.inSprite("box", "echo AGENT-WORK >> workspace/docs")
        try b.git("checkout", "-q", "-b", "docs", in: app)
        try b.git("commit", "-q", "--allow-empty", "-m", "x", in: app)
        let result = try UpWorkflow.run(b.context(in: app), options: options)
        #expect(try b.inSprite("box", "cat workspace/docs") == "the docs\nAGENT-WORK")
        #expect(try b.inSprite("box", "git -C workspace symbolic-ref --short HEAD") == "main")
        let notes = result.repos.first?.notes ?? []
        #expect(
            notes.contains {
                $0.contains("left as it is: the sprite has uncommitted changes in /home/sprite/workspace")
            },
            "\(notes)")
    }

    /// Two runs at once: this one created the sprite, but the other (which found it) took the
    /// lock first and shipped. This run must look at what is there, not assume an empty sprite.
    @Test func aSpriteThisRunCreatedButAnotherShippedFirstIsLookedAt() throws {
        let b = try Workbench()
        let app = try b.repo()
        try b.write("README", "hello, changed\n", in: app)
        let other = Locked(false)
        b.fake.onRun = { _, argv in
            guard argv.count > 3, argv[3] == InSpriteScript.lock.name, !other.value else { return nil }
            other.set(true)
            // the other run, while this one waits for the lock
            _ = try? Self.up(b, in: app)
            return nil
        }
        let result = try Self.up(b, in: app)
        #expect(other.value && result.created)
        #expect(try b.inSprite("app-main", Self.head) == (try b.git("rev-parse", "HEAD", in: app)))
        #expect(try b.inSprite("app-main", "git -C workspace status --porcelain") == "M README")
    }

    @Test func aCloneTheSpriteCannotDoFallsBackToTheTunnel() throws {
        let b = try Workbench()
        let app = try b.repo()
        // a remote the plan would clone from (a local path would go through the tunnel anyway)
        try b.git("remote", "add", "origin", "https://example.invalid/acme/app.git", in: app)
        try b.git("update-ref", "refs/remotes/origin/main", "HEAD", in: app)
        b.fake.onRun = { _, argv in
            argv.count > 3 && argv[3] == InSpriteScript.clone.name ? (1, Data(), Data("fatal: unreachable".utf8)) : nil
        }
        let result = try Self.up(b, in: app)
        #expect(result.repos.first?.method == "tunnel")
        #expect(
            result.repos.first?.notes.contains {
                $0.contains("in the sprite failed; the whole branch goes through the tunnel")
            } == true)
        #expect(try b.inSprite("app-main", Self.head) == (try b.git("rev-parse", "HEAD", in: app)))
    }

    /// A 400 on create is not "it exists": what exists is looked up. A service that refuses the
    /// resources (they are "not configurable yet") gets a sprite of its own size; any other
    /// refusal stops `up` with the service's words.
    @Test func aRefusedCreateIsNeverTakenForAnExistingSprite() throws {
        let b = try Workbench()
        let app = try b.repo()
        b.fake.refusesResources = true
        let result = try Self.up(b, in: app)
        #expect(result.created && result.spriteName == "app-main")
        #expect(b.fake.calls.filter { $0 == "create app-main" }.count == 2, "\(b.fake.calls)")
        #expect(try b.inSprite("app-main", Self.head) == (try b.git("rev-parse", "HEAD", in: app)))

        let other = try Workbench()
        let repo = try other.repo()
        other.fake.createRefusal = HTTPFailure(
            status: 400, method: "POST", path: "/v1/sprites",
            message: "invalid wait_for_capacity parameter")
        #expect { try Self.up(other, in: repo) } throws: { error in
            "\(error)".contains("invalid wait_for_capacity parameter")
        }
        #expect(try other.fake.getSprite("app-main") == nil)
    }

    @Test func aPolicyTheAPIRefusesStopsUp() throws {
        let b = try Workbench()
        let app = try b.repo()
        b.fake.policyFailure = APIError.malformed("the policy was refused")
        #expect(throws: SpriteError.self) { try Self.up(b, in: app) }
    }

    @Test func anAgentThatExitsAtOnceIsReportedWithItsLastOutput() throws {
        let b = try Workbench()
        let app = try b.repo()
        try b.git("config", "sprite.agent.command", "my-agent", in: app)
        try b.git("config", "sprite.image.installClaude", "false", in: app)
        b.fake.agentFailure = "exit status 3\nboom from the agent\n"
        b.fake.onRun = { _, argv in argv.first == "tmux" ? (1, Data(), Data()) : nil }
        do {
            _ = try Self.up(b, in: app, agent: true)
            Issue.record("an agent that exits at once must fail up")
        } catch let error as SpriteError {
            #expect(error.message.contains("exited at once (exit status 3)"), "\(error.message)")
            #expect(error.hints.contains { $0.contains("boom from the agent") })
        }
        #expect(b.fake.calls.contains("stop app-main agent"))
    }

    @Test func aCleanDownParksTheSprite() throws {
        let b = try Workbench()
        let app = try b.repo()
        _ = try Self.up(b, in: app)
        b.fake.onRun = { _, argv in argv.first == "tmux" ? (0, Data(), Data()) : nil }
        let notes = try Self.down(b, in: app)
        #expect(notes.last?.contains("app-main is parked") == true, "\(notes)")
        #expect(b.fake.calls.contains("unservice app-main agent"))
        #expect(try b.fake.getSprite("app-main") != nil)
    }

    @Test func theSpritesCommitsComeHomeBeforeItIsDestroyed() throws {
        let b = try Workbench()
        let app = try b.repo()
        _ = try Self.up(b, in: app)
        _ = try b.inSprite(
            "app-main", "cd workspace && echo agent > agent.txt && git add . && git commit -qm 'agent work'")
        let agentHead = try b.inSprite("app-main", Self.head)
        b.fake.onRun = { _, argv in argv.first == "tmux" ? (0, Data(), Data()) : nil }
        let notes = try Self.down(b, in: app, destroy: true)
        #expect(notes.contains { $0.contains("fetched sprite/app-main/main, 1 commit you do not have") }, "\(notes)")
        #expect(try b.git("rev-parse", "refs/remotes/sprite/app-main/main", in: app) == agentHead)
        #expect(try b.fake.getSprite("app-main") == nil)
    }

    @Test func uncommittedWorkInTheSpriteStopsADestroy() throws {
        let b = try Workbench()
        let app = try b.repo()
        _ = try Self.up(b, in: app)
        _ = try b.inSprite("app-main", "echo unsaved >> workspace/README")
        b.fake.onRun = { _, argv in argv.first == "tmux" ? (0, Data(), Data()) : nil }
        do {
            _ = try Self.down(b, in: app, destroy: true)
            Issue.record("uncommitted work must stop --destroy")
        } catch let error as SpriteError {
            #expect(
                error.hints.contains { $0.contains("uncommitted changes in /home/sprite/workspace") }, "\(error.hints)")
        }
        #expect(try b.fake.getSprite("app-main") != nil)
        #expect(try Self.down(b, in: app, destroy: true, force: true).last == "destroyed app-main")
    }

    /// Whose sprite it is is settled before anything of it is touched: a sprite another
    /// repository made keeps its agent running when destroying it is refused.
    @Test func aSpriteOfAnotherRepositoryIsNotTouchedWhenDestroyingItIsRefused() throws {
        let b = try Workbench()
        let app = try b.repo()
        var other = Sprite(name: "app-main")
        other.labels = ["git-sprite", "repo=other"]
        b.fake.add(other)
        #expect(throws: SpriteError.self) { try Self.down(b, in: app, destroy: true) }
        #expect(!b.fake.calls.contains { $0.hasPrefix("unservice") || $0.hasPrefix("run") }, "\(b.fake.calls)")
        #expect(try b.fake.getSprite("app-main") != nil)
    }

    /// Two unrelated repositories called app: the same folded name, different histories. The
    /// second neither resumes nor destroys the first one's sprite: it gets one of its own.
    @Test func anUnrelatedRepositoryOfTheSameNameCannotTakeOverOrDestroyTheSprite() throws {
        let b = try Workbench()
        let app = try b.repo()
        _ = try Self.up(b, in: app)
        let twin = try b.repo("elsewhere/app")
        try b.git("commit", "-q", "--amend", "-m", "another project", in: twin)
        #expect(
            try b.git("rev-list", "--max-parents=0", "HEAD", in: twin)
                != (try b.git("rev-list", "--max-parents=0", "HEAD", in: app)))
        let own = try Self.up(b, in: twin).spriteName
        #expect(own.range(of: "^app-main-[0-9a-f]{8}$", options: .regularExpression) != nil, "\(own)")
        #expect(try Self.down(b, in: twin, destroy: true).last == "destroyed \(own)")
        #expect(try b.fake.getSprite("app-main") != nil)
        // a clone of the first shares its history, and so its sprites
        let clone = b.path("clone/app")
        _ = try b.git("clone", "-q", app, clone, in: b.root)
        b.fake.onRun = { _, argv in argv.first == "tmux" ? (0, Data(), Data()) : nil }
        #expect(try Self.down(b, in: clone, destroy: true).last == "destroyed app-main")
    }
}
