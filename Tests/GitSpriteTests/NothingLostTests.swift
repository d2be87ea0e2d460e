import Foundation
import GitSpriteCore
import SpritesAPI
import TestSupport
import Testing

/// A repository with a sprite of its own, the agent played by commands run in the sprite.
private struct Bench {
    let s: Sandbox
    let host: LocalHost
    let app: String
    let env: [String: String]

    init(files: [String: String] = [:], up: Bool = true) throws {
        s = try Sandbox()
        app = try s.makeRepo("app")
        for (file, text) in files { try s.commit(file, text, message: "add \(file)", in: app) }
        host = try LocalHost(root: s.path("host"))
        env = ["SPRITES_TOKEN": host.token, "SPRITES_API_URL": host.url]
        try s.git("config", "sprite.agent.command", "sleep 100000", in: app)
        try s.git("config", "sprite.network.defaultPolicy", "block-all", in: app)
        if up { try self.up() }
    }

    func up(_ args: [String] = []) throws {
        let r = try sprite(["up"] + args)
        #expect(r.status == 0, "\(r.stderr)")
    }

    func sprite(_ args: [String], extra: [String: String] = [:]) throws -> RunResult {
        try s.sprite(args, in: app, env: env.merging(extra) { $1 })
    }

    /// Runs a shell command in the sprite's workspace, as the agent would, and requires success.
    @discardableResult
    func agent(_ command: String) throws -> String {
        let r = try host.client().run("app-main", ["sh", "-c", command], directory: SpritePaths.workspace)
        let out = String(decoding: r.stdout, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(r.status == 0, "\(command): \(out) \(String(decoding: r.stderr, as: UTF8.self))")
        return out
    }

    func git(_ args: String...) throws -> String {
        try s.run("git", args, in: app).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Whether a ref here points at `object` or reaches it.
    func reachable(_ object: String) throws -> Bool {
        try s.run("git", ["for-each-ref", "--contains", object, "--format=%(refname)"], in: app).stdout.isEmpty == false
            || !(try git("for-each-ref", "--points-at", object, "--format=%(refname)")).isEmpty
    }

    /// Objects git fsck calls unreachable from refs alone (reflogs not counted).
    func unreachable() throws -> String {
        try s.run("git", ["fsck", "--unreachable", "--no-reflogs", "--no-progress"], in: app).stdout
    }
}

@Suite("nothing the agent makes slips away", .ownThread)
struct NothingLostTests {
    @Test func theAgentCommitsWithYourIdentityAndPlanSaysWhichOneItIs() throws {
        let b = try Bench(up: false)
        let plan = try b.sprite(["plan"])
        #expect(
            plan.stdout.contains("commits as Test Author <author@example.com> (GIT_AUTHOR_EMAIL, GIT_AUTHOR_NAME)"),
            "\(plan.stdout)")
        try b.up()
        try b.agent("echo work > agent.txt && git add agent.txt && git commit -qm 'agent work'")
        #expect(
            try b.agent("git log -1 --format='%an <%ae>|%cn <%ce>'")
                == "Test Author <author@example.com>|Test Author <author@example.com>")
        // the hint down prints works as written
        try b.agent("echo more >> agent.txt")
        #expect(try b.sprite(["exec", "--", "git", "commit", "-am", "wip"]).status == 0)

        // a setting of its own wins, and plan says so
        try b.s.git("config", "sprite.git.userName", "Agent of Test", in: b.app)
        try b.s.git("config", "sprite.git.userEmail", "agent@example.com", in: b.app)
        #expect(try b.sprite(["plan", "--json"]).json()[path: "identity.name"] as? String == "Agent of Test")
        try b.up()
        try b.agent("git commit -q --allow-empty -m again")
        #expect(try b.agent("git log -1 --format='%an <%ae>'") == "Agent of Test <agent@example.com>")

        // nobody to be: up says so, and how to fix it
        let nobody = try Bench(up: false)
        let r = try nobody.s.sprite(
            ["up", "--no-agent"], in: nobody.app, env: nobody.env,
            unset: ["GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL", "EMAIL"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.contains("warning: no git identity for the agent's commits"), "\(r.stderr)")
        #expect(r.stderr.contains("git config --global user.name"), "\(r.stderr)")
    }

    /// A lock a git left behind on a ref of the sprite's here (killed while it held it) no
    /// longer fails every fetch from then on: a lock older than a minute is removed, and said so.
    @Test func aStaleLockOnASpriteRefDoesNotStopItsWorkComingHome() throws {
        let b = try Bench()
        try b.agent("echo work > work.txt && git add work.txt && git commit -qm work")
        let lock = b.app + "/.git/refs/remotes/sprite/app-main/main.lock"
        try FileManager.default.createDirectory(
            atPath: (lock as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        #expect(FileManager.default.createFile(atPath: lock, contents: Data()))
        try FileManager.default.setAttributes([.modificationDate: Date().addingTimeInterval(-120)], ofItemAtPath: lock)
        let fetch = try b.sprite(["fetch"])
        #expect(fetch.status == 0, "\(fetch.stderr)")
        #expect(fetch.stderr.contains("removed a lock a stopped git had left on refs/remotes/sprite/app-main/main"))
        #expect(!FileManager.default.fileExists(atPath: lock))
        #expect(try b.git("log", "-1", "--format=%s", "refs/remotes/sprite/app-main/main") == "work")
    }

    /// Monday's sprite made a stash; Tuesday's sprite of the same branch makes another. The
    /// home ref moves to Tuesday's, and Monday's stays reachable from a ref of its own.
    @Test func aNewSpritesStashNeverTakesAnOldOnesPlace() throws {
        let b = try Bench()
        try b.agent("echo monday > file.txt && git stash -q")
        #expect(try b.sprite(["fetch"]).status == 0)
        let monday = try b.git("rev-parse", "refs/sprite/app-main/stash/0")
        let destroyed = try b.sprite(["down", "--destroy"])
        #expect(destroyed.status == 0, "\(destroyed.stderr)")

        try b.up()
        try b.agent("echo tuesday > file.txt && git stash -q")
        let fetch = try b.sprite(["fetch"])
        #expect(fetch.status == 0, "\(fetch.stderr)")
        let tuesday = try b.git("rev-parse", "refs/sprite/app-main/stash/0")
        #expect(tuesday != monday)
        #expect(
            fetch.stderr.contains("refs/sprite/app-main/stash/0 moved to a value that does not contain its old"),
            "\(fetch.stderr)")
        let kept = try b.git(
            "for-each-ref", "--points-at", monday, "--format=%(refname)", "refs/sprite/app-main/superseded/")
        #expect(kept.hasSuffix("/stash/0"), "\(kept)")
        #expect(try b.git("stash", "list").isEmpty, "your own stash is untouched")
        #expect(try b.sprite(["down", "--destroy"]).status == 0)
        let loose = try b.unreachable()
        #expect(!loose.contains(monday) && !loose.contains(tuesday), "\(loose)")
        // every update left a reflog too
        #expect(
            try b.s.run("git", ["log", "-g", "--format=%H", "refs/sprite/app-main/stash/0"], in: b.app).stdout.contains(
                monday))
    }

    /// After a restore to an older checkpoint the sprite's refs go back; the home refs keep
    /// what came after, and nothing of it is unreachable after the sprite is gone.
    @Test func aRestoreDoesNotMakeHomeRefsForgetWhatCameAfterTheCheckpoint() throws {
        let b = try Bench()
        #expect(try b.sprite(["checkpoint", "-m", "before"]).status == 0)
        try b.agent(
            "echo b > b.txt && git add b.txt && git commit -qm B && git tag -a vB -m 'tag B' "
                + "&& echo s > file.txt && git stash -q")
        #expect(try b.sprite(["fetch"]).status == 0)
        let commitB = try b.git("rev-parse", "sprite/app-main/main")
        let tag = try b.git("rev-parse", "refs/sprite/app-main/tags/vB")
        let stash = try b.git("rev-parse", "refs/sprite/app-main/stash/0")
        let restore = try b.sprite(["restore", "v0"])
        #expect(restore.status == 0, "\(restore.stderr)")
        #expect(try b.sprite(["fetch"]).status == 0)
        #expect(try b.git("rev-parse", "sprite/app-main/main") != commitB, "the branch follows the sprite")
        #expect(try b.sprite(["down", "--destroy"]).status == 0)
        let loose = try b.unreachable()
        for object in [commitB, tag, stash] {
            #expect(try b.reachable(object), "\(object) is in no ref")
            #expect(!loose.contains(object), "\(object) is unreachable: \(loose)")
        }
    }

    /// Refs git's branch view does not show: a detached linked worktree's commit, notes, a
    /// namespace of the agent's own. They come home under refs/sprite/<sprite>/.
    @Test func worktreesNotesAndRefsOfAnyNamespaceComeHome() throws {
        let b = try Bench()
        try b.agent(
            "git worktree add -q --detach /home/sprite/wt && cd /home/sprite/wt && echo w > w.txt && git add w.txt "
                + "&& git commit -qm 'on the worktree'")
        try b.agent("git notes add -m 'a note' HEAD")
        let custom = try b.agent(
            "git update-ref refs/custom/keep $(echo kept | git commit-tree HEAD^{tree} -p HEAD) "
                + "&& git rev-parse refs/custom/keep")
        let fetch = try b.sprite(["fetch"])
        #expect(fetch.status == 0, "\(fetch.stderr)")
        #expect(try b.git("log", "-1", "--format=%s", "refs/sprite/app-main/worktrees/wt/head") == "on the worktree")
        let head = try b.git("rev-parse", "HEAD")
        #expect(try b.git("show", "refs/sprite/app-main/notes/commits:" + head) == "a note")
        #expect(try b.git("rev-parse", "refs/sprite/app-main/refs/custom/keep") == custom)
        // uncommitted changes in a linked worktree block a destroy, by name
        try b.agent("echo dirty >> /home/sprite/wt/w.txt")
        let refused = try b.sprite(["down", "--destroy"])
        #expect(
            refused.status == 1
                && refused.stderr.contains("uncommitted changes in the linked worktree /home/sprite/wt"),
            "\(refused.stderr)")
        try b.agent("git -C /home/sprite/wt checkout -q -- w.txt")
        #expect(try b.sprite(["down", "--destroy"]).status == 0)
        #expect(try b.reachable(custom))
        #expect(!(try b.unreachable()).contains(custom))
    }

