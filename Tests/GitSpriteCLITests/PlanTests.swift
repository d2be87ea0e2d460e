import Foundation
import TestSupport
import Testing

/// The shared `Workspace` with more for `plan` to report: credentials in the origin URL, a
/// staged file, two untracked files under `notes/`, a third unpushed commit (`.gitignore`), an
/// ignored file, and a linked worktree on `feature/wt`.
private struct PlanWorkspace {
    let sandbox: Sandbox
    let app: String
    let worktree: String
    let tools: String
    let notes: String

    init() throws {
        let w = try Workspace(remoteURL: "https://alice:s3cr3t-token@example.com/acme/app.git")
        let s = w.sandbox
        (sandbox, app, tools, notes) = (s, w.app, w.tools, w.notes)
        try s.write("staged.txt", "staged\n", in: app)
        try s.git("add", "staged.txt", in: app)
        try s.write("notes/untracked-a.txt", "a\n", in: app)
        try s.write("notes/untracked-b.txt", "b\n", in: app)
        try s.commit(".gitignore", "*.log\n", message: "ignore logs", in: app)
        try s.write("debug.log", "ignored\n", in: app)
        worktree = s.path("app-wt")
        try s.git("worktree", "add", "-q", "-b", "feature/wt", worktree, in: app)
    }
}

@Suite("git sprite plan, in-process", .offThePool)
struct PlanTests {
    @Test func planReportsEveryFieldOfTheWorkspace() throws {
        let w = try PlanWorkspace()
        let s = w.sandbox
        let head = try s.git("rev-parse", "HEAD", in: w.app)
        let libCommit = try s.git("rev-parse", "HEAD:libs/lib", in: w.app)
        let innerCommit = try s.git("rev-parse", "HEAD:vendor/inner", in: w.app + "/libs/lib")

        let r = try s.spriteInProcess(["plan", "--json"], in: w.app)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(!r.stdout.contains("s3cr3t") && !r.stderr.contains("s3cr3t") && !r.stdout.contains("alice"))
        let j = try r.json()
        #expect(j[path: "version"] as? Int == 1)
        #expect(j[path: "sprite.name"] as? String == "app-main")
        #expect(j[path: "sprite.source"] as? String == "branch")
        #expect(j[path: "primary.mount"] == nil)
        #expect(j[path: "primary.localPath"] as? String == w.app)
        #expect(j[path: "primary.spritePath"] as? String == "/home/sprite/workspace")
        #expect(j[path: "primary.branch"] as? String == "main")
        #expect(j[path: "primary.detached"] as? Bool == false)
        #expect(j[path: "primary.head"] as? String == head)
        #expect(j[path: "primary.remote.name"] as? String == "origin")
        #expect(j[path: "primary.remote.url"] as? String == "https://example.com/acme/app.git")
        #expect(j[path: "primary.upstream.ref"] as? String == "refs/remotes/origin/main")
        #expect(j[path: "primary.upstream.ahead"] as? Int == 3)
        #expect(j[path: "primary.upstream.behind"] as? Int == 0)
        #expect(j[path: "primary.changes.modified"] as? Int == 1)
        #expect(j[path: "primary.changes.staged"] as? Int == 1)
        #expect(j[path: "primary.changes.untracked"] as? Int == 3)
        #expect(j[path: "primary.changes.conflicted"] as? Int == 0)
        #expect(j[path: "primary.transport.method"] as? String == "clone+tunnel")
        #expect(j[path: "primary.transport.localCommits"] as? Int == 3)
        #expect(j[path: "primary.transport.snapshot"] as? Bool == true)

        #expect(j[path: "primary.submodules.0.name"] as? String == "libs/lib")
        #expect(j[path: "primary.submodules.0.path"] as? String == "libs/lib")
        #expect(j[path: "primary.submodules.0.spritePath"] as? String == "/home/sprite/workspace/libs/lib")
        #expect(j[path: "primary.submodules.0.url"] as? String == "../lib.git")
        #expect(j[path: "primary.submodules.0.resolvedUrl"] as? String == "https://example.com/acme/lib.git")
        #expect(j[path: "primary.submodules.0.commit"] as? String == libCommit)
        #expect(j[path: "primary.submodules.0.initialized"] as? Bool == true)
        #expect(j[path: "primary.submodules.0.transport.method"] as? String == "clone")
        let nested = "primary.submodules.0.submodules.0"
        #expect(j[path: "\(nested).path"] as? String == "vendor/inner")
        #expect(j[path: "\(nested).spritePath"] as? String == "/home/sprite/workspace/libs/lib/vendor/inner")
        #expect(j[path: "\(nested).url"] as? String == "../inner.git")
        #expect(j[path: "\(nested).resolvedUrl"] as? String == "https://example.com/acme/inner.git")
        #expect(j[path: "\(nested).commit"] as? String == innerCommit)
        #expect(j[path: "\(nested).initialized"] as? Bool == true)

        let linked = try #require(j["linked"] as? [[String: Any]])
        #expect(linked.count == 2)
        #expect(linked[0][path: "mount"] as? String == "notes")
        #expect(linked[0][path: "localPath"] as? String == w.notes)
        #expect(linked[0][path: "spritePath"] as? String == "/home/sprite/repos/notes")
        #expect(linked[0][path: "remote"] == nil)
        #expect(linked[0][path: "transport.method"] as? String == "tunnel")
        #expect(linked[0][path: "transport.reason"] as? String == "no remote")
        #expect(linked[0][path: "head"] as? String == (try s.git("rev-parse", "HEAD", in: w.notes)))
        #expect(linked[1][path: "mount"] as? String == "tools")
        #expect(linked[1][path: "spritePath"] as? String == "/home/sprite/repos/tools")
        #expect(linked[1][path: "branch"] as? String == "main")
        #expect(linked[1][path: "remote.url"] as? String == s.path("remotes/tools.git"))
        #expect(linked[1][path: "transport.method"] as? String == "tunnel")
        #expect((linked[1][path: "transport.reason"] as? String)?.contains("local path") == true)
    }

