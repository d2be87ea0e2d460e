import Foundation
import GitSpriteCore
import TestSupport
import Testing

/// The scripts git-sprite runs in a sprite (Sources/GitSpriteCore/InSprite), checked by
/// `sh -n` and `shellcheck`, and run with `sh` on temporary repositories against their
/// contracts: arguments, `key=value` output, exit codes.
@Suite("in-sprite scripts", .ownThread)
struct InSpriteScriptTests {
    /// Runs a script as the sprite would: `sh -c TEXT NAME ARG…`.
    /// Claude Code's documented hook dispatch, played back (a fixture of the end-to-end tests).
    static let claudeHooks = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("GitSpriteTests/Fixtures/claude_hooks.py").path

    static func run(_ script: InSpriteScript, _ args: [String], in s: Sandbox) throws -> RunResult {
        let argv = script.argv(args)
        return try s.run(argv[0], Array(argv.dropFirst()), in: s.root)
    }

    @Test(arguments: InSpriteScript.all.map(\.name))
    func everyScriptPassesShNAndShellcheck(name: String) throws {
        let s = try Sandbox()
        let script = try #require(InSpriteScript.all.first { $0.name == name })
        try s.write("script.sh", script.text)
        let syntax = try s.run("sh", ["-n", s.path("script.sh")])
        #expect(syntax.status == 0, "\(syntax.stderr)")
        let lint = try s.run("shellcheck", ["--shell=sh", "--severity=style", s.path("script.sh")])
        #expect(lint.status == 0, "\(lint.stdout)\(lint.stderr)")
    }

    @Test func probeReportsByKey() throws {
        let s = try Sandbox()
        let missing = try Self.run(.probe, [s.path("nothing"), "keep", ""], in: s)
        #expect(missing.status == 0 && ScriptOutput(missing.stdout)["state"] == "missing")
        let repo = try s.makeRepo("repo")
        let head = try s.git("rev-parse", "HEAD", in: repo)
        let clean = ScriptOutput(try Self.run(.probe, [repo, "keep", ""], in: s).stdout)
        #expect(clean.values == ["state": "exists", "head": head, "branch": "main"])
        #expect(try s.git("config", "receive.denyCurrentBranch", in: repo) == "updateInstead")
        // uncommitted work: its tree, without touching the index
        try s.write("new.txt", "new\n", in: repo)
        let dirty = ScriptOutput(try Self.run(.probe, [repo, "keep", ""], in: s).stdout)
        #expect(dirty["dirty"]?.count == 40)
        #expect(try s.git("status", "--porcelain", in: repo) == "?? new.txt")
        // detached, and a snapshot an earlier run applied: cleared when something else is coming
        try s.git("checkout", "-q", "--detach", in: repo)
        try s.git("config", "gitsprite.snapshot", dirty["dirty"] ?? "", in: repo)
        let cleared = ScriptOutput(try Self.run(.probe, [repo, "none", head], in: s).stdout)
        #expect(cleared["branch"] == nil && cleared["dirty"] == nil && cleared["head"] == head)
        #expect(!FileManager.default.fileExists(atPath: repo + "/new.txt"))
        // not a repository
        try FileManager.default.createDirectory(atPath: s.path("junk/.git"), withIntermediateDirectories: true)
        let junk = try Self.run(.probe, [s.path("junk"), "keep", ""], in: s)
        #expect(junk.status == 3 && junk.stderr.contains("is not a usable git repository"))
    }

    @Test func cloneStagesAndSaysWhenItCannot() throws {
        let s = try Sandbox()
        let remote = try s.makeRemote("app")
        let stage = s.path("staging/abc-run1")
        try FileManager.default.createDirectory(atPath: s.path("staging/abc-run0"), withIntermediateDirectories: true)
        let r = try Self.run(.clone, [stage, remote, "--branch", "main"], in: s)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(ScriptOutput(r.stdout)["state"] == "exists" && ScriptOutput(r.stdout)["branch"] == "main")
        // an earlier run's is left alone: it may still be working there; the lock's holder clears it
        #expect(FileManager.default.fileExists(atPath: s.path("staging/abc-run0")))
        let failed = try Self.run(.clone, [s.path("staging/def-run1"), s.path("nowhere.git")], in: s)
        #expect(failed.status == 1)
        #expect(!FileManager.default.fileExists(atPath: s.path("staging/def-run1")))
        let made = try Self.run(.initialise, [s.path("staging/ghi-run1"), "feature/x"], in: s)
        #expect(made.status == 0, "\(made.stderr)")
        #expect(try s.git("symbolic-ref", "--short", "HEAD", in: s.path("staging/ghi-run1")) == "feature/x")
    }

    /// A name that is a path as well as (or rather than) a branch is only ever a branch: `git
    /// checkout docs` without `--` would restore the file docs and throw the agent's edit away.
    @Test func finishTakesTheTargetAsABranchNeverAsAPath() throws {
        let s = try Sandbox()
        let repo = try s.makeRepo("repo")
        try s.commit("docs", "the docs file\n", message: "a file named docs", in: repo)
        try s.write("docs", "AGENT-WORK\n", in: repo)
        let noBranch = try Self.run(.finish, [repo, "", "docs", "branch", "", ""], in: s)
        #expect(noBranch.status == 3)
        #expect(try String(contentsOfFile: repo + "/docs", encoding: .utf8) == "AGENT-WORK\n")
        try s.git("branch", "docs", in: repo)
        let r = try Self.run(.finish, [repo, "", "docs", "branch", "", ""], in: s)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(try s.git("symbolic-ref", "--short", "HEAD", in: repo) == "docs")
        #expect(try String(contentsOfFile: repo + "/docs", encoding: .utf8) == "AGENT-WORK\n")
        // moving a finished repository into place, and refusing a place that is taken
        let moved = try Self.run(.finish, [repo, s.path("place/repo"), "", "branch", "", ""], in: s)
        #expect(moved.status == 0 && FileManager.default.fileExists(atPath: s.path("place/repo/.git")))
        let other = try s.makeRepo("other")
        let taken = try Self.run(.finish, [other, s.path("place/repo"), "", "branch", "", ""], in: s)
        #expect(taken.status == 3 && taken.stderr.contains("appeared while this run was shipping"))
    }

    @Test func submoduleReadyTellsACompleteCheckoutFromAnyOther() throws {
        let s = try Sandbox()
        let app = try s.makeAppWithNestedSubmodules()
        let pinned = try s.git("rev-parse", "HEAD:libs/lib", in: app)
        #expect(try Self.run(.submoduleReady, [app, "libs/lib", pinned], in: s).status == 0)
        #expect(try Self.run(.submoduleReady, [app, "libs/lib", String(repeating: "0", count: 40)], in: s).status == 1)
        #expect(try Self.run(.submoduleReady, [app, "libs/none", pinned], in: s).status == 1)
    }
    /// Moving a submodule cloned from its URL checks its own submodules out at their pins
    /// (`--recursive`): a nested one holding commits on no branch was moved off them without a
    /// word (a review). The submodule is now left as it is, and says which nested one holds work.
    @Test func aSubmoduleWhoseNestedSubmoduleHoldsWorkIsLeftAsItIs() throws {
        let s = try Sandbox()
        let app = try s.makeAppWithNestedSubmodules()
        let pinned = try s.git("rev-parse", "HEAD:libs/lib", in: app)
        let fresh = s.path("fresh")
        try s.git("clone", "-q", s.path("remotes/app.git"), fresh)
        func checkout(_ want: String, mirror: String = "") throws -> RunResult {
            let argv = InSpriteScript.submodule.argv([fresh, "libs/lib", "libs/lib", mirror, want])
            return try s.run(argv[0], Array(argv.dropFirst()), env: Self.fileAllowed)
        }
        let first = try checkout(pinned)
        #expect(first.status == 0, "\(first.stderr)")
        let inner = fresh + "/libs/lib/vendor/inner"
        try s.commit("agent.txt", "agent\n", message: "agent", in: inner)
        let agent = try s.git("rev-parse", "HEAD", in: inner)
        // lib moves on upstream, its own pin of inner unchanged
        let seed = s.path("seed/lib")
        try s.commit("more.txt", "more\n", message: "more", in: seed)
        try s.git("push", "-q", "origin", "HEAD:main", in: seed)
        let next = try s.git("rev-parse", "HEAD", in: seed)
        try s.git("update-index", "--cacheinfo", "160000,\(next),libs/lib", in: fresh)
        let moved = try checkout(next)
        #expect(moved.status == 4 && moved.stderr.contains("vendor/inner"), "\(moved.status) \(moved.stderr)")
        #expect(try s.git("rev-parse", "HEAD", in: inner) == agent)
    }