    /// A repository the agent made inside the workspace is not a submodule: nothing fetches
    /// it. Destroy refuses naming it, even once the workspace committed it as a gitlink, and
    /// a forced destroy saves it in a bundle of its own.
    @Test func aNestedRepositoryBlocksADestroyByNameAndIsSavedByForce() throws {
        let b = try Bench()
        let inner = try b.agent(
            "git init -q lib && cd lib && echo l > l.txt && git add l.txt && git commit -qm 'nested work' "
                + "&& git rev-parse HEAD")
        let refused = try b.sprite(["down", "--destroy"])
        #expect(refused.status == 1, "\(refused.stderr)")
        #expect(refused.stderr.contains("lib is a repository of its own inside the work tree"), "\(refused.stderr)")
        // following the hint (add and commit) records a gitlink to a commit that exists nowhere else
        try b.agent("git add -A 2>/dev/null; git commit -qm 'add lib'")
        let still = try b.sprite(["down", "--destroy"])
        #expect(still.status == 1 && still.stderr.contains("lib is a repository of its own"), "\(still.stderr)")
        let forced = try b.sprite(["down", "--destroy", "--force"])
        #expect(forced.status == 0, "\(forced.stderr)")
        let common = try b.git("rev-parse", "--git-common-dir")
        let dirs = try FileManager.default.contentsOfDirectory(atPath: b.app + "/" + common + "/sprite-salvage")
        let bundle = try #require(dirs.first.map { b.app + "/\(common)/sprite-salvage/\($0)/workspace-lib.bundle" })
        let heads = try b.s.run("git", ["bundle", "list-heads", bundle], in: b.app).stdout
        #expect(heads.contains(inner), "\(heads)")
    }