    @Test func planFromALinkedWorktreeUsesItsBranchAndSharedLinks() throws {
        let w = try PlanWorkspace()
        let r = try w.sandbox.spriteInProcess(["plan", "--json"], in: w.worktree)
        #expect(r.status == 0, "\(r.stderr)")
        let j = try r.json()
        #expect(j[path: "primary.localPath"] as? String == w.worktree)
        #expect(j[path: "primary.branch"] as? String == "feature/wt")
        #expect(j[path: "primary.upstream"] == nil)
        #expect((j[path: "sprite.name"] as? String)?.hasPrefix("app-feature-wt-") == true)
        #expect((j[path: "sprite.name"] as? String)?.count == "app-feature-wt-".count + 8)
        #expect((j["linked"] as? [Any])?.count == 2)
    }

    @Test func humanPlanIsATreeOnStdoutWithWarningsOnStderr() throws {
        let w = try PlanWorkspace()
        let r = try w.sandbox.spriteInProcess(["plan"], in: w.app)
        #expect(r.status == 0)
        #expect(r.stdout.hasPrefix("sprite app-main\n"))
        #expect(r.stdout.contains("/home/sprite/workspace <- \(w.app)"))
        #expect(r.stdout.contains("/home/sprite/repos/tools <- \(w.tools)"))
        #expect(r.stdout.contains("clone from origin, then 3 local commits through the tunnel"))
        #expect(r.stdout.contains("vendor/inner"))
        #expect(!r.stdout.contains("s3cr3t"))
    }

