import Foundation
import TestSupport
import Testing

/// Every bad input: a one-line error with a hint, a non-zero exit, nothing on stdout.
@Suite("bad input, in-process", .offThePool)
struct BadInputTests {
    private func expectError(
        _ r: RunResult, status: Int32, contains text: String,
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        #expect(r.status == status, "stderr: \(r.stderr)", sourceLocation: sourceLocation)
        #expect(r.stdout.isEmpty, "stdout: \(r.stdout)", sourceLocation: sourceLocation)
        let lines = r.stderr.split(separator: "\n")
        #expect(lines.first?.hasPrefix("error: ") == true, "\(r.stderr)", sourceLocation: sourceLocation)
        #expect(lines.first?.contains(text) == true, "\(r.stderr)", sourceLocation: sourceLocation)
        #expect(lines.dropFirst().contains { $0.hasPrefix("hint: ") }, "\(r.stderr)", sourceLocation: sourceLocation)
    }

    /// `-v` is the parser's: one in the remote command's arguments is the remote command's.
    @Test func aDashVForTheRemoteCommandIsNotVerbose() throws {
        let s = try Sandbox()
        let repo = try s.makeRepo("app")
        let env = ["SPRITES_TOKEN": "t", "SPRITES_API_URL": "http://127.0.0.1:9"]
        let quiet = try s.spriteInProcess(["exec", "box", "--", "grep", "-v", "x"], in: repo, env: env)
        expectError(quiet, status: 1, contains: "cannot reach the Sprites API")
        #expect(!quiet.stderr.contains("detail: "), "\(quiet.stderr)")
        let verbose = try s.spriteInProcess(["exec", "-v", "box", "--", "grep", "x"], in: repo, env: env)
        #expect(verbose.stderr.contains("detail: "), "\(verbose.stderr)")
    }

    @Test func outsideARepositoryExits128() throws {
        let s = try Sandbox()
        try FileManager.default.createDirectory(atPath: s.path("plain"), withIntermediateDirectories: true)
        let r = try s.spriteInProcess(["plan"], in: s.path("plain"), env: ["GIT_CEILING_DIRECTORIES": s.root])
        expectError(r, status: 128, contains: "not a git repository")
    }

    @Test func aBareRepositoryNeedsAWorkTree() throws {
        let s = try Sandbox()
        let bare = try s.makeRemote("bare")
        let r = try s.spriteInProcess(["plan"], in: bare)
        expectError(r, status: 128, contains: "bare repository")
    }

    @Test func anUnbornBranchIsPlannedWithAWarning() throws {
        let s = try Sandbox()
        let repo = try s.makeRepo("empty", commit: false)
        let r = try s.spriteInProcess(["plan", "--json"], in: repo)
        #expect(r.status == 0, "\(r.stderr)")
        let j = try r.json()
        #expect(j[path: "primary.head"] == nil)
        #expect(j[path: "primary.branch"] as? String == "main")
        #expect(j[path: "primary.transport.method"] as? String == "none")
        #expect(j[path: "sprite.name"] as? String == "empty-main")
        #expect((j["warnings"] as? [String])?.first?.contains("no commits yet") == true)
    }

    @Test func aDetachedHeadNamesTheSpriteAfterTheCommit() throws {
        let s = try Sandbox()
        let repo = try s.makeRepo("det")
        let head = try s.git("rev-parse", "HEAD", in: repo)
        try s.git("checkout", "-q", "--detach", in: repo)
        let j = try s.spriteInProcess(["plan", "--json"], in: repo).json()
        #expect(j[path: "sprite.name"] as? String == "det-" + head.prefix(7))
        #expect(j[path: "sprite.source"] as? String == "detached")
        #expect(j[path: "primary.detached"] as? Bool == true)
        #expect(j[path: "primary.branch"] == nil)
    }