    /// Ctrl-C during a forced destroy's salvage, before its first bundle is written, leaves no
    /// empty `.git/sprite-salvage/<sprite>-<time>/` behind (an adversarial review, 4 runs in
    /// 16): the directory is made first, and nothing took it away. A host that holds the
    /// bundle's download holds the moment open. A `.git/sprite-salvage` that is a symlink to a
    /// store elsewhere stays, with what the store holds: the first fix unlinked the directories
    /// it had recorded, which takes a symlink away (a second review, 4 runs of 5).
    @Test(arguments: [false, true])
    func aSalvageCutShortLeavesNoEmptyDirectory(storeElsewhere: Bool) throws {
        let b = try Bench()
        try b.agent("echo unsaved > wip.txt")
        let common = try b.git("rev-parse", "--absolute-git-dir")
        let salvage = common + "/sprite-salvage"
        let store = b.s.path("store")
        if storeElsewhere {
            try b.s.write("old/earlier.bundle", "an earlier salvage\n", in: store)
            try FileManager.default.createSymbolicLink(atPath: salvage, withDestinationPath: store)
        }
        try b.host.faults(["rules": [["method": "GET", "path": "/fs/read", "stall_seconds": 3, "count": 1]]])
        let (down, exited) = try b.s.startSprite(
            ["down", "--destroy", "--force"], in: b.app, env: b.env, throughGit: false)
        let made = { ((try? FileManager.default.contentsOfDirectory(atPath: salvage)) ?? []).filter { $0 != "old" } }
        #expect(eventually(seconds: 30) { !made().isEmpty }, "no salvage directory was made")
        kill(down.processIdentifier, SIGINT)
        #expect(exited.wait(timeout: .now() + 30) == .success)
        #expect(down.endedByInterrupt, "\(down.ending)")
        if storeElsewhere {
            #expect((try? FileManager.default.destinationOfSymbolicLink(atPath: salvage)) == store, "the link went")
            #expect(
                try String(contentsOfFile: store + "/old/earlier.bundle", encoding: .utf8) == "an earlier salvage\n")
            #expect(made().isEmpty, "\(made())")
        } else {
            #expect(!FileManager.default.fileExists(atPath: salvage), "\(made())")
        }
        // and the sprite with its work is still there for the next run
        #expect(try b.host.client().getSprite("app-main") != nil)
    }

    /// The user's `.env`, shipped because `.spriteinclude` names it, is the user's: when the
    /// agent changes it the change comes home, and the next `up` does not overwrite it.
    @Test func aChangedIncludedFileComesHomeAndIsNotOverwritten() throws {
        let b = try Bench(files: [".gitignore": ".env\n", ".spriteinclude": ".env\n"], up: false)
        try b.s.write(".env", "TOKEN=mine\n", in: b.app)
        try b.up()
        #expect(try b.agent("cat .env") == "TOKEN=mine")
        try b.agent("echo 'TOKEN=the-agents' > .env")
        let fetch = try b.sprite(["fetch"])
        #expect(fetch.status == 0, "\(fetch.stderr)")
        #expect(fetch.stderr.contains("came home as refs/sprite/app-main/included"), "\(fetch.stderr)")
        #expect(try b.git("show", "refs/sprite/app-main/included:.env") == "TOKEN=the-agents")
        #expect(try String(contentsOfFile: b.app + "/.env", encoding: .utf8) == "TOKEN=mine\n", "yours is untouched")
        // a new local commit and up again: the sprite keeps its .env
        try b.s.commit("more.txt", "more\n", message: "more", in: b.app)
        try b.up()
        #expect(try b.agent("cat .env") == "TOKEN=the-agents")
        #expect(try b.sprite(["down", "--destroy"]).status == 0, "it is home, so nothing blocks")
    }

    /// A mode change is a change: `apply` applies it, and does not call it "already here".
    @Test func aModeOnlyChangeIsAppliedNotCalledAlreadyHere() throws {
        let b = try Bench(files: ["run.sh": "#!/bin/sh\necho run\n"])
        try b.agent("chmod +x run.sh")
        let apply = try b.sprite(["apply"])
        #expect(apply.status == 0, "\(apply.stderr)")
        #expect(apply.stderr.contains("applied the sprite's changes to 1 file: run.sh"), "\(apply.stderr)")
        #expect(FileManager.default.isExecutableFile(atPath: b.app + "/run.sh"))
        let again = try b.sprite(["apply"])
        #expect(again.stderr.contains("already in your work tree"), "\(again.stderr)")
        #expect(try b.sprite(["down", "--destroy"]).status == 0)
    }

    /// After `up` ships an untracked file and the agent commits something else, the only
    /// uncommitted file is yours, unchanged: destroy needs no --force, and loses nothing.
    @Test func aFileYouShippedIsNeverTheSpritesWork() throws {
        let b = try Bench(up: false)
        try b.s.write("notes/mine.txt", "mine\n", in: b.app)
        try b.up()
        try b.agent("echo x > x.txt && git add x.txt && git commit -qm 'agent: x'")
        let status = try b.sprite(["status", "--json"]).json()
        #expect(status[path: "sprites.0.uncommittedFiles"] as? Int == 0, "\(status)")
        let down = try b.sprite(["down", "--destroy"])
        #expect(down.status == 0, "\(down.stderr)")
        #expect(try b.git("log", "-1", "--format=%s", "sprite/app-main/main") == "agent: x")
        // but the agent's own change to a shipped file is its work
        let c = try Bench(up: false)
        try c.s.write("notes/mine.txt", "mine\n", in: c.app)
        try c.up()
        try c.agent("echo changed >> notes/mine.txt")
        let refused = try c.sprite(["down", "--destroy"])
        #expect(refused.status == 1 && refused.stderr.contains("1 file of its own"), "\(refused.stderr)")
    }

    /// A branch `foo` fetched earlier and replaced in the sprite by `foo/bar`: the fetch moves
    /// the old ref aside (kept) instead of failing forever.
    @Test func aBranchReplacedByADirectoryOfBranchesStillFetches() throws {
        let b = try Bench()
        try b.agent("git checkout -q -b foo && git commit -q --allow-empty -m on-foo && git checkout -q main")
        #expect(try b.sprite(["fetch"]).status == 0)
        let foo = try b.git("rev-parse", "sprite/app-main/foo")
        try b.agent("git branch -D foo && git branch foo/bar")
        let fetch = try b.sprite(["fetch"])
        #expect(fetch.status == 0, "\(fetch.stderr)")
        #expect(fetch.stderr.contains("was in the way of the sprite's new refs"), "\(fetch.stderr)")
        #expect(!(try b.git("rev-parse", "sprite/app-main/foo/bar")).isEmpty)
        #expect(try b.reachable(foo))
        #expect(try b.sprite(["fetch"]).status == 0, "and again")
    }

    /// What cannot come home by design is said before the sprite goes, and a forced destroy
    /// saves it when it is small.
    @Test func aDestroyListsWhatStaysBehindAndForceSavesItWhenSmall() throws {
        let b = try Bench(files: [".gitignore": "build/\n"])
        try b.agent("mkdir -p build empty && echo out > build/out.bin && echo n > /home/sprite/notes.txt")
        let down = try b.sprite(["down", "--destroy", "--force"])
        #expect(down.status == 0, "\(down.stderr)")
        #expect(down.stderr.contains("not coming home with the sprite"), "\(down.stderr)")
        #expect(down.stderr.contains("1 ignored file"), "\(down.stderr)")
        #expect(down.stderr.contains("notes.txt"), "\(down.stderr)")
        #expect(down.stderr.contains("1 empty directory"), "\(down.stderr)")
        let common = try b.git("rev-parse", "--git-common-dir")
        let dirs = try FileManager.default.contentsOfDirectory(atPath: b.app + "/" + common + "/sprite-salvage")
        let archive = try #require(dirs.first.map { b.app + "/\(common)/sprite-salvage/\($0)/leftovers.tar.gz" })
        let listed = try b.s.run("tar", ["-tzf", archive]).stdout
        #expect(
            listed.contains("home/sprite/workspace/build/out.bin") && listed.contains("home/sprite/notes.txt"),
            "\(listed)")
    }

    /// prune --merged judges a sprite on a fresh fetch: work the agent did after the last
    /// fetch keeps a merged-looking branch from being pruned.
    @Test func pruneMergedFetchesBeforeItJudges() throws {
        let b = try Bench(up: false)
        try b.s.git("checkout", "-q", "-b", "feature", in: b.app)
        try b.s.commit("f.txt", "f\n", message: "feature", in: b.app)
        let name = "app-feature"
        let up = try b.sprite(["up", "--name", name])
        #expect(up.status == 0, "\(up.stderr)")
        #expect(try b.sprite(["fetch", name]).status == 0)
        try b.s.git("checkout", "-q", "main", in: b.app)
        try b.s.git("merge", "-q", "--no-edit", "feature", in: b.app)
        // the agent goes on after that fetch
        _ = try b.host.client().run(
            name, ["sh", "-c", "echo more > more.txt && git add more.txt && git commit -qm more"],
            directory: SpritePaths.workspace)
        let prune = try b.sprite(["prune", "--merged", "main", "--yes"])
        #expect(prune.status == 0, "\(prune.stderr)")
        #expect(try b.host.client().getSprite(name) != nil, "not merged: \(prune.stdout) \(prune.stderr)")
    }
}