    @Test func planRunsFromASubdirectoryWithDashCAndWithGitDir() throws {
        let w = try PlanWorkspace()
        let s = w.sandbox
        let sub = try s.spriteInProcess(["plan", "--json"], in: w.app + "/notes")
        #expect(try sub.json()[path: "primary.localPath"] as? String == w.app)
        let dashC = try s.spriteInProcess(["plan", "--json"], in: s.root, gitArgs: ["-C", w.app])
        #expect(try dashC.json()[path: "primary.localPath"] as? String == w.app)
        let env = try s.spriteInProcess(
            ["plan", "--json"], in: s.root,
            env: ["GIT_DIR": w.app + "/.git", "GIT_WORK_TREE": w.app])
        #expect(env.status == 0, "\(env.stderr)")
        #expect(try env.json()[path: "primary.localPath"] as? String == w.app)
        // a work tree whose repository is found only through GIT_DIR (a dotfile manager's bare
        // repository): up created the sprite, then every git command failed ("not a git
        // repository"), and the empty sprite was left (a review). It is refused first.
        let bare = s.path("dotfiles.git"), home = s.path("home-tree")
        try s.git("clone", "-q", "--bare", w.app, bare)
        try FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: true)
        let split = try s.spriteInProcess(["plan"], in: home, env: ["GIT_DIR": bare, "GIT_WORK_TREE": home])
        #expect(split.status == 128, "\(split.status) \(split.stderr)")
        #expect(split.stderr.contains("has no .git of its own"), "\(split.stderr)")
        #expect(split.stderr.contains("hint: make a worktree of it"), "\(split.stderr)")
    }

    /// What `up` cannot ship as you have it is said before it ships (a review of its
    /// fidelity): a submodule checked out away from the commit the superproject records, or
    /// with uncommitted changes, reaches the sprite at the recorded commit; files a
    /// `.gitattributes` filter (LFS, git-crypt) turns arrive as git stores them.
    @Test func whatTheSpriteGetsOtherwiseThanYouHaveItIsSaid() throws {
        let w = try PlanWorkspace()
        let s = w.sandbox
        let clean = try s.spriteInProcess(["plan", "--json"], in: w.app).json()
        #expect((clean["warnings"] as? [String])?.isEmpty == true, "\(clean)")
        try s.write("edited.txt", "mine\n", in: w.app + "/libs/lib")
        try s.commit(".gitattributes", "*.bin filter=lfs diff=lfs merge=lfs -text\n", message: "lfs", in: w.app)
        let r = try s.spriteInProcess(["plan", "--json"], in: w.app)
        let warnings = try #require(try r.json()["warnings"] as? [String], "\(r.stdout)")
        #expect(
            warnings.contains { $0.hasPrefix("submodule libs/lib in ") && $0.contains("has uncommitted changes over") },
            "\(warnings)")
        #expect(warnings.contains { $0.contains("files with a .gitattributes filter (lfs)") }, "\(warnings)")
        try s.git("commit", "-qm", "moved", "--allow-empty", in: w.app + "/libs/lib")
        let moved = try s.spriteInProcess(["plan", "--json"], in: w.app).json()["warnings"] as? [String] ?? []
        #expect(moved.contains { $0.contains("libs/lib") && $0.contains("is checked out at") }, "\(moved)")
        // the sprite gets the commit HEAD records: staging the new one is not enough, as the
        // hint said it was
        try s.git("add", "libs/lib", in: w.app)
        let staged = try s.spriteInProcess(["plan", "--json"], in: w.app).json()["warnings"] as? [String] ?? []
        #expect(
            staged.contains { $0.contains("is checked out at") && $0.contains("git add libs/lib && git commit") },
            "\(staged)")
    }

    @Test func insideASubmoduleTheSubmoduleIsThePrimaryRepo() throws {
        let w = try PlanWorkspace()
        let r = try w.sandbox.spriteInProcess(["plan", "--json"], in: w.app + "/libs/lib")
        #expect(r.status == 0, "\(r.stderr)")
        let j = try r.json()
        #expect(j[path: "primary.localPath"] as? String == w.app + "/libs/lib")
        #expect(j[path: "primary.submodules.0.path"] as? String == "vendor/inner")
        #expect((j[path: "sprite.name"] as? String)?.hasPrefix("lib-") == true)
    }

    /// What libgit2 reads on its own (a remote's `insteadOf`, status's `core.excludesFile`)
    /// comes from the files git reads too: here a global file named by `GIT_CONFIG_GLOBAL`,
    /// in a test process whose own HOME has neither.
    @Test func libgit2sOwnLookupsReadTheFilesGitReads() throws {
        let s = try Sandbox()
        let repo = try s.makeRepo("r")
        try s.git("remote", "add", "origin", "gh:acme/r.git", in: repo)
        try s.write("ignored.txt", "x\n", in: repo)
        try s.write("excludes", "ignored.txt\n", in: s.path("elsewhere"))
        try s.write(
            "global.cfg",
            "[url \"https://github.com/\"]\n\tinsteadOf = gh:\n[core]\n\texcludesFile = \(s.path("elsewhere/excludes"))\n",
            in: s.path("elsewhere"))
        let pointed = ["GIT_CONFIG_GLOBAL": s.path("elsewhere/global.cfg")]
        let r = try s.spriteInProcess(["plan", "--json"], in: repo, env: pointed)
        #expect(r.status == 0, "\(r.stderr)")
        let j = try r.json()
        #expect(j[path: "primary.remote.url"] as? String == "https://github.com/acme/r.git", "\(r.stdout)")
        // git agrees the file is ignored, so it is not an untracked change
        #expect(try s.git("status", "--porcelain", in: repo, env: pointed).isEmpty)
        #expect(j[path: "primary.changes.untracked"] as? Int == 0, "\(r.stdout)")
    }

    @Test func insteadOfRewritingAppliesToTheRemoteURL() throws {
        let s = try Sandbox()
        let repo = try s.makeRepo("r")
        try s.git("remote", "add", "origin", "gh:acme/r.git", in: repo)
        try s.git("config", "url.https://github.com/.insteadOf", "gh:", in: repo)
        let j = try s.spriteInProcess(["plan", "--json"], in: repo).json()
        #expect(j[path: "primary.remote.url"] as? String == "https://github.com/acme/r.git")
        #expect(j[path: "primary.transport.method"] as? String == "clone+tunnel")
    }
}