    @Test func noRemoteAndALocalPathRemoteTravelThroughTheTunnel() throws {
        let s = try Sandbox()
        let repo = try s.makeRepo("solo")
        var j = try s.spriteInProcess(["plan", "--json"], in: repo).json()
        #expect(j[path: "primary.transport.method"] as? String == "tunnel")
        #expect(j[path: "primary.transport.reason"] as? String == "no remote")
        #expect(j[path: "primary.remote"] == nil)
        let bare = try s.makeRemote("upstream")
        try s.git("remote", "add", "origin", bare, in: repo)
        j = try s.spriteInProcess(["plan", "--json"], in: repo).json()
        #expect(j[path: "primary.transport.method"] as? String == "tunnel")
        #expect(j[path: "primary.transport.reason"] as? String == "remote origin is a local path")
        #expect(j[path: "primary.remote.url"] as? String == bare)
    }

    @Test func credentialsInRemoteURLsAreNeverPrinted() throws {
        let s = try Sandbox()
        let repo = try s.makeRepo("creds")
        try s.git("remote", "add", "origin", "https://bob:ghp_SECRET123@example.com/o/creds.git", in: repo)
        try s.git("config", "submodule.x.url", "https://bob:ghp_SECRET123@example.com/o/x.git", in: repo)
        for args in [["plan"], ["plan", "--json"], ["config"], ["config", "--json"], ["plan", "-v"]] {
            let r = try s.spriteInProcess(args, in: repo)
            #expect(!r.stdout.contains("SECRET") && !r.stderr.contains("SECRET"), "\(args)")
            #expect(!r.stdout.contains("bob:"), "\(args)")
        }
    }

    @Test func submodulesWithMissingURLOrUninitialisedPathAreReported() throws {
        let s = try Sandbox()
        try s.makeRemote("lib")
        let app = try s.makeRepo("app")
        try s.git("remote", "add", "origin", "https://example.com/o/app.git", in: app)
        try s.git("submodule", "add", "-q", s.path("remotes/lib.git"), "uninit", in: app)
        try s.git("submodule", "add", "-q", s.path("remotes/lib.git"), "nourl", in: app)
        try s.git("commit", "-q", "-m", "subs", in: app)
        // remove the work tree copy of one and the URL of the other
        try s.git("submodule", "deinit", "-q", "-f", "uninit", in: app)
        try s.git("config", "-f", ".gitmodules", "--unset", "submodule.nourl.url", in: app)
        try s.git("config", "--unset", "submodule.nourl.url", in: app)
        // and a repository git add took in: a gitlink with no .gitmodules entry at all
        _ = try s.makeRepo("app/taken")
        try s.git("add", "taken", in: app)
        try s.git("commit", "-q", "-m", "taken", in: app)
        let r = try s.spriteInProcess(["plan", "--json"], in: app)
        #expect(r.status == 0, "\(r.stderr)")
        let j = try r.json()
        let subs = try #require(j[path: "primary.submodules"] as? [[String: Any]])
        let nourl = try #require(subs.first { $0["path"] as? String == "nourl" })
        let uninit = try #require(subs.first { $0["path"] as? String == "uninit" })
        #expect(nourl[path: "url"] == nil)
        #expect(nourl[path: "initialized"] as? Bool == true)
        #expect(nourl[path: "transport.method"] as? String == "tunnel")
        #expect(uninit[path: "initialized"] as? Bool == false)
        #expect(uninit[path: "transport.method"] as? String == "none")
        let taken = try #require(subs.first { $0["path"] as? String == "taken" })
        #expect(taken[path: "transport.method"] as? String == "none")
        #expect(nourl[path: "transport.method"] as? String == "tunnel", "registered without a URL: still shipped")
        let warnings = (j["warnings"] as? [String]) ?? []
        #expect(warnings.contains { $0.contains("nourl") && $0.contains("no URL") })
        #expect(warnings.contains { $0.contains("uninit") && $0.contains("git submodule update --init") })
        #expect(warnings.contains { $0.hasPrefix("taken in this repository is a repository git add took in") })
    }