/// What `up` moves in the sprite, and what a destroy looks at, never leaves the sprite's work
/// where nothing reaches it (an adversarial review found each of these losing work silently).
@Suite("up and destroy leave nothing of the sprite's behind", .ownThread)
struct NothingLeftBehindTests {
    /// Commits the agent made on a detached HEAD are on no branch: a re-`up` that checked out
    /// your HEAD (or your branch) left them to the sprite's reflog, and a destroy took them.
    /// Now they come home and the sprite's HEAD stays; once what you ship contains them, `up`
    /// moves it as usual.
    @Test(arguments: [true, false])
    func aReUpNeverMovesADetachedHeadOffCommitsOnNoBranch(shippedDetached: Bool) throws {
        let b = try Bench(up: false)
        if shippedDetached { try b.s.git("checkout", "-q", "--detach", in: b.app) }
        try b.up(["--name", "app-main"])
        let theirs = try b.agent(
            (shippedDetached ? "" : "git checkout -q --detach && ")
                + "echo w > w.txt && git add w.txt && git commit -qm 'on no branch' && git rev-parse HEAD")
        let again = try b.sprite(["up", "--name", "app-main"])
        #expect(again.status == 0, "\(again.stderr)")
        #expect(again.stderr.contains("left as it is: the sprite's detached HEAD"), "\(again.stderr)")
        // and the last line does not say it shipped
        #expect((again.stdout + again.stderr).contains("left app-main as it was"), "\(again.stdout)")
        #expect(!(again.stdout + again.stderr).contains("shipped "), "\(again.stdout)")
        #expect(try b.agent("git rev-parse HEAD") == theirs, "the sprite's HEAD moved")
        #expect(try b.git("rev-parse", "refs/remotes/sprite/app-main/HEAD") == theirs)
        // taken in, with a commit of yours on top: now up moves the sprite to it
        if shippedDetached {
            try b.s.git("checkout", "-q", theirs, in: b.app)
        } else {
            try b.s.git("merge", "-q", "--ff-only", theirs, in: b.app)
        }
        try b.s.commit("mine.txt", "mine\n", message: "mine", in: b.app)
        let moved = try b.sprite(["up", "--name", "app-main"])
        #expect(moved.status == 0 && !moved.stderr.contains("left as it is"), "\(moved.stderr)")
        #expect(try b.agent("git rev-parse HEAD") == (try b.git("rev-parse", "HEAD")))
        if !shippedDetached { #expect(try b.agent("git symbolic-ref --short HEAD") == "main") }
    }

    /// What holds commits for that judgement is what lasts: a branch, a tag, a remote's
    /// branch, what `up` shipped. A fetch's view of the work tree (`refs/git-sprite/worktree`,
    /// which the next look deletes) and a stash the agent may pop made the commits look kept,
    /// and the next `up` moved HEAD off them (a review).
    @Test(arguments: ["fetched", "stashed"])
    func aFetchOrAStashDoesNotMakeDetachedCommitsKept(how: String) throws {
        let b = try Bench()
        let theirs = try b.agent(
            "git checkout -q --detach && echo w > w.txt && git add w.txt && git commit -qm 'on no branch' "
                + "&& git rev-parse HEAD"
                + (how == "stashed" ? " && echo s > s.txt && git add s.txt && git stash -q" : ""))
        if how == "fetched" { #expect(try b.sprite(["fetch"]).status == 0) }
        try b.s.commit("mine.txt", "mine\n", message: "mine", in: b.app)
        let again = try b.sprite(["up"])
        #expect(again.status == 0, "\(again.stderr)")
        #expect(again.stderr.contains("left as it is: the sprite's detached HEAD"), "\(again.stderr)")
        #expect(try b.agent("git rev-parse HEAD") == theirs, "the sprite's HEAD moved")
    }

    /// The same in a submodule, where a detached HEAD is the rule: `git submodule update` moved
    /// it to the commit you pin. And a submodule whose HEAD has no commits yet was taken for a
    /// clone cut short and removed whole, its branches and stash with it.
    /// (`pushed`: committed on its detached HEAD and pushed to its origin, which for a submodule
    /// that went through the tunnel is git-sprite's mirror in the sprite: that remote's branch
    /// made the commits look kept, and the re-`up` moved HEAD off them; an adversarial review)
    @Test(arguments: ["detached", "unborn", "uncommitted", "pushed"])
    func aReUpLeavesASubmoduleHoldingTheSpritesWorkAsItIs(kind: String) throws {
        let b = try Bench(up: false)
        let lib = try b.s.makeRepo("lib")
        try b.s.git("submodule", "add", "-q", lib, "lib", in: b.app)
        try b.s.git("commit", "-q", "-m", "lib", in: b.app)
        try b.up()
        let work: String
        switch kind {
        case "detached":
            work = try b.agent(
                "cd lib && echo w > w.txt && git add w.txt && git commit -qm 'in lib' && git rev-parse HEAD")
        case "unborn":
            work = try b.agent(
                "cd lib && git checkout -qb feature && echo f > f.txt && git add f.txt && git commit -qm 'in lib' "
                    + "&& git rev-parse HEAD && echo s > s.txt && git add s.txt && git stash -q "
                    + "&& git checkout -q --orphan redo")
        case "pushed":
            work = try b.agent(
                "cd lib && echo w > w.txt && git add w.txt && git commit -qm 'in lib' "
                    + "&& git push -q origin HEAD:refs/heads/fix && git rev-parse HEAD")
        default:
            work = try b.agent("cd lib && echo w >> README.md 2>/dev/null; echo w > w.txt; git rev-parse HEAD")
        }
        // you pin a new commit of lib: the sprite's lib would move to it
        try b.s.commit("more.txt", "more\n", message: "lib more", in: b.app + "/lib")
        try b.s.git("commit", "-q", "-am", "bump lib", in: b.app)
        let again = try b.sprite(["up"])
        #expect(again.status == 0, "\(again.stderr)")
        #expect(again.stderr.contains("submodule lib: left as it is"), "\(again.stderr)")
        switch kind {
        case "detached", "pushed":
            #expect(try b.agent("git -C lib rev-parse HEAD") == work)
            #expect(try b.s.git("rev-parse", "refs/remotes/sprite/app-main/HEAD", in: b.app + "/lib") == work)
        case "unborn":
            #expect(try b.agent("git -C lib rev-parse feature") == work)
            #expect(try b.agent("git -C lib stash list | wc -l") == "1")
        default:
            #expect(try b.agent("cat lib/w.txt") == "w")
        }
        // and a destroy still refuses over what cannot come home
        if !["detached", "pushed"].contains(kind) {
            #expect(try b.sprite(["down", "--destroy"]).status == 1)
        } else {
            let down = try b.sprite(["down", "--destroy"])
            #expect(down.status == 0, "\(down.stderr)")
            #expect(!(try b.s.git("branch", "-r", "--contains", work, in: b.app + "/lib")).isEmpty)
        }
    }

    /// A repository unlinked (or linked again under another name) stays in the sprite under
    /// repos/, where nothing fetches it: a destroy went ahead and took its commits, branches
    /// and files. It now refuses naming it, and a forced destroy saves it in a bundle.
    @Test func aDestroyRefusesOverARepositoryNoLongerLinked() throws {
        let b = try Bench(up: false)
        let tools = try b.s.makeRepo("tools")
        #expect(try b.sprite(["link", tools]).status == 0)
        try b.up()
        let work = try b.agent(
            "cd /home/sprite/repos/tools && git checkout -qb agent && echo w > w.txt && git add w.txt "
                + "&& git commit -qm 'in tools' && git rev-parse HEAD")
        #expect(try b.sprite(["unlink", "tools"]).status == 0)
        let refused = try b.sprite(["down", "--destroy"])
        #expect(refused.status == 1, "\(refused.stderr)")
        #expect(
            refused.stderr.contains("/home/sprite/repos/tools: a repository this one no longer links"),
            "\(refused.stderr)")
        let forced = try b.sprite(["down", "--destroy", "--force"])
        #expect(forced.status == 0, "\(forced.stderr)")
        let common = try b.git("rev-parse", "--absolute-git-dir")
        let dirs = try FileManager.default.contentsOfDirectory(atPath: common + "/sprite-salvage")
        let bundle = try #require(dirs.first.map { common + "/sprite-salvage/\($0)/repos-tools.bundle" })
        #expect(try b.s.run("git", ["bundle", "list-heads", bundle], in: b.app).stdout.contains(work))
    }

    /// A destroy when this repository's plan cannot be made (a linked repo moved away here):
    /// it refuses before the agent is stopped (it said so after stopping it), and with
    /// `--force` it saves every repository in the sprite, its submodules too: each is a
    /// repository of its own, which the bundle of the one around it does not hold, and only
    /// the top ones were saved (an adversarial review: the submodule's commit and file lost).
    @Test func aDestroyWithoutAPlanRefusesFirstAndSavesTheSubmodulesByForce() throws {
        let b = try Bench(up: false)
        let lib = try b.s.makeRepo("lib")
        try b.s.git("submodule", "add", "-q", lib, "lib", in: b.app)
        try b.s.git("commit", "-q", "-m", "lib", in: b.app)
        let tools = try b.s.makeRepo("tools")
        #expect(try b.sprite(["link", tools]).status == 0)
        try b.up()
        let work = try b.agent(
            "cd lib && echo w > w.txt && git add w.txt && git commit -qm 'in lib' && git rev-parse HEAD "
                + "&& echo dirt > dirt.txt")
        try FileManager.default.moveItem(atPath: tools, toPath: tools + ".moved")
        let refused = try b.sprite(["down", "--destroy"])
        #expect(refused.status == 1, "\(refused.stderr)")
        #expect(!refused.stderr.contains("the agent is stopped"), "\(refused.stderr)")
        #expect(
            try b.host.remote("tmux -S /home/sprite/.git-sprite/tmux.sock has-session -t =app-main && echo yes")
                == "yes")
        let forced = try b.sprite(["down", "--destroy", "--force"])
        #expect(forced.status == 0, "\(forced.stderr)")
        let common = try b.git("rev-parse", "--absolute-git-dir")
        let dirs = try FileManager.default.contentsOfDirectory(atPath: common + "/sprite-salvage")
        let bundle = try #require(dirs.first.map { common + "/sprite-salvage/\($0)/workspace-lib.bundle" })
        let here = b.app + "/lib"
        _ = try b.s.run("git", ["fetch", "-q", bundle, "+refs/*:refs/salvage/*"], in: here)
        #expect(try b.s.run("git", ["cat-file", "-t", work], in: here).stdout == "commit\n")
        #expect(try b.s.git("show", "refs/salvage/git-sprite/uncommitted:dirt.txt", in: here) == "dirt")
    }