    /// A submodule the sprite cloned from its URL, then shipped through the tunnel (you checked
    /// it out here and pinned a commit only you have): `git submodule update` fetched from the
    /// origin of the first clone, which lacks it, and every `up` failed the same way (a review).
    @Test func aSubmoduleClonedFromItsURLTakesTheMirrorLater() throws {
        let s = try Sandbox()
        let app = try s.makeAppWithNestedSubmodules()
        let fresh = s.path("fresh")
        try s.git("clone", "-q", s.path("remotes/app.git"), fresh)
        func checkout(_ want: String, mirror: String) throws -> RunResult {
            let argv = InSpriteScript.submodule.argv([fresh, "libs/lib", "libs/lib", mirror, want])
            return try s.run(argv[0], Array(argv.dropFirst()), env: Self.fileAllowed)
        }
        #expect(try checkout(try s.git("rev-parse", "HEAD:libs/lib", in: app), mirror: "").status == 0)
        let lib = app + "/libs/lib"
        try s.commit("mine.txt", "mine\n", message: "only here", in: lib)
        let mine = try s.git("rev-parse", "HEAD", in: lib)
        let mirror = s.path("mirror.git")
        try s.git("init", "-q", "--bare", mirror)
        try s.git("push", "-q", mirror, "HEAD:refs/heads/git-sprite-pinned", in: lib)
        // the superproject pins it (as the shipped branch does)
        try s.git("update-index", "--cacheinfo", "160000,\(mine),libs/lib", in: fresh)
        let shipped = try checkout(mine, mirror: mirror)
        #expect(shipped.status == 0, "\(shipped.stderr)")
        #expect(try s.git("rev-parse", "HEAD", in: fresh + "/libs/lib") == mine)
    }

    static let fileAllowed = [
        "GIT_CONFIG_COUNT": "1", "GIT_CONFIG_KEY_0": "protocol.file.allow", "GIT_CONFIG_VALUE_0": "always",
    ]