    @Test func aForeignOwnedRepositoryGetsTheSafeDirectoryHint() throws {
        guard getuid() == 0 else { return }  // chown needs root; CI runs as root
        let s = try Sandbox()
        let repo = try s.makeRepo("foreign")
        let r0 = try s.run("chown", ["-R", "65534:65534", repo])
        #expect(r0.status == 0)
        let r = try s.spriteInProcess(["plan"], in: repo)
        expectError(r, status: 128, contains: "owned by another user")
        #expect(r.stderr.contains("git config --global --add safe.directory \(repo)"))
        #expect(!r.stderr.contains("was not found"))
        // git's own ways of trusting it work, including the ones libgit2 1.5 ignores
        let viaDashC = try s.spriteInProcess(["plan", "--json"], in: repo, gitArgs: ["-c", "safe.directory=*"])
        #expect(viaDashC.status == 0, "\(viaDashC.stderr)")
        try s.git("config", "--global", "--add", "safe.directory", "*")
        let viaGlobal = try s.spriteInProcess(["plan", "--json"], in: repo)
        #expect(viaGlobal.status == 0, "\(viaGlobal.stderr)")
    }

    @Test(arguments: [
        "feature/slash", "v1.2.3-dots", "UPPER/Case", "naïve-ünïcödé-分支", "$(touch${IFS}pwned)", "`touch${IFS}pwned2`",
        String(repeating: "x", count: 200), "semi;colon&amp|pipe",
    ])
    func hostileBranchNamesFoldSafelyAndNothingExecutes(branch: String) throws {
        let s = try Sandbox()
        let repo = try s.makeRepo("web")
        let created = try s.run("git", ["checkout", "-q", "-b", branch], in: repo)
        #expect(created.status == 0, "\(created.stderr)")
        let r = try s.spriteInProcess(["plan", "--json"], in: repo)
        #expect(r.status == 0, "\(r.stderr)")
        let j = try r.json()
        let name = try #require(j[path: "sprite.name"] as? String)
        #expect(name.count <= 50)
        #expect(name.range(of: "^[a-z0-9]+(-[a-z0-9]+)*$", options: .regularExpression) != nil, "\(name)")
        #expect(j[path: "primary.branch"] as? String == branch)
        #expect(!FileManager.default.fileExists(atPath: repo + "/pwned"))
        #expect(!FileManager.default.fileExists(atPath: repo + "/pwned2"))
        #expect(!FileManager.default.fileExists(atPath: s.root + "/pwned"))
    }

    @Test func similarBranchesGetDifferentSprites() throws {
        let s = try Sandbox()
        let repo = try s.makeRepo("app")
        try s.git("branch", "feature/x", in: repo)
        try s.git("branch", "feature-x", in: repo)
        try s.git("checkout", "-q", "feature/x", in: repo)
        let a = try s.spriteInProcess(["plan", "--json"], in: repo).json()[path: "sprite.name"] as? String
        try s.git("checkout", "-q", "feature-x", in: repo)
        let b = try s.spriteInProcess(["plan", "--json"], in: repo).json()[path: "sprite.name"] as? String
        #expect(b == "app-feature-x")
        #expect(a != b)
    }

    @Test func anInvalidNameFlagIsRejected() throws {
        let s = try Sandbox()
        let repo = try s.makeRepo("app")
        let r = try s.spriteInProcess(["plan", "--name", "Bad Name"], in: repo)
        expectError(r, status: 64, contains: "invalid value 'Bad Name' for name (from flag --name)")
        let ok = try s.spriteInProcess(["plan", "--json", "--name", "my-box"], in: repo).json()
        #expect(ok[path: "sprite.name"] as? String == "my-box")
        #expect(ok[path: "sprite.source"] as? String == "flag")
    }

    @Test func unknownSubcommandsAndFlagsAreUsageErrors() throws {
        let s = try Sandbox()
        let repo = try s.makeRepo("app")
        #expect(try s.spriteInProcess(["plan", "--bogus"], in: repo).status == 64)
        #expect(try s.spriteInProcess(["frobnicate"], in: repo).status == 64)
        #expect(try s.spriteInProcess(["unlink"], in: repo).status == 64)
    }
}