    /// A repository with nothing in it inside the workspace (`git init scratch`) stopped
    /// `git add -A`: the work tree read as "unreadable" at every `up`, and a forced destroy
    /// failed every time (git refuses an empty bundle), after stopping the agent (a review).
    @Test func anEmptyRepositoryInTheWorkspaceStopsNothing() throws {
        let b = try Bench()
        try b.agent("git init -q scratch && echo new > new.txt")
        try b.s.commit("local.txt", "l\n", message: "local", in: b.app)
        let again = try b.sprite(["up"])
        #expect(again.status == 0, "\(again.stderr)")
        #expect(try b.agent("cat new.txt") == "new")
        let forced = try b.sprite(["down", "--destroy", "--force"])
        #expect(forced.status == 0, "\(forced.stderr)")
        let common = try b.git("rev-parse", "--absolute-git-dir")
        let dirs = try FileManager.default.contentsOfDirectory(atPath: common + "/sprite-salvage")
        let bundle = try #require(dirs.first.map { common + "/sprite-salvage/\($0)/workspace.bundle" })
        _ = try b.s.run("git", ["fetch", "-q", bundle, "+refs/*:refs/salvage/*"], in: b.app)
        #expect(try b.git("show", "refs/salvage/git-sprite/uncommitted:new.txt") == "new")
    }