    @Test func submoduleChecksOutFromAMirrorAndStartsACutShortCloneOver() throws {
        let s = try Sandbox()
        let app = try s.makeAppWithNestedSubmodules()
        let pinned = try s.git("rev-parse", "HEAD:libs/lib", in: app)
        let clone = s.path("clone")
        try s.git("clone", "-q", s.path("remotes/app.git"), clone)
        // a tunnelled submodule: from its mirror, without its own submodules (shipped one by one)
        let r = try Self.run(.submodule, [clone, "libs/lib", "libs/lib", s.path("remotes/lib.git"), pinned], in: s)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(try s.git("rev-parse", "HEAD", in: clone + "/libs/lib") == pinned)
        #expect(try Self.run(.submoduleReady, [clone, "libs/lib", pinned], in: s).status == 0)
        // a clone cut short (its git directory empty) is started over
        let modules = clone + "/.git/modules/libs/lib"
        try FileManager.default.removeItem(atPath: modules)
        try FileManager.default.createDirectory(atPath: modules, withIntermediateDirectories: true)
        #expect(try Self.run(.submoduleReady, [clone, "libs/lib", pinned], in: s).status == 1)
        let again = try Self.run(.submodule, [clone, "libs/lib", "libs/lib", s.path("remotes/lib.git"), pinned], in: s)
        #expect(again.status == 0, "\(again.stderr)")
        #expect(try s.git("rev-parse", "HEAD", in: clone + "/libs/lib") == pinned)
        // from the URL the superproject records: its own submodules come along
        let fresh = s.path("fresh")
        try s.git("clone", "-q", s.path("remotes/app.git"), fresh)
        let fileAllowed = [
            "GIT_CONFIG_COUNT": "1", "GIT_CONFIG_KEY_0": "protocol.file.allow", "GIT_CONFIG_VALUE_0": "always",
        ]
        let argv = InSpriteScript.submodule.argv([fresh, "libs/lib", "libs/lib", "", pinned])
        let recorded = try s.run(argv[0], Array(argv.dropFirst()), env: fileAllowed)
        #expect(recorded.status == 0, "\(recorded.stderr)")
        #expect(
            try s.git("rev-parse", "HEAD", in: fresh + "/libs/lib/vendor/inner")
                == (try s.git("rev-parse", "HEAD:vendor/inner", in: app + "/libs/lib")))
        // a mirror that is not there fails with git's message, and leaves nothing checked out
        let other = s.path("other")
        try s.git("clone", "-q", s.path("remotes/app.git"), other)
        let missing = try Self.run(
            .submodule, [other, "libs/lib", "libs/lib", s.path("remotes/none.git"), pinned], in: s)
        #expect(missing.status != 0 && !missing.stderr.isEmpty)
        #expect(try Self.run(.submoduleReady, [other, "libs/lib", pinned], in: s).status == 1)
    }

    /// Many submodules in one command each way: one look (making the mirrors the tunnel fills),
    /// one checkout that updates them together yet reports each failure apart.
    @Test func submodulesAreLookedAtAndCheckedOutManyAtOnceEachFailureApart() throws {
        let s = try Sandbox()
        let app = try s.makeRepo("app")
        var pinned: [String] = []
        for i in 1...3 {
            let origin = try s.makeRepo("origin-\(i)")
            try s.git("-c", "protocol.file.allow=always", "submodule", "-q", "add", origin, "mods/m \(i)", in: app)
            pinned.append(try s.git("rev-parse", "HEAD", in: origin))
        }
        try s.git("commit", "-qm", "three submodules", in: app)
        let clone = s.path("clone")
        try s.git("clone", "-q", app, clone)
        let mirrors = (1...3).map { s.path("mirrors/m\($0).git") }
        func look() throws -> [String] {
            let args = [clone] + (0..<3).flatMap { ["mods/m \($0 + 1)", pinned[$0], mirrors[$0]] }
            let r = try Self.run(.submodulesReady, args, in: s)
            #expect(r.status == 0, "\(r.stderr)")
            return ScriptOutput(r.stdout).lines.map(\.value)
        }
        #expect(try look() == ["ship", "ship", "ship"])
        // the tunnel fills the first and the third; the second's mirror stays empty
        for i in [0, 2] {
            try s.git(
                "push", "-q", mirrors[i], "\(pinned[i]):refs/heads/git-sprite-pinned", in: s.path("origin-\(i + 1)"))
        }
        let args = [clone] + (0..<3).flatMap { ["mods/m \($0 + 1)", "mods/m \($0 + 1)", mirrors[$0], pinned[$0]] }
        let r = try Self.run(.submodules, args, in: s)
        let lines = ScriptOutput(r.stdout).lines
        #expect(r.status == 0 && lines.filter { $0.key == "status" }.map(\.value).count == 3, "\(r.stdout)\(r.stderr)")
        #expect(lines.first?.value == "0" && lines.last?.value == "0", "\(r.stdout)")
        #expect(
            lines.count == 4 && lines[1].value != "0" && lines[2].key == "error" && !lines[2].value.isEmpty,
            "\(r.stdout)")
        for i in [0, 2] { #expect(try s.git("rev-parse", "HEAD", in: clone + "/mods/m \(i + 1)") == pinned[i]) }
        #expect(try look() == ["ready", "ship", "ready"])
    }

    @Test func inventoryCountsEveryKindOfWorkAtAnyDepthWithoutTouchingTheIndex() throws {
        let s = try Sandbox()
        let app = try s.makeAppWithNestedSubmodules()
        #expect(ScriptOutput(try Self.run(.inventory, [s.path("none")], in: s).stdout)["state"] == "missing")
        // the top: a tag, two stash entries, an untracked file; the nested submodule: a commit its remote lacks
        try s.git("tag", "v1", in: app)
        for n in 1...2 {
            try s.write("README", "stash \(n)\n", in: app)
            try s.git("stash", "-q", in: app)
        }
        try s.write("untracked.txt", "new\n", in: app)
        let inner = app + "/libs/lib/vendor/inner"
        try s.commit("inner.txt", "inner\n", message: "inner work", in: inner)
        let indexBefore = try Data(contentsOf: URL(fileURLWithPath: app + "/.git/index"))
        // (their remotes made network ones: a remote at a path is in the sprite, and keeps nothing)
        for sub in ["libs/lib", "libs/lib/vendor/inner"] {
            try s.git("remote", "set-url", "origin", "https://example.invalid/\(sub).git", in: app + "/" + sub)
        }
        let r = try Self.run(.inventory, [app], in: s)
        #expect(r.status == 0, "\(r.stderr)")
        let out = ScriptOutput(r.stdout)
        #expect(out["state"] == "exists")
        let sections = out.sections(startingAt: "repo")
        #expect(sections.map { $0["repo"] } == [".", "libs/lib", "libs/lib/vendor/inner"])
        let top = sections[0]
        let head = try s.git("rev-parse", "HEAD", in: app)
        #expect(top["branch"] == "main" && top["head"] == head)
        let v1 = try s.git("rev-parse", "v1", in: app)
        #expect(top.all("tag") == ["v1 " + v1])
        #expect(top["stashes"] == "2")
        #expect(
            try s.git("rev-parse", "refs/git-sprite/stash/0", in: app) == (try s.git("rev-parse", "stash@{0}", in: app))
        )
        #expect(
            try s.git("rev-parse", "refs/git-sprite/stash/1", in: app) == (try s.git("rev-parse", "stash@{1}", in: app))
        )
        let uncommitted = try #require(top["uncommitted"])
        #expect(try s.git("rev-parse", "refs/git-sprite/uncommitted", in: app) == uncommitted)
        #expect(try s.git("show", "\(uncommitted):untracked.txt", in: app) == "new")
        #expect(try s.git("rev-parse", "\(uncommitted)^", in: app) == (try s.git("rev-parse", "HEAD", in: app)))
        #expect(try Data(contentsOf: URL(fileURLWithPath: app + "/.git/index")) == indexBefore)
        #expect(try s.git("status", "--porcelain", "--ignore-submodules=all", in: app) == "?? untracked.txt")
        #expect(sections[1]["unpushed"] == "0" && sections[1]["uncommitted"] == nil)
        #expect(sections[2]["unpushed"] == "1" && sections[2]["branch"] == nil)
        // exactly the snapshot an earlier up applied is the user's, not the sprite's
        let tree = try s.git("rev-parse", "\(uncommitted)^{tree}", in: app)
        try s.git("config", "gitsprite.snapshot", tree, in: app)
        let again = ScriptOutput(try Self.run(.inventory, [app], in: s).stdout).sections(startingAt: "repo")
        #expect(again[0]["uncommitted"] == "shipped")
        #expect(try s.git("for-each-ref", "refs/git-sprite/uncommitted", in: app).isEmpty)
        #expect(again[0].all("heads") == ["main"] && again[0].all("tag") == ["v1 " + v1])
        // a stash entry dropped: its ref from the earlier look goes too
        try s.git("stash", "drop", "-q", in: app)
        let fewer = ScriptOutput(try Self.run(.inventory, [app], in: s).stdout).sections(startingAt: "repo")
        #expect(fewer[0]["stashes"] == "1")
        #expect(
            try s.git("for-each-ref", "--format=%(refname)", "refs/git-sprite/stash/", in: app)
                == "refs/git-sprite/stash/0")
    }

    /// A gitlink no .gitmodules entry names (`aä`, a repository `git add` took in) made `git
    /// submodule foreach` stop, so the submodule after it (`zz ü`) was neither inventoried nor
    /// looked into for leftovers. Both scripts now walk past it, nested submodules included, and
    /// leave a registered submodule that is not checked out (`mm`) out. Paths are read as they
    /// are (`-z`): git quotes a name that is not ASCII, and the quoted name is no directory.
    @Test func theSubmoduleWalkPassesOverAGitlinkNoGitmodulesEntryNames() throws {
        let s = try Sandbox()
        let app = try s.makeRepo("app"), lib = try s.makeRepo("lib"), inner = try s.makeRepo("inner")
        try s.git("submodule", "add", "-q", inner, "vendor/inner", in: lib)
        try s.git("commit", "-qm", "inner", in: lib)
        for (url, path) in [(lib, "zz ü"), (inner, "mm")] { try s.git("submodule", "add", "-q", url, path, in: app) }
        _ = try s.makeRepo("app/aä")
        try s.git("add", "aä", in: app)
        try s.git("commit", "-qm", "submodules and an added repository", in: app)
        try s.git("submodule", "update", "-q", "--init", "--recursive", "--", "zz ü", in: app)
        try s.git("submodule", "deinit", "-q", "--", "mm", in: app)
        try s.write(".gitignore", "*.log\n", in: app + "/zz ü")
        try s.write("build.log", "log\n", in: app + "/zz ü")
        // the submodule moved on and the top has a new file: the commit of the top's work
        // keeps the commit the top records for it
        try s.commit("more.txt", "more\n", message: "more", in: app + "/zz ü")
        try s.write("new.txt", "new\n", in: app)
        let inventory = ScriptOutput(try Self.run(.inventory, [app], in: s).stdout).sections(startingAt: "repo")
        #expect(inventory.map { $0["repo"] } == [".", "zz ü", "zz ü/vendor/inner"])
        #expect(inventory[0].all("nested") == ["aä"])
        let work = try #require(inventory[0]["worktree"])
        #expect(try s.git("rev-parse", "\(work):zz ü", in: app) == (try s.git("rev-parse", "HEAD:zz ü", in: app)))
        let leftovers = ScriptOutput(try Self.run(.leftovers, [s.root, "", "0", app], in: s).stdout)
        #expect(leftovers["example.ignored"] == "app/zz ü/build.log", "\(leftovers.lines)")
        // .gitmodules gone from the work tree: git reads the index's, and so does the walk
        try FileManager.default.removeItem(atPath: app + "/.gitmodules")
        let fromIndex = ScriptOutput(try Self.run(.inventory, [app], in: s).stdout).sections(startingAt: "repo")
        #expect(fromIndex.map { $0["repo"] } == [".", "zz ü", "zz ü/vendor/inner"])
        try s.git("checkout", "-q", "--", ".gitmodules", in: app)
        // a path is registered only as a whole: `ü` is not `zz ü`, and is a repository of its own
        _ = try s.makeRepo("app/ü")
        try s.git("add", "ü", in: app)
        let whole = ScriptOutput(try Self.run(.inventory, [app], in: s).stdout).sections(startingAt: "repo")
        #expect(whole.map { $0["repo"] } == [".", "zz ü", "zz ü/vendor/inner"])
        #expect(whole[0].all("nested") == ["aä", "ü"])
        // a submodule whose .git is no repository is not looked at as the one around it
        try FileManager.default.removeItem(atPath: app + "/zz ü/.git")
        try FileManager.default.createDirectory(atPath: app + "/zz ü/.git", withIntermediateDirectories: true)
        let broken = ScriptOutput(try Self.run(.inventory, [app], in: s).stdout).sections(startingAt: "repo")
        #expect(broken.map { $0["repo"] } == ["."])
    }

    /// The inventory deletes only what an earlier look made (stash entries, worktrees'
    /// commits, the included files' commit, the work's commits): never the snapshot and head
    /// `up` pushed (without the snapshot ref its commit could be pruned, and the sprite's
    /// changes to files `.spriteinclude` names with it), never through a symbolic ref onto a
    /// branch, and one ref that cannot go (a stale lock) does not keep the others.
    @Test func theInventoryDeletesOnlyWhatAnEarlierLookMade() throws {
        let s = try Sandbox()
        let app = try s.makeRepo("app")
        for ref in ["refs/git-sprite/snapshot", "refs/git-sprite/head", "refs/heads/keep"] {
            try s.git("update-ref", ref, "HEAD", in: app)
        }
        try s.git("symbolic-ref", "refs/git-sprite/alias", "refs/heads/keep", in: app)
        for n in 1...3 {
            try s.write("file.txt", "stash \(n)\n", in: app)
            try s.git("stash", "-q", in: app)
        }
        try s.write("new.txt", "new\n", in: app)
        _ = try Self.run(.inventory, [app], in: s)
        #expect(
            try s.git("for-each-ref", "--format=%(refname)", "refs/git-sprite/stash/", in: app).split(separator: "\n")
                .count == 3)
        // two entries dropped, the work committed, and a stale lock on one of git-sprite's refs
        try s.git("stash", "drop", "-q", in: app)
        try s.git("stash", "drop", "-q", in: app)
        try s.git("add", "new.txt", in: app)
        try s.git("commit", "-qm", "new", in: app)
        try s.write(".git/refs/git-sprite/worktree.lock", "", in: app)
        let r = try Self.run(.inventory, [app], in: s)
        #expect(ScriptOutput(r.stdout).sections(startingAt: "repo")[0]["stashes"] == "1")
        let left = try s.git("for-each-ref", "--format=%(refname)", "refs/git-sprite/", "refs/heads/", in: app)
        #expect(
            left.split(separator: "\n").sorted() == [
                "refs/git-sprite/alias", "refs/git-sprite/head", "refs/git-sprite/snapshot", "refs/git-sprite/stash/0",
                "refs/git-sprite/worktree", "refs/heads/keep", "refs/heads/main",
            ], "\(left)")
        #expect(try s.git("for-each-ref", "refs/git-sprite/uncommitted", in: app).isEmpty)
        // a stash entry that cannot be given its ref is a risk (a destroy stops), not one fewer entry
        try s.write(".git/refs/git-sprite/stash/0.lock", "", in: app)
        let locked = ScriptOutput(try Self.run(.inventory, [app], in: s).stdout).sections(startingAt: "repo")[0]
        #expect(locked["stashes"] == "0")
        #expect(locked.all("risk").contains { $0.hasPrefix("the stash entry ") }, "\(locked.values)")
    }

    /// A repository where nothing was ever added has no index file: the commit of its work is
    /// made from a new index, not from an empty file git cannot read ("unreadable").
    @Test func workInARepositoryWithoutAnIndexIsCommitted() throws {
        let s = try Sandbox()
        let fresh = try s.makeRepo("fresh", commit: false)
        try s.write("work.txt", "work\n", in: fresh)
        let look = ScriptOutput(try Self.run(.inventory, [fresh], in: s).stdout).sections(startingAt: "repo")[0]
        let commit = try #require(look["uncommitted"], "\(look.values)")
        #expect(try s.git("show", "\(commit):work.txt", in: fresh) == "work")
    }

    /// What only the index holds (a file staged, then removed or changed again in the work
    /// tree) is the sprite's work: the commit of the work tree alone lost it, so a destroy took
    /// it, a re-`up`'s probe cleared it, and a salvage bundle kept only the work tree's version
    /// (an adversarial review). The index now comes as the commit's second parent, as git stash
    /// keeps it, and the probe calls the repository dirty. A detached linked worktree whose
    /// directory was removed is still git's (`worktree list` shows it prunable), and its HEAD
    /// comes home too: the look skipped a worktree without its directory.
    @Test func whatOnlyTheIndexOrARemovedWorktreeHoldsIsWork() throws {
        let s = try Sandbox()
        let app = try s.makeRepo("app")
        let head = try s.git("rev-parse", "HEAD", in: app)
        try s.write("gone.txt", "staged then removed\n", in: app)
        try s.write("both.txt", "staged version\n", in: app)
        try s.git("add", "gone.txt", "both.txt", in: app)
        try FileManager.default.removeItem(atPath: app + "/gone.txt")
        try s.write("both.txt", "work tree version\n", in: app)
        let wt = s.path("wt")
        try s.git("worktree", "add", "-q", "--detach", wt, in: app)
        try s.commit("w.txt", "w\n", message: "worktree work", in: wt)
        let wtHead = try s.git("rev-parse", "HEAD", in: wt)
        try FileManager.default.removeItem(atPath: wt)
        // a worktree on a branch with no commits yet: its staged files were passed over
        let fresh = s.path("fresh")
        try s.git("worktree", "add", "-q", "--detach", fresh, in: app)
        try s.git("checkout", "-q", "--orphan", "redo", in: fresh)
        try s.write("r.txt", "r\n", in: fresh)
        try s.git("add", "r.txt", in: fresh)
        let indexBefore = try Data(contentsOf: URL(fileURLWithPath: app + "/.git/index"))
        let look = ScriptOutput(try Self.run(.inventory, [app], in: s).stdout).sections(startingAt: "repo")[0]
        let commit = try #require(look["uncommitted"], "\(look.values)")
        #expect(look["theirs"] == "2", "\(look.values)")
        #expect(try s.git("show", "\(commit):both.txt", in: app) == "work tree version")
        #expect(try s.git("show", "\(commit)^2:both.txt", in: app) == "staged version")
        #expect(try s.git("show", "\(commit)^2:gone.txt", in: app) == "staged then removed")
        #expect(try s.git("rev-parse", "\(commit)^1", in: app) == head)
        #expect(try Data(contentsOf: URL(fileURLWithPath: app + "/.git/index")) == indexBefore)
        #expect(look.all("fetch").contains("refs/git-sprite/worktrees/wt/head worktrees/wt/head"), "\(look.values)")
        #expect(try s.git("rev-parse", "refs/git-sprite/worktrees/wt/head", in: app) == wtHead)
        #expect(try s.git("show", "refs/git-sprite/worktrees/fresh/uncommitted:r.txt", in: app) == "r")
        // the probe before a new HEAD: dirty, not cleared
        let probe = ScriptOutput(try Self.run(.probe, [app, "none", head], in: s).stdout)
        #expect(probe["dirty"] != nil, "\(probe.values)")
        #expect(try s.git("show", ":gone.txt", in: app) == "staged then removed")
        // staged exactly as the work tree has it: one parent, as before
        try s.git("add", "-A", in: app)
        let plain = ScriptOutput(try Self.run(.inventory, [app], in: s).stdout).sections(startingAt: "repo")[0]
        let one = try #require(plain["uncommitted"])
        #expect(try s.git("rev-list", "--parents", "-n", "1", one, in: app).split(separator: " ").count == 2)
    }

    /// A second review of that: a merge in conflict made the index unreadable as a tree, so a
    /// resolution staged beside the conflict counted for nothing (a destroy took it, a re-`up`
    /// cleared it); a repository with no commit inside the work tree, or a sparse checkout,
    /// stopped `git add -A`, and the work tree was "unreadable".
    @Test func aConflictAnEmptyNestedRepositoryOrASparseCheckoutHideNoWork() throws {
        let s = try Sandbox()
        let app = try s.makeRepo("app")
        try s.commit("a.txt", "base\n", message: "a", in: app)
        try s.commit("b.txt", "base\n", message: "b", in: app)
        try s.git("checkout", "-q", "-b", "other", in: app)
        try s.write("a.txt", "other\n", in: app)
        try s.write("b.txt", "other\n", in: app)
        try s.git("commit", "-qam", "other", in: app)
        try s.git("checkout", "-q", "main", in: app)
        try s.write("a.txt", "main\n", in: app)
        try s.write("b.txt", "main\n", in: app)
        try s.git("commit", "-qam", "main", in: app)
        let head = try s.git("rev-parse", "HEAD", in: app)
        #expect(try s.run("git", ["merge", "-q", "other"], in: app).status != 0)
        // a.txt resolved and staged, then its work tree copy put back; b.txt still in conflict
        try s.write("a.txt", "precious\n", in: app)
        try s.git("add", "a.txt", in: app)
        try s.write("a.txt", "main\n", in: app)
        try s.write("b.txt", "main\n", in: app)
        // and a repository with no commit yet inside the work tree
        _ = try s.run("git", ["init", "-q", app + "/scratch"])
        try s.write("scratch/f.txt", "f\n", in: app)
        let look = ScriptOutput(try Self.run(.inventory, [app], in: s).stdout).sections(startingAt: "repo")[0]
        let commit = try #require(look["uncommitted"], "\(look.values)")
        #expect(try s.git("show", "\(commit)^2:a.txt", in: app) == "precious")
        #expect(look.all("nested") == ["scratch"])
        let probe = ScriptOutput(try Self.run(.probe, [app, "none", head], in: s).stdout)
        #expect(probe["dirty"] != nil, "\(probe.values)")
        #expect(try s.git("show", ":a.txt", in: app) == "precious")

        // a sparse checkout with a new file outside what it checks out and one inside
        let sparse = try s.makeRepo("sparse")
        try s.commit("in/x.txt", "x\n", message: "in", in: sparse)
        try s.commit("out/y.txt", "y\n", message: "out", in: sparse)
        try s.git("sparse-checkout", "set", "in", in: sparse)
        try s.write("in/new.txt", "new\n", in: sparse)
        try s.write("out/also.txt", "also\n", in: sparse)
        let thin = ScriptOutput(try Self.run(.inventory, [sparse], in: s).stdout).sections(startingAt: "repo")[0]
        let work = try #require(thin["uncommitted"], "\(thin.values)")
        #expect(try s.git("show", "\(work):in/new.txt", in: sparse) == "new")
        #expect(try s.git("show", "\(work):out/also.txt", in: sparse) == "also")
    }

    /// A file marked assume-unchanged or skip-worktree (a tool's `git update-index`, the
    /// agent's) and then edited: git status and `git add -A` look past the marks, so the edit
    /// read as no change, and a destroy or a new `up` took it (an adversarial review). It is now
    /// work: counted, committed as it is, and the probe calls the repository dirty. A file
    /// marked skip-worktree that is not in the work tree (a sparse checkout's way) is no
    /// change; one only assumed unchanged that is gone was deleted. A second review: names
    /// travel NUL-separated (one beginning with a quote, which git reads from a line as quoted,
    /// hid every marked edit; one with a newline was split and lost).
    @Test func anEditToAFileMarkedUnchangedIsWork() throws {
        let s = try Sandbox()
        let app = try s.makeRepo("app")
        let (quoted, newline) = ("\"q\".txt", "new\nline.txt")
        for name in ["a.txt", "b.txt", "c.txt", "d.txt", quoted, newline] {
            try s.commit(name, "base\n", message: "add", in: app)
        }
        let head = try s.git("rev-parse", "HEAD", in: app)
        try s.git("update-index", "--assume-unchanged", "--", "a.txt", "d.txt", quoted, newline, in: app)
        try s.git("update-index", "--skip-worktree", "b.txt", "c.txt", in: app)
        try s.write("a.txt", "edited under assume-unchanged\n", in: app)
        try s.write("b.txt", "edited under skip-worktree\n", in: app)
        try s.write(newline, "edited, with a newline in its name\n", in: app)
        try FileManager.default.removeItem(atPath: app + "/c.txt")
        try FileManager.default.removeItem(atPath: app + "/d.txt")
        #expect(try s.git("status", "--porcelain", in: app).isEmpty)
        let indexBefore = try Data(contentsOf: URL(fileURLWithPath: app + "/.git/index"))
        let look = ScriptOutput(try Self.run(.inventory, [app], in: s).stdout).sections(startingAt: "repo")[0]
        let commit = try #require(look["uncommitted"], "\(look.values)")
        #expect(look["theirs"] == "4", "\(look.values)")
        #expect(try s.git("show", "\(commit):a.txt", in: app) == "edited under assume-unchanged")
        #expect(try s.git("show", "\(commit):b.txt", in: app) == "edited under skip-worktree")
        #expect(try s.git("show", "\(commit):\(newline)", in: app) == "edited, with a newline in its name")
        #expect(try s.git("show", "\(commit):c.txt", in: app) == "base")
        #expect(try s.git("show", "\(commit):\(quoted)", in: app) == "base")
        #expect(try s.run("git", ["cat-file", "-e", "\(commit):d.txt"], in: app).status != 0, "d.txt was deleted")
        #expect(try Data(contentsOf: URL(fileURLWithPath: app + "/.git/index")) == indexBefore)
        let probe = ScriptOutput(try Self.run(.probe, [app, "none", head], in: s).stdout)
        #expect(probe["dirty"] != nil, "\(probe.values)")
        #expect(try s.git("show", "HEAD:a.txt", in: app) == "base")
        // marked and untouched: nothing
        try s.write("a.txt", "base\n", in: app)
        try s.write("b.txt", "base\n", in: app)
        try s.write(newline, "base\n", in: app)
        try s.write("d.txt", "base\n", in: app)
        let clean = ScriptOutput(try Self.run(.inventory, [app], in: s).stdout).sections(startingAt: "repo")[0]
        #expect(clean["changed"] == "0", "\(clean.values)")
    }

    /// A linked worktree moved with `mv` (not `git worktree move`): git's record of it still
    /// names the old place, and its uncommitted changes were passed over (an adversarial
    /// review). It is found by the `.git` file that points back at the record: beside the old
    /// place, or in the home directory.
    @Test func aWorktreeMovedWithMvStillHasItsChangesCounted() throws {
        let s = try Sandbox()
        let app = try s.makeRepo("app")
        let home = try #require(s.environment["HOME"])
        let (beside, moved) = (s.path("beside"), s.path("beside-renamed"))
        let (deep, deepMoved) = (home + "/deep", home + "/projects/x/deep-moved")
        for (path, content) in [(beside, "beside\n"), (deep, "deep\n")] {
            try s.git("worktree", "add", "-q", "--detach", path, in: app)
            try s.write("note.txt", content, in: path)
        }
        try FileManager.default.createDirectory(atPath: home + "/projects/x", withIntermediateDirectories: true)
        try FileManager.default.moveItem(atPath: beside, toPath: moved)
        try FileManager.default.moveItem(atPath: deep, toPath: deepMoved)
        let look = ScriptOutput(try Self.run(.inventory, [app], in: s).stdout).sections(startingAt: "repo")[0]
        #expect(look.all("risk").contains("uncommitted changes in the linked worktree \(moved)"), "\(look.values)")
        #expect(look.all("risk").contains("uncommitted changes in the linked worktree \(deepMoved)"), "\(look.values)")
        #expect(try s.git("show", "refs/git-sprite/worktrees/beside/uncommitted:note.txt", in: app) == "beside")
        #expect(try s.git("show", "refs/git-sprite/worktrees/deep/uncommitted:note.txt", in: app) == "deep")
    }

    /// What keeps a commit for good is a remote outside the sprite: one whose address is a
    /// path here (a mirror spelled file://, a bare repository the agent made) goes with the
    /// sprite. Only git-sprite's own mirror, by its plain path, was told apart (a review): a
    /// detached HEAD pushed to such a remote was not "unkept", and its branches never came home.
    @Test func aRemoteInTheSpriteKeepsNothing() throws {
        let s = try Sandbox()
        let app = try s.makeRepo("app")
        try s.git("checkout", "-q", "--detach", in: app)
        try s.commit("w.txt", "w\n", message: "work", in: app)
        let work = try s.git("rev-parse", "HEAD", in: app)
        _ = try s.run("git", ["init", "-q", "--bare", s.path("backup.git")])
        try s.git("remote", "add", "backup", "file://" + s.path("backup.git"), in: app)
        try s.git("remote", "add", "other", s.path("backup.git"), in: app)
        try s.git("push", "-q", "backup", "HEAD:refs/heads/keep", in: app)
        try s.git("fetch", "-q", "backup", in: app)
        try s.git("fetch", "-q", "other", in: app)
        let probe = ScriptOutput(try Self.run(.probe, [app, "keep", ""], in: s).stdout)
        #expect(probe["unkept"] == "1", "\(probe.values)")
        let look = ScriptOutput(try Self.run(.inventory, [app], in: s).stdout).sections(startingAt: "repo")[0]
        // (both commits: the first is on main, on no remote either)
        #expect(look["unpushed"] == "2", "\(look.values)")
        for remote in ["backup", "other"] {
            #expect(
                look.all("fetch").contains("refs/remotes/\(remote)/keep refs/remotes/\(remote)/keep"),
                "\(look.values)")
        }
        // nor a server on the sprite's own loopback, however it is spelled (a third review)
        for address in [
            "git://127.0.0.1:9/r.git", "ssh://localhost/r.git", "localhost:r.git", "ext::sh -c x",
            "https://user@127.0.0.1/r.git",
        ] {
            try s.git("remote", "set-url", "other", address, in: app)
            let probe = ScriptOutput(try Self.run(.probe, [app, "keep", ""], in: s).stdout)
            #expect(probe["unkept"] == "1", "\(address): \(probe.values)")
        }
        // a remote with a network address keeps it
        try s.git("remote", "set-url", "other", "https://example.invalid/x.git", in: app)
        try s.git("remote", "remove", "backup", in: app)
        let kept = ScriptOutput(try Self.run(.probe, [app, "keep", ""], in: s).stdout)
        #expect(kept["unkept"] == nil, "\(kept.values)")
        #expect(try s.git("rev-parse", "refs/remotes/other/keep", in: app) == work)
        // unless a remote in the sprite is named under it (other/bak): its branches are under
        // other's too, and counted as other's (a third review)
        try s.git("remote", "add", "other/bak", s.path("backup.git"), in: app)
        try s.git("update-ref", "-d", "refs/remotes/other/keep", in: app)
        try s.git("update-ref", "refs/remotes/other/bak/keep", work, in: app)
        let shadowed = ScriptOutput(try Self.run(.probe, [app, "keep", ""], in: s).stdout)
        #expect(shadowed["unkept"] == "1", "\(shadowed.values)")
        let under = ScriptOutput(try Self.run(.inventory, [app], in: s).stdout).sections(startingAt: "repo")[0]
        #expect(
            under.all("fetch").contains("refs/remotes/other/bak/keep refs/remotes/other/bak/keep"), "\(under.values)")
    }

    /// The agent commits in a submodule, pins that commit in the superproject, then checks the
    /// submodule out elsewhere: the superproject's branch came home pinning a commit that only
    /// the submodule's reflog held, and a destroy took it (a review). A pin nothing lasting
    /// holds is given a ref and comes home.
    @Test func aCommitTheSuperprojectPinsComesHomeThoughTheSubmoduleMovedOff() throws {
        let s = try Sandbox()
        let app = try s.makeAppWithNestedSubmodules()
        let lib = app + "/libs/lib"
        let before = try s.git("rev-parse", "HEAD", in: lib)
        try s.git("checkout", "-q", "--detach", in: lib)
        try s.commit("pinned.txt", "p\n", message: "pinned", in: lib)
        let pinned = try s.git("rev-parse", "HEAD", in: lib)
        try s.git("add", "libs/lib", in: app)
        try s.git("commit", "-qm", "pin lib", in: app)
        try s.git("checkout", "-q", "--detach", before, in: lib)
        let sections = ScriptOutput(try Self.run(.inventory, [app], in: s).stdout).sections(startingAt: "repo")
        let section = try #require(sections.first { $0["repo"] == "libs/lib" })
        #expect(section.all("fetch").contains("refs/git-sprite/pins/\(pinned) pins/\(pinned)"), "\(section.values)")
        #expect(try s.git("rev-parse", "refs/git-sprite/pins/\(pinned)", in: lib) == pinned)
        // once a branch holds it, no pin ref: the next look takes it away
        try s.git("branch", "keep", pinned, in: lib)
        let again = ScriptOutput(try Self.run(.inventory, [app], in: s).stdout).sections(startingAt: "repo")
        #expect(again.first { $0["repo"] == "libs/lib" }?.all("fetch").contains { $0.contains("pins/") } == false)
        #expect(try s.git("for-each-ref", "refs/git-sprite/pins/", in: lib).isEmpty)
        // a pin only staged there (`git add` of the submodule, which status passes over; a
        // third review)
        try s.commit("staged.txt", "s\n", message: "staged pin", in: lib)
        let staged = try s.git("rev-parse", "HEAD", in: lib)
        try s.git("add", "libs/lib", in: app)
        try s.git("checkout", "-q", "--detach", before, in: lib)
        let third = ScriptOutput(try Self.run(.inventory, [app], in: s).stdout).sections(startingAt: "repo")
        #expect(
            third.first { $0["repo"] == "libs/lib" }?.all("fetch").contains(
                "refs/git-sprite/pins/\(staged) pins/\(staged)") == true)
    }

    @Test func lockLetsOneHolderAtATimeAndEndsWithItsInput() throws {
        let s = try Sandbox()
        let path = s.path("state/up.lock"), staging = s.path("state/staging")
        try s.write("leftover-1/x", "of a killed run", in: staging)
        func holder() throws -> (Process, Pipe, Pipe) {
            let p = Process(), input = Pipe(), output = Pipe()
            p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            p.arguments = InSpriteScript.lock.argv([path, "1", staging])
            (p.standardInput, p.standardOutput, p.standardError) = (input, output, FileHandle.nullDevice)
            try p.runWithSignalsUnblocked()
            return (p, input, output)
        }
        let (first, firstInput, firstOutput) = try holder()
        // the first holder ever is told so: nothing can have been shipped before it
        #expect(String(decoding: firstOutput.fileHandleForReading.availableData, as: UTF8.self) == "locked first\n")
        // the holder empties the staging directory (what is there, earlier runs left)
        #expect(try FileManager.default.contentsOfDirectory(atPath: staging).isEmpty)
        try s.write("mine-1/x", "this run's", in: staging)
        // a second waits, and gives up when the wait runs out
        let second = try Self.run(.lock, [path, "1", staging], in: s)
        #expect(second.status == 75 && second.stdout == "waiting\n", "\(second.stdout)")
        // a run that waits never touches the holder's staging
        #expect(FileManager.default.fileExists(atPath: staging + "/mine-1/x"))
        // the first ends with its input, and the lock is free again
        try firstInput.fileHandleForWriting.close()
        first.waitForExit(within: 30, "the first lock holder")
        #expect(first.terminationStatus == 0)
        let third = try s.run(
            "sh", ["-c", "exec 0</dev/null; exec \"$@\"", "sh"] + InSpriteScript.lock.argv([path, "1", staging]))
        // the next holder is not the first: a run held it (and may have shipped) before
        #expect(third.status == 0 && third.stdout == "locked\n", "\(third.stdout)\(third.stderr)")
    }

    /// The lock's holder runs the look it is given (the script, then a line of its arguments,
    /// on stdin) and prints its answer after `locked`, ended by `probed=STATUS`.
    @Test func lockRunsTheLookItIsGivenOnceItHoldsTheLock() throws {
        let s = try Sandbox()
        let path = s.path("state/up.lock"), staging = s.path("state/staging")
        let repo = try s.makeRepo("repo")
        let head = try s.git("rev-parse", "HEAD", in: repo)
        let probe = InSpriteScript.probe.text
        func lock(looking dir: String, input: String) throws -> RunResult {
            let argv = InSpriteScript.lock.argv([path, "5", staging, "", "", String(probe.utf8.count), dir])
            return try s.run(argv[0], Array(argv.dropFirst()), stdin: input)
        }
        let found = try lock(looking: repo, input: probe + "none \(head)\n")
        let lines = found.stdout.split(separator: "\n").map(String.init)
        #expect(found.status == 0 && lines.first == "locked first" && lines.last == "probed=0", "\(found.stdout)")
        let answer = ScriptOutput(lines.dropFirst().dropLast().joined(separator: "\n"))
        #expect(answer.values == ["state": "exists", "head": head, "branch": "main"], "\(found.stdout)")
        // a path with no repository
        let missing = try lock(looking: s.path("nothing"), input: probe + "none \(head)\n")
        #expect(missing.stdout == "locked\nstate=missing\nprobed=0\n", "\(missing.stdout)")
        // input that ends before the arguments: the look fails, the lock is still taken and let go
        let cut = try lock(looking: repo, input: String(probe.prefix(100)))
        #expect(cut.status == 0 && cut.stdout.hasPrefix("locked\n"), "\(cut.stdout)")
        #expect(cut.stdout.hasSuffix("\nprobed=4\n") && !cut.stdout.contains("state="), "\(cut.stdout)")
    }

    @Test func packagesDoNothingWhenAllAreInstalledAndFailOnOneThatIsNot() throws {
        let s = try Sandbox()
        let present = try Self.run(.installPackages, ["dpkg", "coreutils=0.0-any"], in: s)
        #expect(present.status == 0 && present.stdout.isEmpty && present.stderr.isEmpty, "\(present.stderr)")
        let absent = try Self.run(.installPackages, ["dpkg", "git-sprite-no-such-package"], in: s)
        #expect(absent.status != 0)
    }

    /// The supervisor with its paths moved from /home/sprite into a sandbox.
    static func supervisor(in s: Sandbox) throws -> (argv: [String], state: String) {
        let home = s.path("home")
        try FileManager.default.createDirectory(atPath: home + "/.git-sprite", withIntermediateDirectories: true)
        let text = InSpriteScript.agentSupervisor.text.replacingOccurrences(of: SpritePaths.home, with: home)
        return (["sh", "-c", text, InSpriteScript.agentSupervisor.name], home + "/.git-sprite")
    }

    @Test func theSupervisorReportsAnAgentThatDiesAtOnceWithItsStatusAndScreen() throws {
        let s = try Sandbox()
        let (argv, state) = try Self.supervisor(in: s)
        let r = try s.run(argv[0], Array(argv.dropFirst()) + ["sess", "sh", "-c", "echo last-words; exit 7"])
        #expect(r.status == 7, "\(r.stderr)")
        let failed = try String(contentsOfFile: state + "/agent.failed", encoding: .utf8)
        #expect(failed.hasPrefix("exit status 7\n"), "\(failed)")
        #expect(failed.contains("last-words"))
        #expect(!FileManager.default.fileExists(atPath: state + "/agent.failed.new"))
    }

    @Test func theSupervisorKeepsTheAgentInTmuxAndEndsItWhenStopped() throws {
        let s = try Sandbox()
        let (argv, state) = try Self.supervisor(in: s)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        // a one-word command is exec'd as a word, never split: this one has a space in its name
        let agent = try s.writeExecutable("bin/my agent", "#!/bin/sh\nexec sleep 100000\n")
        p.arguments = argv + ["sess", agent]
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.runWithSignalsUnblocked()
        let tmux = ["tmux", "-S", state + "/tmux.sock"]
        func alive() -> Bool {
            (try? s.run(tmux[0], Array(tmux.dropFirst()) + ["has-session", "-t", "=sess"]).status) == 0
        }
        // a supervisor that failed to end its agent leaves a tmux server that outlives the test
        defer { _ = try? s.run(tmux[0], Array(tmux.dropFirst()) + ["kill-server"]) }
        #expect(eventually(seconds: 10) { alive() })
        #expect(FileManager.default.fileExists(atPath: state + "/agent.started"))
        p.terminate()
        p.waitForExit(within: 30, "the supervisor")
        guard !p.isRunning else { return }
        #expect(p.terminationStatus == 143)
        #expect(!alive())
        #expect(!FileManager.default.fileExists(atPath: state + "/agent.failed"))
    }

    @Test func claudeHooksAreValidJSONThatRunTheStateHookAndAUsersOwnSettingsAreKept() throws {
        let s = try Sandbox()
        let home = s.path("home")
        let hook = "/home/sprite/.git-sprite/agent-hook"
        let argv = InSpriteScript.installClaudeHooks.argv([hook])
        let r = try s.run(argv[0], Array(argv.dropFirst()), env: ["HOME": home])
        #expect(ScriptOutput(r.stdout)["hooks"] == "installed", "\(r.stderr)")
        let data = try Data(contentsOf: URL(fileURLWithPath: home + "/.claude/settings.json"))
        let settings = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        for (event, state) in [
            ("UserPromptSubmit", "working"), ("PreToolUse", "working"), ("Notification", "waiting"),
            ("Stop", "finished"),
        ] {
            #expect(settings[path: "hooks.\(event).0.hooks.0.command"] as? String == "sh \(hook) \(state)", "\(event)")
            #expect(settings[path: "hooks.\(event).0.hooks.0.type"] as? String == "command")
        }
        // a notification waits only for a permission prompt or a question, never the idle reminder
        #expect(settings[path: "hooks.Notification.0.matcher"] as? String == "permission_prompt|elicitation_dialog")
        // written again over our own file; a file of the user's own is left alone
        #expect(
            ScriptOutput(try s.run(argv[0], Array(argv.dropFirst()), env: ["HOME": home]).stdout)["hooks"]
                == "installed")
        try s.write(".claude/settings.json", "{\"model\": \"mine\"}\n", in: home)
        #expect(
            ScriptOutput(try s.run(argv[0], Array(argv.dropFirst()), env: ["HOME": home]).stdout)["hooks"] == "kept")
        #expect(
            try String(contentsOfFile: home + "/.claude/settings.json", encoding: .utf8) == "{\"model\": \"mine\"}\n")
    }

    /// Claude Code's hooks as documented, fed as Claude feeds them (its matchers, the JSON on
    /// stdin, through `sh -c`): the state follows the turn, and the idle reminder that comes a
    /// minute after `Stop` leaves it finished, whatever settings file the sprite holds.
    @Test func claudesDocumentedHookPayloadsDriveTheStateAndTheIdleReminderLeavesFinished() throws {
        let s = try Sandbox()
        let home = s.path("home")
        let state = home + "/.git-sprite"
        try FileManager.default.createDirectory(atPath: state, withIntermediateDirectories: true)
        let hook = state + "/agent-hook"
        try s.write(
            ".git-sprite/agent-hook",
            InSpriteScript.agentHook.text.replacingOccurrences(of: SpritePaths.home, with: home),
            in: home)
        let install = InSpriteScript.installClaudeHooks.argv([hook])
        #expect(
            ScriptOutput(try s.run(install[0], Array(install.dropFirst()), env: ["HOME": home]).stdout)["hooks"]
                == "installed")
        let settings = home + "/.claude/settings.json"
        func common(_ event: String) -> [String: Any] {
            [
                "session_id": "0a1b2c3d", "transcript_path": home + "/.claude/projects/x/0a1b2c3d.jsonl", "cwd": home,
                "permission_mode": "default", "hook_event_name": event,
            ]
        }
        func notification(_ type: String, _ message: String) -> [String: Any] {
            common("Notification").merging(["notification_type": type, "message": message, "title": "Claude Code"]) {
                $1
            }
        }
        let prompt = common("UserPromptSubmit").merging(["prompt": "fix the build"]) { $1 }
        let tool = common("PreToolUse").merging([
            "tool_name": "Bash", "tool_input": ["command": "make"],
            "tool_use_id": "toolu_01",
        ]) { $1 }
        let stop = common("Stop").merging(["stop_hook_active": false, "last_assistant_message": "Done."]) { $1 }
        let idle = notification("idle_prompt", "Claude is waiting for your input")
        func current() -> String {
            ((try? String(contentsOfFile: state + "/agent.state", encoding: .utf8)) ?? "").split(separator: " ").first
                .map(String.init) ?? "none"
        }
        func feed(_ payload: [String: Any]) throws -> String {
            let events = String(decoding: try JSONSerialization.data(withJSONObject: [payload]), as: UTF8.self)
            let r = try s.run(
                "python3", [Self.claudeHooks, "dispatch", settings, events], env: ["HOME": home])
            #expect(r.status == 0, "\(r.stderr)")
            return current()
        }
        #expect(try feed(prompt) == "working")
        #expect(try feed(tool) == "working")
        #expect(try feed(notification("permission_prompt", "Claude needs your permission to use Bash")) == "waiting")
        #expect(try feed(tool) == "working")
        #expect(try feed(notification("elicitation_dialog", "Claude Code needs your input")) == "waiting")
        #expect(try feed(prompt) == "working")
        #expect(try feed(stop) == "finished")
        #expect(try feed(idle) == "finished")
        #expect(try feed(notification("auth_success", "Signed in")) == "finished")

        // the hook itself holds too, under a settings file that sends every notification
        // (an older git-sprite wrote "*"), and for a Claude without notification_type
        func direct(_ argument: String, _ payload: [String: Any]?) throws -> String {
            let input = try payload.map {
                String(decoding: try JSONSerialization.data(withJSONObject: $0), as: UTF8.self)
            }
            _ = try s.run("sh", [hook, argument], env: ["HOME": home], stdin: input ?? "")
            return current()
        }
        #expect(try direct("waiting", idle) == "finished")
        #expect(
            try direct(
                "waiting", common("Notification").merging(["message": "Claude is waiting for your input"]) { $1 })
                == "finished")
        #expect(try direct("waiting", notification("permission_prompt", "Claude needs your permission")) == "waiting")
        // a stand-in agent that says so without a payload is believed
        #expect(try direct("finished", nil) == "finished")
        #expect(try direct("waiting", nil) == "waiting")
        #expect(try direct("root-me", nil) == "waiting")
    }

    /// The state hook and the look read by `status` and `wait`, on a real tmux session.
    @Test func theLookReadsTheHookStateTheWorkspaceAndAnExitedAgent() throws {
        let s = try Sandbox()
        let home = s.path("home")
        let state = home + "/.git-sprite"
        try FileManager.default.createDirectory(atPath: state, withIntermediateDirectories: true)
        // the scripts with the sprite's home moved to the sandbox's
        func local(_ script: InSpriteScript, _ args: [String]) throws -> RunResult {
            try s.run(
                "sh", ["-c", script.text.replacingOccurrences(of: SpritePaths.home, with: home), script.name] + args,
                in: s.root)
        }
        let repo = try s.makeRepo("repo")
        let shipped = try s.git("rev-parse", "HEAD", in: repo)
        func look() throws -> ScriptOutput {
            ScriptOutput(try local(.agentLook, ["sess", repo, shipped, "not-a-commit"]).stdout)
        }
        #expect(try look()["agent"] == "none")
        #expect(try look()["running"] == nil, "no heartbeats yet")
        // heartbeats a minute apart while the sprite ran; a gap over 90 s is a sleep, not counted
        try s.write("activity", "1000\n1060\n1120\n5000\n5060\n", in: state)
        #expect(try look()["running"] == "180")
        // the agent in tmux, started by its supervisor as the sprite's service does
        let (argv, _) = try Self.supervisor(in: s)
        let supervisor = Process()
        supervisor.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        supervisor.arguments = argv + ["sess", "sleep", "100000"]
        supervisor.standardOutput = FileHandle.nullDevice
        supervisor.standardError = FileHandle.nullDevice
        try supervisor.runWithSignalsUnblocked()
        defer { if supervisor.isRunning { supervisor.terminate() } }
        #expect(eventually(seconds: 10) { (try? look())?["agent"] == "running" })
        var out = try look()
        #expect(out["agent"] == "running" && out["state"] == nil && out["activity"] != nil, "\(out.values)")
        #expect(out["unfetched"] == "0" && out["changed"] == "0")
        // the hook, as Claude Code runs it: JSON on stdin, the state as its argument
        _ = try local(.agentHook, ["waiting"])
        try s.commit("new.txt", "new\n", message: "agent's", in: repo)
        try s.write("file.txt", "edited\n", in: repo)
        out = try look()
        #expect(out["state"] == "waiting" && out["since"] != nil, "\(out.values)")
        #expect(out["unfetched"] == "1" && out["changed"] == "1", "\(out.values)")
        // an unknown state is ignored
        _ = try local(.agentHook, ["root-me"])
        #expect(try look()["state"] == "waiting")
        supervisor.terminate()
        supervisor.waitForExit(within: 30, "the supervisor")
        try s.write("agent.status", "3\n", in: state)
        out = try look()
        #expect(out["agent"] == "exited" && out["exit"] == "3", "\(out.values)")
    }
}