    /// A remote of yours named `sprite` (a natural name for a `sprite::` remote) shares
    /// refs/remotes/sprite/ with the sprite's branches here: `git fetch --prune sprite` would
    /// delete them without a word from git-sprite. Every fetch now says so.
    @Test func aRemoteNamedSpriteIsPointedOut() throws {
        let b = try Bench(up: false)
        // (a URL ending in app: the sprite keeps its name)
        _ = try b.git("remote", "add", "sprite", "sprite::app-main/app")
        try b.up()
        let r = try b.sprite(["fetch"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.contains("your remote named sprite shares refs/remotes/sprite/"), "\(r.stderr)")
        _ = try b.git("remote", "rename", "sprite", "box")
        let renamed = try b.sprite(["fetch"])
        #expect(renamed.status == 0 && !renamed.stderr.contains("your remote named sprite"), "\(renamed.stderr)")
    }

    /// The same for a restore: the repository came back as the checkpoint had it, its work
    /// kept only in the checkpoint of the present state, which a destroy then took (a review).
    @Test func aRestoreRefusesOverARepositoryNoLongerLinked() throws {
        let b = try Bench()
        let checkpoint = try b.sprite(["checkpoint", "--json"])
        #expect(checkpoint.status == 0, "\(checkpoint.stderr)")
        let tools = try b.s.makeRepo("tools")
        #expect(try b.sprite(["link", tools]).status == 0)
        try b.up()
        try b.agent("cd /home/sprite/repos/tools && echo w > w.txt && git add w.txt && git commit -qm 'in tools'")
        #expect(try b.sprite(["unlink", "tools"]).status == 0)
        let taken = try JSONSerialization.jsonObject(with: Data(checkpoint.stdout.utf8)) as? [String: Any]
        let id = try #require(taken?["checkpoint"] as? String, "\(checkpoint.stdout)")
        let refused = try b.sprite(["restore", id])
        #expect(refused.status == 1, "\(refused.stderr)")
        #expect(refused.stderr.contains("a repository this one no longer links"), "\(refused.stderr)")
    }

    /// Two detached linked worktrees whose directories share a name came home under one ref,
    /// the second overwriting the first: each now has the name git gave its own record.
    @Test func twoDetachedWorktreesOfOneNameBothComeHome() throws {
        let b = try Bench()
        let commits = try b.agent(
            "for d in a b; do git worktree add -q --detach /home/sprite/$d/fix && "
                + "(cd /home/sprite/$d/fix && echo $d > $d.txt && git add $d.txt && git commit -qm \"in $d\" "
                + "&& git rev-parse HEAD) || exit 1; done")
        let down = try b.sprite(["down", "--destroy"])
        #expect(down.status == 0, "\(down.stderr)")
        for commit in commits.split(separator: "\n").map(String.init) {
            #expect(try b.reachable(commit), "\(commit) did not come home: \(down.stderr)")
        }
    }

    /// What the agent wrote in the directory of a submodule the sprite has no repository for
    /// (it could not be cloned or shipped) is in no repository: a destroy now lists it with what
    /// stays behind (it said nothing).
    @Test func filesInASubmoduleTheSpriteHasNoRepositoryForAreListed() throws {
        let b = try Bench(up: false)
        let lib = try b.s.makeRepo("lib")
        try b.s.git("submodule", "add", "-q", lib, "vendor/lib", in: b.app)
        try b.s.git("commit", "-q", "-m", "lib", in: b.app)
        try b.s.git("submodule", "deinit", "-q", "-f", "vendor/lib", in: b.app)
        try b.s.git("config", "-f", ".gitmodules", "submodule.vendor/lib.url", b.s.path("nowhere/lib.git"), in: b.app)
        try b.s.git("commit", "-q", "-am", "lib elsewhere", in: b.app)
        let up = try b.sprite(["up"])
        #expect(up.stderr.contains("submodule vendor/lib cannot be shipped"), "\(up.stderr)")
        try b.agent("echo stub > vendor/lib/stub.c")
        let down = try b.sprite(["down", "--destroy"])
        #expect(down.status == 0, "\(down.stderr)")
        #expect(down.stderr.contains("workspace/vendor/lib/stub.c"), "\(down.stderr)")
    }

    /// The agent committed in a submodule (on no branch) and committed the new pin; you
    /// committed too. `up` brings both home: the pin with the sprite's branch, the submodule's
    /// commit as sprite/<sprite>/HEAD in it. (A review saw a fetch of this shape fail once with
    /// git's on-demand fetch of the submodule from its own remote, "not our ref"; not reproduced
    /// here, but fetches from a sprite now pass --recurse-submodules=no: submodules come home
    /// from the sprite, one by one.)
    @Test func theSpritesNewSubmodulePinComesHomeWithItsCommit() throws {
        let b = try Bench(up: false)
        let lib = try b.s.makeRepo("lib")
        try b.s.git("submodule", "add", "-q", lib, "lib", in: b.app)
        try b.s.git("commit", "-q", "-m", "lib", in: b.app)
        try b.up()
        let work = try b.agent(
            "cd lib && echo w > w.txt && git add w.txt && git commit -qm 'in lib' "
                + "&& git rev-parse HEAD && cd .. && git add lib && git commit -qm 'bump lib'")
        try b.s.commit("l.txt", "l\n", message: "local", in: b.app)
        // lib's remote here may be fetched from (a local path is, as a URL would be)
        let fileAllowed = [
            "GIT_CONFIG_COUNT": "1", "GIT_CONFIG_KEY_0": "protocol.file.allow", "GIT_CONFIG_VALUE_0": "always",
        ]
        let up = try b.sprite(["up"], extra: fileAllowed)
        #expect(up.status == 0, "\(up.stderr)")
        #expect(up.stderr.contains("the sprite's main has commits you do not have"), "\(up.stderr)")
        #expect(try b.s.git("rev-parse", "refs/remotes/sprite/app-main/HEAD", in: b.app + "/lib") == work)
        let fetch = try b.sprite(["fetch"], extra: fileAllowed)
        #expect(fetch.status == 0, "\(fetch.stderr)")
    }

    /// A push the sprite refuses (its branch has commits you lack) fetched that branch with a
    /// plain `git fetch +…`: the value fetched before, which the agent had since amended away,
    /// was then in no ref here. It is kept under superseded/ as every other fetch keeps it.
    @Test func aRefusedPushKeepsWhatTheSpritesBranchHeldBefore() throws {
        let b = try Bench()
        let first = try b.agent("echo x > x.txt && git add x.txt && git commit -qm agent && git rev-parse HEAD")
        #expect(try b.sprite(["fetch"]).status == 0)
        try b.agent("git commit -q --amend -m 'agent, amended'")
        try b.s.commit("l.txt", "l\n", message: "local", in: b.app)
        let up = try b.sprite(["up"])
        #expect(up.status == 0, "\(up.stderr)")
        #expect(up.stderr.contains("the sprite's main has commits you do not have"), "\(up.stderr)")
        #expect((up.stdout + up.stderr).contains("left app-main as it was"), "\(up.stdout)")
        #expect(try b.reachable(first), "the first fetch's commit is in no ref: \(up.stderr)")
        #expect(up.stderr.contains("which is kept as refs/sprite/app-main/superseded/"), "\(up.stderr)")
    }
}

/// What a fourth review found slipping away: a work tree git cannot read, repositories no
/// fetch reaches (in an ignored directory, outside the workspace), commits only a reflog holds.
extension NothingLostTests {
    /// The salvage directory of a forced destroy, and the names its leftovers archive holds.
    private func salvaged(_ b: Bench) throws -> (directory: String, archived: String) {
        let common = try b.git("rev-parse", "--absolute-git-dir")
        let dirs = try FileManager.default.contentsOfDirectory(atPath: common + "/sprite-salvage")
        let directory = try #require(dirs.first.map { common + "/sprite-salvage/" + $0 })
        let archive = directory + "/leftovers.tar.gz"
        let archived =
            FileManager.default.fileExists(atPath: archive) ? try b.s.run("tar", ["-tzf", archive]).stdout : ""
        return (directory, archived)
    }

    /// A work tree whose `.git` the agent took away, whose index is broken, or that it set
    /// `core.bare` in: git status fails there, and its failure read as "no change", so a
    /// destroy went ahead without a word. Now the destroy refuses, and a forced one packs the
    /// work tree's files.
    @Test(arguments: ["git removed", "index broken", "made bare", "git leads nowhere"])
    func aWorkTreeGitCannotReadBlocksADestroyAndForceSavesItsFiles(how: String) throws {
        let b = try Bench()
        let breaking = [
            "git removed": "rm -rf .git", "index broken": "echo garbage > .git/index",
            "made bare": "git config core.bare true",
            "git leads nowhere": "mv .git /tmp/moved.git && echo 'gitdir: /nonexistent' > .git",
        ]
        try b.agent("echo mine > wip.txt && echo changed >> file.txt && " + (breaking[how] ?? "false"))
        let refused = try b.sprite(["down", "--destroy"])
        #expect(refused.status == 1, "\(refused.stderr)")
        let why =
            [
                "git removed": "is no longer a git repository", "git leads nowhere": "is not a usable git repository",
            ][how] ?? "could not be read"
        #expect(refused.stderr.contains(why), "\(refused.stderr)")
        // (packed whatever the size of the rest: more than the limit outside the repositories)
        try b.agent("head -c 12000000 /dev/urandom > /home/sprite/big.bin")
        let forced = try b.sprite(["down", "--destroy", "--force"])
        #expect(forced.status == 0, "\(forced.stderr)")
        #expect(forced.stderr.contains("in a work tree git cannot read"), "\(forced.stderr)")
        #expect(forced.stderr.contains("the others not saved: more than"), "\(forced.stderr)")
        let archived = try salvaged(b).archived
        #expect(archived.contains("home/sprite/workspace/wip.txt"), "\(archived)")
        #expect(archived.contains("home/sprite/workspace/file.txt"), "\(archived)")
    }

    /// A repository the agent made in an ignored directory was counted as one ignored file,
    /// and a forced destroy packed its directory alone (empty). One with work of its own now
    /// blocks a destroy, by name, and a forced one saves it in a bundle and its files in the
    /// archive; a clone kept only to read blocks nothing.
    @Test func aRepositoryWithWorkInAnIgnoredDirectoryBlocksADestroy() throws {
        let b = try Bench(files: [".gitignore": "scratch/\n"])
        let inner = try b.agent(
            "mkdir -p scratch && git init -q scratch/tool && cd scratch/tool && echo w > work.c && git add work.c "
                + "&& git commit -qm 'the tool' && echo more >> work.c && git rev-parse HEAD")
        // (a linked worktree of the workspace's own there is read with the workspace: a second
        // review found it blocked every destroy)
        try b.agent("git clone -q . scratch/copy && git worktree add -q scratch/idle")
        let refused = try b.sprite(["down", "--destroy"])
        #expect(refused.status == 1, "\(refused.stderr)")
        #expect(refused.stderr.contains("scratch/tool is a repository of its own in an ignored directory"))
        #expect(!refused.stderr.contains("scratch/copy is a repository"), "\(refused.stderr)")
        #expect(!refused.stderr.contains("scratch/idle"), "\(refused.stderr)")
        let forced = try b.sprite(["down", "--destroy", "--force"])
        #expect(forced.status == 0, "\(forced.stderr)")
        let (directory, archived) = try salvaged(b)
        let heads = try b.s.run(
            "git", ["bundle", "list-heads", directory + "/workspace-scratch-tool.bundle"], in: b.app)
        #expect(heads.stdout.contains(inner), "\(heads.stdout) \(heads.stderr)")
        #expect(archived.contains("home/sprite/workspace/scratch/tool/work.c"), "\(archived)")
    }

    /// A clone the agent made in its home to try something in, with commits of its own, was
    /// counted as files outside the repositories, and destroyed. It blocks a destroy now, and
    /// a forced one saves it in a bundle; a clone with nothing of its own blocks nothing.
    @Test func aRepositoryWithWorkOutsideTheWorkspaceBlocksADestroy() throws {
        let b = try Bench()
        let tried = try b.agent(
            "git clone -q . /home/sprite/experiment && cd /home/sprite/experiment && git checkout -qb agent-exp "
                + "&& echo e > e.txt && git add e.txt && git commit -qm 'tried' && git rev-parse HEAD")
        // kept only to read: a clone, one pinned at a tag, an install at a tag fetched alone
        try b.agent(
            "git tag v1 && git clone -q . /home/sprite/reading && git clone -q --depth 1 --branch v1 file://$PWD "
                + "/home/sprite/pinned && git init -q /home/sprite/tool && cd /home/sprite/tool "
                + "&& git remote add origin file:///home/sprite/workspace && git fetch -q origin tag v1 "
                + "&& git checkout -q FETCH_HEAD")
        // work of its own: in a bare repository pushed to, in the second worktree of a clone,
        // in a project never committed
        let pushed = try b.agent(
            "git init -q --bare /home/sprite/store.git && git clone -q /home/sprite/store.git /home/sprite/proj "
                + "&& cd /home/sprite/proj && echo p > p.txt && git add p.txt && git commit -qm pushed "
                + "&& git push -q origin HEAD && git rev-parse HEAD && cd / && rm -rf /home/sprite/proj")
        try b.agent(
            "git clone -q . /home/sprite/lib && cd /home/sprite/lib && git worktree add -q --detach /home/sprite/lib-wt "
                + "&& echo changed >> /home/sprite/lib-wt/file.txt")
        try b.agent("git init -q /home/sprite/newproj && echo n > /home/sprite/newproj/n.txt")
        // a clone whose commit was reset away (only its reflog holds it)
        try b.agent(
            "git clone -q . /home/sprite/reset && cd /home/sprite/reset && echo r > r.txt && git add r.txt "
                + "&& git commit -qm 'reset away' && git reset -q --hard HEAD~1")
        // a clone whose new commit a tag made there names (what npm version does)
        let tagged = try b.agent(
            "git clone -q . /home/sprite/tagged && cd /home/sprite/tagged && echo s > s.txt && git add s.txt "
                + "&& git commit -qm tagged && git tag v1.0.1 && git rev-parse HEAD")
        // tools' caches are not the agent's work: a cargo checkout on a branch of its own
        try b.agent(
            "mkdir -p /home/sprite/.cargo/git/checkouts && git clone -q . /home/sprite/.cargo/git/checkouts/dep "
                + "&& cd /home/sprite/.cargo/git/checkouts/dep && git checkout -qb master && echo c > c.txt "
                + "&& git add c.txt && git commit -qm dep")
        let refused = try b.sprite(["down", "--destroy"])
        #expect(refused.status == 1, "\(refused.stderr)")
        for named in ["experiment", "store.git", "newproj", "reset"] {
            #expect(refused.stderr.contains("/home/sprite/\(named): a repository outside the workspace"), "\(named)")
        }
        #expect(refused.stderr.contains("/home/sprite/lib"), "\(refused.stderr)")
        #expect(refused.stderr.contains("/home/sprite/tagged: a repository outside the workspace"))
        #expect(!refused.stderr.contains(".cargo"), "\(refused.stderr)")
        for kept in ["reading", "pinned", "tool"] {
            #expect(!refused.stderr.contains("/home/sprite/\(kept):"), "\(kept): \(refused.stderr)")
        }
        // committing in the workspace would not help
        #expect(!refused.stderr.contains("git commit -am wip"), "\(refused.stderr)")
        let forced = try b.sprite(["down", "--destroy", "--force"])
        #expect(forced.status == 0, "\(forced.stderr)")
        let directory = try salvaged(b).directory
        for (bundle, commit) in [("experiment", tried), ("store.git", pushed), ("tagged", tagged)] {
            let heads = try b.s.run("git", ["bundle", "list-heads", directory + "/\(bundle).bundle"])
            #expect(heads.stdout.contains(commit), "\(bundle): \(heads.stdout) \(heads.stderr)")
        }
    }

    /// Commits the agent set aside (a detached HEAD left, a branch deleted, a commit amended)
    /// are held only by the sprite's reflogs, for weeks there, and not at all once it is
    /// destroyed. Each line of them comes home as discarded/<its newest commit>, once.
    @Test func commitsOnlyAReflogHoldsComeHome() throws {
        let b = try Bench()
        let detached = try b.agent(
            "git checkout -q --detach && echo d > d.txt && git add d.txt && git commit -qm detached "
                + "&& git rev-parse HEAD && git checkout -q main")
        let deleted = try b.agent(
            "git checkout -qb tmp && echo t > t.txt && git add t.txt && git commit -qm first "
                + "&& echo u >> t.txt && git commit -qam second && git rev-parse HEAD "
                + "&& git checkout -q main && git branch -qD tmp")
        let amended = try b.agent(
            "echo a > a.txt && git add a.txt && git commit -qm before && git rev-parse HEAD "
                + "&& git commit -q --amend -m after")
        let fetch = try b.sprite(["fetch"])
        #expect(fetch.status == 0, "\(fetch.stderr)")
        #expect(fetch.stderr.contains("3 lines of them came home"), "\(fetch.stderr)")
        for tip in [detached, deleted, amended] {
            #expect(try b.git("rev-parse", "refs/sprite/app-main/discarded/" + tip) == tip)
        }
        #expect(try b.git("for-each-ref", "refs/sprite/app-main/discarded/").split(separator: "\n").count == 3)
        let again = try b.sprite(["fetch"])
        #expect(again.status == 0 && !again.stderr.contains("discarded"), "\(again.stderr)")
        #expect(try b.sprite(["down", "--destroy"]).status == 0)
        for tip in [detached, deleted, amended] { #expect(try b.reachable(tip)) }
    }
}
