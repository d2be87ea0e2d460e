import Foundation
import SpritesAPI
import TestSupport
import Testing

/// The bad-input corpus (docs/reliability.md): branch names, repository states, configuration
/// and server replies a user or a broken server can hand git-sprite. Each either does the
/// right thing (checked by the case) or stops with one `error:` line, a `hint:`, nothing on
/// stdout and the documented exit status; never a trap.
@Suite("bad-input corpus", .ownThread)
struct BadInputCorpusTests {
    enum Area: String, Sendable { case branch, repository, configuration, server, arguments }

    enum Outcome: Sendable {
        /// Exit status and a text the error line holds.
        case fails(Int32, String)
        /// As `fails`, after output the command had already passed on (an exec cut short).
        case failsAfterOutput(Int32, String)
        /// Exit 0 (or the given status); the case checks the result itself.
        case works
    }

    struct Case: Sendable, CustomTestStringConvertible {
        let area: Area
        let name: String
        let outcome: Outcome
        let run: @Sendable (Bench) throws -> RunResult
        var testDescription: String { "\(area.rawValue): \(name)" }

        init(_ area: Area, _ name: String, _ outcome: Outcome, _ run: @escaping @Sendable (Bench) throws -> RunResult) {
            (self.area, self.name, self.outcome, self.run) = (area, name, outcome, run)
        }
    }

    /// One case's world: a sandbox, a repository `app`, and a host when the case asks.
    final class Bench {
        let s: Sandbox
        let app: String
        private var started: LocalHost?
        private var daemon: TestDaemon?

        init() throws {
            s = try Sandbox()
            app = try s.makeRepo("app")
        }

        var host: LocalHost {
            get throws {
                if let started { return started }
                let h = try LocalHost(root: s.path("host"))
                started = h
                return h
            }
        }

        var env: [String: String] {
            get throws { ["SPRITES_TOKEN": try host.token, "SPRITES_API_URL": try host.url] }
        }

        /// `git sprite up --no-agent` in `dir` against this case's host.
        func up(in dir: String? = nil, _ extra: [String] = []) throws -> RunResult {
            try s.sprite(["up", "--no-agent"] + extra, in: dir ?? app, env: env)
        }

        /// A command in the sprite; stdout trimmed.
        func remote(_ sprite: String, _ command: String) throws -> String { try host.remote(command, sprite: sprite) }

        /// The URL of a hostile server answering in `mode` (Fixtures/hostile_server.py).
        func hostile(_ mode: String) throws -> [String: String] {
            let d = try TestDaemon(["python3", "-u", TestDaemon.fixture("hostile_server.py"), mode])
            daemon = d
            return ["SPRITES_TOKEN": "t", "SPRITES_API_URL": "http://127.0.0.1:" + d.firstLine]
        }

        func config(_ toml: String) throws {
            try s.write("config.toml", toml, in: s.environment["XDG_CONFIG_HOME"]! + "/git-sprite")
        }

        /// The sprite `up` uses in `dir`, as `plan` names it.
        func spriteName(in dir: String? = nil) throws -> String {
            try s.sprite(["plan", "--json"], in: dir ?? app).json()[path: "sprite.name"] as? String ?? ""
        }

        /// Checks a post-condition of a case that works.
        func require(_ condition: Bool, _ what: @autoclosure () -> String) throws {
            if !condition { throw SpriteTestFailure(what()) }
        }

        /// Drops the last commit of the repository at `dir` from its history and its objects.
        func forgetLastCommit(in dir: String) throws {
            try s.git("reset", "-q", "--hard", "HEAD~1", in: dir)
            try s.git("reflog", "expire", "--expire=now", "--all", in: dir)
            try s.git("gc", "-q", "--prune=now", in: dir)
        }

        /// A branch checked out by writing HEAD and the ref directly (git refuses to make some).
        func forceBranch(_ name: String) throws {
            let head = try s.git("rev-parse", "HEAD", in: app)
            try s.write(".git/refs/heads/" + name, head + "\n", in: app)
            try s.write(".git/HEAD", "ref: refs/heads/\(name)\n", in: app)
        }
    }

    static let validName = "^[a-z0-9]+(-[a-z0-9]+)*$"

    /// `plan --json` works and names a valid sprite for the branch.
    static func planNames(_ b: Bench, branch: String) throws -> RunResult {
        let r = try b.s.sprite(["plan", "--json"], in: b.app)
        let j = try r.json()
        let name = j[path: "sprite.name"] as? String ?? ""
        try b.require(name.count <= 63 && name.range(of: validName, options: .regularExpression) != nil, "name \(name)")
        try b.require(j[path: "primary.branch"] as? String == branch, "branch \(j[path: "primary.branch"] ?? "nil")")
        return r
    }

    static let branches: [Case] = [
        Case(.branch, "unicode", .works) { b in
            try b.s.git("checkout", "-q", "-b", "feature/ünïcødé-日本語", in: b.app)
            return try planNames(b, branch: "feature/ünïcødé-日本語")
        },
        Case(.branch, "250 bytes", .works) { b in
            let long = "long/" + String(repeating: "y", count: 245)
            try b.s.git("checkout", "-q", "-b", long, in: b.app)
            return try planNames(b, branch: long)
        },
        Case(.branch, "@{ in HEAD", .fails(1, "cannot read the repository")) { b in
            try b.s.write(".git/HEAD", "ref: refs/heads/a@{b\n", in: b.app)
            return try b.s.sprite(["plan"], in: b.app)
        },
        Case(.branch, "control character in HEAD", .fails(1, "cannot read the repository")) { b in
            try b.s.write(".git/HEAD", "ref: refs/heads/bad\u{1}name\n", in: b.app)
            return try b.s.sprite(["plan"], in: b.app)
        },
        Case(.branch, "shell metacharacters, shipped", .works) { b in
            let branch = "x;$(touch${IFS}pwned)`touch${IFS}pwned2`|&"
            try b.s.git("checkout", "-q", "-b", branch, in: b.app)
            let r = try b.up()
            let sprite = try planNames(b, branch: branch).json()[path: "sprite.name"] as? String ?? ""
            try b.require(try b.remote(sprite, "git -C workspace symbolic-ref --short HEAD") == branch, "sprite branch")
            try b.require(
                try b.remote(sprite, "ls /home/sprite /home/sprite/workspace | grep -c pwned || true") == "0",
                "pwned in sprite")
            try b.require(!FileManager.default.fileExists(atPath: b.app + "/pwned"), "pwned here")
            return r
        },
        Case(.branch, "named like a tracked file, shipped", .works) { b in
            try b.s.git("checkout", "-q", "-b", "file.txt", in: b.app)
            try b.s.commit("other.txt", "x\n", message: "more", in: b.app)
            let r = try b.up()
            let head = try b.s.git("rev-parse", "HEAD", in: b.app)
            let sprite = try b.spriteName()
            try b.require(try b.remote(sprite, "git -C workspace rev-parse HEAD") == head, "sprite HEAD")
            try b.require(
                try b.remote(sprite, "git -C workspace symbolic-ref --short HEAD") == "file.txt", "sprite branch")
            try b.require(try b.remote(sprite, "cat workspace/file.txt") == "content", "file.txt intact")
            return r
        },
        Case(.branch, "-rf, shipped", .works) { b in
            try b.forceBranch("-rf")
            let r = try b.up()
            let sprite = try planNames(b, branch: "-rf").json()[path: "sprite.name"] as? String ?? ""
            try b.require(
                try b.remote(sprite, "git -C workspace symbolic-ref HEAD") == "refs/heads/-rf", "sprite branch")
            return r
        },
        Case(.branch, "--help", .works) { b in
            try b.forceBranch("--help")
            return try planNames(b, branch: "--help")
        },
        Case(.branch, "--name with a control character", .fails(64, "invalid value")) { b in
            try b.s.sprite(["plan", "--name", "box\u{7}x"], in: b.app)
        },
        Case(.branch, "--name of 64 characters", .fails(64, "invalid value")) { b in
            try b.s.sprite(["plan", "--name", String(repeating: "a", count: 64)], in: b.app)
        },
    ]

    static let repositories: [Case] = [
        Case(.repository, "bare", .fails(128, "bare repository")) { b in
            try b.s.sprite(["plan"], in: try b.s.makeRemote("bare"))
        },
        // git-remote-sprite read a line without end whole (`/dev/zero` as its input: 2.5 GB
        // and growing, found by hand)
        Case(.repository, "a remote helper fed a line with no end", .fails(64, "a command line longer than")) { b in
            try b.s.run(
                "git-remote-sprite", ["origin", "sprite::box/home/sprite/workspace"], in: b.app,
                stdin: String(repeating: "x", count: 100_000))
        },
        Case(.repository, "unborn", .fails(1, "has no commits yet")) { b in
            try b.up(in: try b.s.makeRepo("empty", commit: false))
        },
        Case(.repository, "detached HEAD, shipped", .works) { b in
            try b.s.git("checkout", "-q", "--detach", in: b.app)
            let r = try b.up()
            let head = try b.s.git("rev-parse", "HEAD", in: b.app)
            let sprite = try b.s.sprite(["plan", "--json"], in: b.app).json()[path: "sprite.name"] as? String ?? ""
            try b.require(try b.remote(sprite, "git -C workspace rev-parse HEAD") == head, "sprite HEAD")
            return r
        },
        Case(.repository, "mid-rebase", .fails(1, "in the middle of a rebase")) { b in
            try conflict(b)
            _ = try b.s.run("git", ["rebase", "main"], in: b.app)
            return try b.up()
        },
        Case(.repository, "mid-merge", .fails(1, "in the middle of a merge")) { b in
            try conflict(b)
            _ = try b.s.run("git", ["merge", "main"], in: b.app)
            return try b.up()
        },
        Case(.repository, "mid-cherry-pick", .fails(1, "in the middle of a cherry-pick")) { b in
            try conflict(b)
            _ = try b.s.run("git", ["cherry-pick", "main"], in: b.app)
            return try b.up()
        },
        Case(.repository, "shallow clone, shipped", .works) { b in
            try b.s.commit("second.txt", "2\n", message: "second", in: b.app)
            let shallow = b.s.path("shallow")
            try b.s.git("clone", "-q", "--depth", "1", "file://" + b.app, shallow)
            try b.s.commit("mine.txt", "mine\n", message: "mine", in: shallow)
            try b.s.git("remote", "remove", "origin", in: shallow)
            let r = try b.up(in: shallow)
            let head = try b.s.git("rev-parse", "HEAD", in: shallow)
            try b.require(try b.remote("shallow-main", "git -C workspace rev-parse HEAD") == head, "sprite HEAD")
            return r
        },
        Case(.repository, "sparse checkout, shipped whole", .works) { b in
            try b.s.commit("a/in.txt", "in\n", message: "a", in: b.app)
            try b.s.commit("b/out.txt", "out\n", message: "b", in: b.app)
            try b.s.git("sparse-checkout", "set", "a", in: b.app)
            try b.require(!FileManager.default.fileExists(atPath: b.app + "/b/out.txt"), "sparse")
            let plan = try b.s.sprite(["plan", "--json"], in: b.app).json()
            try b.require(
                plan[path: "primary.changes.modified"] as? Int == 0, "plan counts the cone's absence as changes")
            let r = try b.up()
            try b.require(try b.remote("app-main", "git -C workspace status --porcelain") == "", "sprite has changes")
            try b.require(try b.remote("app-main", "cat workspace/b/out.txt") == "out", "file outside the cone")
            return r
        },
        Case(.repository, "linked worktree, shipped", .works) { b in
            let wt = b.s.path("wt")
            try b.s.git("worktree", "add", "-q", "-b", "side", wt, in: b.app)
            let r = try b.up(in: wt)
            let head = try b.s.git("rev-parse", "HEAD", in: wt)
            try b.require(try b.remote("app-side", "git -C workspace rev-parse HEAD") == head, "sprite HEAD")
            return r
        },
        Case(.repository, "submodule without a URL", .works) { b in
            let lib = try b.s.makeRepo("lib")
            try b.s.git("submodule", "add", "-q", lib, "libs/lib", in: b.app)
            try b.s.git("commit", "-q", "-m", "lib", in: b.app)
            try b.s.git("config", "-f", ".gitmodules", "--unset", "submodule.libs/lib.url", in: b.app)
            try b.s.git("commit", "-q", "-am", "no url", in: b.app)
            try b.s.git("config", "--unset", "submodule.libs/lib.url", in: b.app)
            let r = try b.s.sprite(["plan"], in: b.app)
            try b.require(r.stderr.contains("has no URL in .gitmodules"), "warning: \(r.stderr)")
            return r
        },
        Case(.repository, "a repository git add took in (no .gitmodules entry), not shipped", .works) { b in
            // git itself cannot check it out ("No url found"); up failed on it, now the sprite
            // has what a clone of the branch has: an empty directory
            let inner = try b.s.makeRepo("app/inner")
            try b.s.git("add", "inner", in: b.app)
            try b.s.git("commit", "-q", "-m", "inner", in: b.app)
            let plan = try b.s.sprite(["plan"], in: b.app)
            try b.require(plan.stderr.contains("inner in this repository is a repository git add took in"), plan.stderr)
            try b.require(plan.stderr.contains("git rm --cached inner"), "hint: \(plan.stderr)")
            let r = try b.up()
            try b.require(
                r.stderr.contains("note: submodule inner cannot be shipped (no .gitmodules entry"), r.stderr)
            try b.require(try b.remote("app-main", "ls -A workspace/inner | wc -l") == "0", "an empty directory")
            try b.require(FileManager.default.fileExists(atPath: inner + "/.git"), "yours is untouched")
            return r
        },
        Case(.repository, "submodule commit missing locally", .fails(1, "which its local clone does not have")) { b in
            let lib = try b.s.makeRepo("lib")
            try b.s.git("submodule", "add", "-q", lib, "libs/lib", in: b.app)
            try b.s.commit("libs/lib/more.txt", "more\n", message: "lib more", in: b.app + "/libs/lib")
            try b.s.git("commit", "-q", "-am", "lib and bump", in: b.app)
            try b.forgetLastCommit(in: b.app + "/libs/lib")
            return try b.up()
        },
        Case(
            .repository, "nested submodule commit missing locally", .fails(1, "submodule libs/lib/core records commit")
        ) { b in
            let core = try b.s.makeRepo("core")
            let lib = try b.s.makeRepo("lib")
            try b.s.git("submodule", "add", "-q", core, "core", in: lib)
            try b.s.git("commit", "-q", "-m", "core", in: lib)
            try b.s.git("submodule", "add", "-q", lib, "libs/lib", in: b.app)
            try b.s.git("submodule", "update", "-q", "--init", "--recursive", in: b.app)
            let nested = b.app + "/libs/lib/core"
            try b.s.commit("more.txt", "more\n", message: "core more", in: nested)
            try b.s.git("commit", "-q", "-am", "bump core", in: b.app + "/libs/lib")
            try b.s.git("commit", "-q", "-am", "lib and bump", in: b.app)
            try b.forgetLastCommit(in: nested)
            let r = try b.up()
            try b.require(r.stderr.contains("git -C libs/lib/core fetch"), "the hint names the path: \(r.stderr)")
            return r
        },
        Case(.repository, "submodules three deep, shipped", .works) { b in
            let app = try b.s.makeAppWithNestedSubmodules("deep")
            let inner = app + "/libs/lib/vendor/inner"
            let deepest = try b.s.makeRepo("deepest")
            try b.s.git("submodule", "add", "-q", deepest, "core", in: inner)
            try b.s.git("commit", "-q", "-m", "core", in: inner)
            try b.s.git("commit", "-q", "-am", "inner", in: app + "/libs/lib")
            try b.s.git("commit", "-q", "-am", "lib", in: app)
            let r = try b.up(in: app)
            try b.require(
                try b.remote(try b.spriteName(in: app), "cat workspace/libs/lib/vendor/inner/core/file.txt")
                    == "content",
                "the third level")
            return r
        },
        Case(.repository, "path with a space and a newline, shipped", .works) { b in
            let odd = try b.s.makeRepo("my repo\nline")
            let r = try b.up(in: odd)
            let sprite = try b.s.sprite(["plan", "--json"], in: odd).json()[path: "sprite.name"] as? String ?? ""
            try b.require(sprite.range(of: validName, options: .regularExpression) != nil, "name \(sprite)")
            try b.require(try b.remote(sprite, "cat workspace/file.txt") == "content", "shipped")
            return r
        },
        Case(.repository, "file name with a newline, uncommitted, shipped", .works) { b in
            try b.s.write("odd\nname.txt", "odd\n", in: b.app)
            let r = try b.up()
            try b.require(try b.remote("app-main", "cat \"workspace/odd\nname.txt\"") == "odd", "the odd file")
            return r
        },
        Case(.repository, "index.lock left by another git, shipped", .works) { b in
            try b.s.write("README", "changed\n", in: b.app)
            try b.s.write(".git/index.lock", "", in: b.app)
            let r = try b.up()
            try b.require(try b.remote("app-main", "cat workspace/README") == "changed", "the change")
            try b.require(FileManager.default.fileExists(atPath: b.app + "/.git/index.lock"), "lock untouched")
            return r
        },
        Case(.repository, "outside any repository", .fails(128, "not a git repository")) { b in
            let plain = b.s.path("plain")
            try FileManager.default.createDirectory(atPath: plain, withIntermediateDirectories: true)
            return try b.s.sprite(["plan"], in: plain, env: ["GIT_CEILING_DIRECTORIES": b.s.root])
        },
        Case(.repository, ".git file pointing nowhere", .fails(128, "which is not a git directory")) { b in
            let moved = b.s.path("moved")
            try FileManager.default.createDirectory(atPath: moved, withIntermediateDirectories: true)
            try b.s.write(".git", "gitdir: \(b.s.root)/gone/.git/worktrees/x\n", in: moved)
            return try b.s.sprite(["plan"], in: moved, env: ["GIT_CEILING_DIRECTORIES": b.s.root])
        },
        Case(.repository, "corrupt HEAD", .fails(1, "cannot read the repository")) { b in
            try b.s.write(".git/HEAD", "garbage\n", in: b.app)
            return try b.s.sprite(["plan"], in: b.app)
        },
        Case(.repository, "linked repo that is gone", .fails(1, "is not a git repository")) { b in
            let notes = try b.s.makeRepo("notes")
            try b.s.git("config", "sprite.link.notes.path", notes, in: b.app)
            try FileManager.default.removeItem(atPath: notes)
            return try b.s.sprite(["plan"], in: b.app)
        },
    ]

    /// `main` and `side` change one line differently; `side` is checked out.
    static func conflict(_ b: Bench) throws {
        try b.s.git("checkout", "-q", "-b", "side", in: b.app)
        try b.s.commit("file.txt", "side\n", message: "side", in: b.app)
        try b.s.git("checkout", "-q", "main", in: b.app)
        try b.s.commit("file.txt", "main\n", message: "main", in: b.app)
        try b.s.git("checkout", "-q", "side", in: b.app)
    }

    static let configurations: [Case] = [
        Case(.configuration, "malformed TOML", .fails(1, "malformed TOML")) { b in
            try b.config("[resources]\ncpu = = 2\n")
            return try b.s.sprite(["plan"], in: b.app)
        },
        Case(.configuration, "wrong type", .fails(1, "resources.cpu")) { b in
            try b.config("[resources]\ncpu = \"two\"\n")
            return try b.s.sprite(["plan"], in: b.app)
        },
        Case(.configuration, "out of range", .fails(1, "invalid value 12 for resources.cpu")) { b in
            try b.config("[resources]\ncpu = 12\n")
            return try b.s.sprite(["plan"], in: b.app)
        },
        Case(.configuration, "duplicate key", .fails(1, "duplicate key")) { b in
            try b.config("[resources]\ncpu = 2\ncpu = 4\n")
            return try b.s.sprite(["plan"], in: b.app)
        },
        Case(.configuration, "duplicate table", .fails(1, "malformed TOML")) { b in
            try b.config("[resources]\ncpu = 2\n[resources]\nmemory = 4\n")
            return try b.s.sprite(["plan"], in: b.app)
        },
        Case(.configuration, "a directory where the file goes", .fails(1, "is a directory")) { b in
            try FileManager.default.createDirectory(
                atPath: b.s.environment["XDG_CONFIG_HOME"]! + "/git-sprite/config.toml",
                withIntermediateDirectories: true)
            return try b.s.sprite(["plan"], in: b.app)
        },
        Case(.configuration, "not UTF-8", .fails(1, "is not UTF-8 text")) { b in
            let dir = b.s.environment["XDG_CONFIG_HOME"]! + "/git-sprite"
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            try Data([0x5b, 0xff, 0xfe, 0x5d, 0x0a]).write(to: URL(fileURLWithPath: dir + "/config.toml"))
            return try b.s.sprite(["plan"], in: b.app)
        },
        Case(.configuration, "a 2 MiB file", .fails(1, "too large")) { b in
            try b.config("# " + String(repeating: "x", count: 2 << 20) + "\n")
            return try b.s.sprite(["plan"], in: b.app)
        },
        Case(.configuration, "git config out of range", .fails(1, "invalid value '64' for resources.memory")) { b in
            try b.s.git("config", "sprite.resources.memory", "64", in: b.app)
            return try b.s.sprite(["plan"], in: b.app)
        },
        Case(.configuration, "git config not a number", .fails(1, "resources.cpu")) { b in
            try b.s.git("config", "sprite.resources.cpu", "two", in: b.app)
            return try b.s.sprite(["plan"], in: b.app)
        },
        Case(.configuration, "environment not a boolean", .fails(1, "lifecycle.auto_destroy")) { b in
            try b.s.sprite(["plan"], in: b.app, env: ["GIT_SPRITE_LIFECYCLE_AUTO_DESTROY": "maybe"])
        },
        Case(.configuration, "a mount name that climbs out", .fails(1, "invalid mount name")) { b in
            try b.s.git("config", "sprite.link.../x.path", try b.s.makeRepo("x"), in: b.app)
            return try b.s.sprite(["plan"], in: b.app)
        },
    ]

    /// From a review of the CLI's inputs (stop 38): each of these crashed, leaked, reached the
    /// API or painted the terminal before.
    static let secretsAndAddresses: [Case] = [
        Case(
            .configuration, "a token with a line break in it (a header of its own)", .fails(1, "invalid value (hidden")
        ) { b in
            let r = try b.s.sprite(
                ["status"], in: b.app,
                env: ["SPRITES_TOKEN": "tok\r\nX-Injected: yes", "SPRITES_API_URL": try b.host.url])
            try b.require(!r.stderr.contains("X-Injected"), "the token shown: \(r.stderr)")
            return r
        },
        Case(.configuration, "a token with a trailing newline", .works) { b in
            try b.s.sprite(
                ["status"], in: b.app,
                env: ["SPRITES_TOKEN": try b.host.token + "\n", "SPRITES_API_URL": try b.host.url])
        },
        Case(.configuration, "agent.env naming the token", .fails(1, "the API token never goes into a sprite")) { b in
            try b.s.git("config", "sprite.agent.env", "SPRITES_TOKEN", in: b.app)
            return try b.s.sprite(["plan"], in: b.app)
        },
        Case(.configuration, "a TTL of 10^20 days", .fails(64, "99999999999999999999d")) { b in
            try b.up(in: nil, ["--ttl", "99999999999999999999d"])
        },
        Case(.configuration, "a TTL past what a date holds, in git config", .fails(1, "lifecycle.ttl")) { b in
            try b.s.git("config", "sprite.lifecycle.ttl", "9999999999999999w", in: b.app)
            return try b.s.sprite(["plan"], in: b.app)
        },
        Case(.configuration, "an API address with a user and password", .fails(1, "a user or password does not go")) {
            b in
            let r = try b.s.sprite(
                ["status"], in: b.app,
                env: ["SPRITES_TOKEN": "t", "SPRITES_API_URL": "http://user:pa55word@127.0.0.1:1"])
            try b.require(!r.stderr.contains("pa55word"), "the password shown: \(r.stderr)")
            return r
        },
        Case(.configuration, "a socket address with a user and password", .fails(1, "it has a user, password")) { b in
            let r = try b.s.sprite(
                ["status"], in: b.app, env: ["SPRITES_TOKEN": "t", "SPRITES_API_URL": "http+unix://user:secret@/tmp/x"])
            try b.require(!r.stderr.contains("secret"), "the password shown: \(r.stderr)")
            return r
        },
        Case(.configuration, "an API address with port 99999", .fails(1, "its port is outside 1-65535")) { b in
            try b.s.sprite(
                ["status"], in: b.app, env: ["SPRITES_TOKEN": "t", "SPRITES_API_URL": "http://127.0.0.1:99999"])
        },
        Case(.configuration, "an API address with a query", .fails(1, "it has a query or fragment")) { b in
            try b.s.sprite(
                ["status"], in: b.app, env: ["SPRITES_TOKEN": "t", "SPRITES_API_URL": try b.host.url + "?x=1"])
        },
        Case(.configuration, "an API address with a trailing space", .fails(1, "spaces or control characters")) { b in
            try b.s.sprite(["status"], in: b.app, env: ["SPRITES_TOKEN": "t", "SPRITES_API_URL": try b.host.url + " "])
        },
        Case(.configuration, "a sprite.name that sets the terminal's title", .fails(1, "invalid value")) { b in
            let r = try b.s.sprite(["status"], in: b.app, gitArgs: ["-c", "sprite.name=x\u{1b}]0;T\u{07}"])
            try b.require(!r.stderr.contains("\u{1b}") && !r.stderr.contains("\u{07}"), "written raw: \(r.stderr)")
            return r
        },
        Case(.configuration, "a config value that sets the terminal's title, shown by config", .works) { b in
            let r = try b.s.sprite(
                ["config"], in: b.app, gitArgs: ["-c", "sprite.agent.command=echo hi\u{1b}]0;T\u{07}"])
            try b.require(
                !r.stdout.contains("\u{1b}") && r.stdout.contains("echo hi?]0;T?"), "written raw: \(r.stdout)")
            return r
        },
        Case(.configuration, "a price of 10^23 dollars an hour", .fails(1, "pricing")) { b in
            try b.s.sprite(
                ["cost", "--json"], in: b.app, gitArgs: ["-c", "sprite.pricing.storageGBHour=99999999999999999999999"])
        },
    ]

    static let arguments: [Case] = [
        Case(.arguments, "a sprite named .", .fails(64, "is not a sprite name")) { b in
            try b.s.sprite(["exec", ".", "--", "true"], in: b.app, env: try b.env)
        },
        Case(.arguments, "a sprite named ..", .fails(64, "is not a sprite name")) { b in
            try b.s.sprite(["logs", ".."], in: b.app, env: try b.env)
        },
        Case(.arguments, "a sprite name with a slash", .fails(64, "is not a sprite name")) { b in
            try b.s.sprite(["url", "a/b"], in: b.app, env: try b.env)
        },
        Case(.arguments, "exec --dir ''", .fails(64, "--dir is empty")) { b in
            try b.s.sprite(["exec", "--dir", "", "--", "pwd"], in: b.app, env: try b.env)
        },
        Case(.arguments, "a sprite name that sets the terminal's title", .fails(64, "is not a sprite name")) { b in
            let r = try b.s.sprite(["exec", "bad\u{1b}]0;title\u{07}x", "--", "true"], in: b.app, env: try b.env)
            try b.require(!r.stderr.contains("\u{1b}") && !r.stderr.contains("\u{07}"), "written raw: \(r.stderr)")
            return r
        },
        Case(.arguments, "a name with a line that looks like a hint", .fails(64, "invalid value")) { b in
            let r = try b.s.sprite(["up", "--name", "x\nhint: run rm -rf ~"], in: b.app, env: try b.env)
            try b.require(!r.stderr.contains("\nhint: run rm"), "a hint line of its own: \(r.stderr)")
            return r
        },
        Case(.arguments, "cost --hours 10^20", .fails(64, "must be at most")) { b in
            try b.s.sprite(["cost", "--hours", "99999999999999999999", "--json"], in: b.app)
        },
        Case(.arguments, "restore of a named sprite's missing checkpoint", .fails(1, "has no checkpoint 'v9'")) { b in
            // the hint names that sprite: followed as it was, it acted on the branch's
            try b.s.git("checkout", "-q", "-b", "other", in: b.app)
            _ = try b.up(in: nil, ["--name", "app-other"])
            try b.s.git("checkout", "-q", "main", in: b.app)
            let r = try b.s.sprite(["restore", "app-other", "v9"], in: b.app, env: try b.env)
            try b.require(r.stderr.contains("git sprite checkpoint app-other"), "the hint: \(r.stderr)")
            return r
        },
        Case(.arguments, "down --destroy --keep", .fails(64, "contradict")) { b in
            try b.s.sprite(["down", "--destroy", "--keep"], in: b.app, env: try b.env)
        },
        Case(.arguments, "a copy from the sprite to itself", .fails(64, "between two sprites")) { b in
            try b.s.sprite(["cp", ":a", ":b"], in: b.app, env: try b.env)
        },
    ]

    static let servers: [Case] = [
        Case(.server, "invalid JSON", .fails(1, "a reply that is not JSON")) { b in
            try b.s.sprite(["status"], in: b.app, env: try b.hostile("invalid-json"))
        },
        Case(.server, "wrong types", .fails(1, "has the wrong type")) { b in
            try b.s.sprite(["status"], in: b.app, env: try b.hostile("wrong-types"))
        },
        Case(.server, "a 100 MiB body", .fails(1, "larger than 32 MiB")) { b in
            try b.s.sprite(["status"], in: b.app, env: try b.hostile("huge"))
        },
        Case(.server, "a body cut short", .fails(1, "broke")) { b in
            try b.s.sprite(["status"], in: b.app, env: try b.hostile("truncated"))
        },
        Case(.server, "an unknown sprite status", .works) { b in
            let r = try b.s.sprite(["status", "--json"], in: b.app, env: try b.hostile("unknown-status"))
            try b.require(r.stdout.contains("hibernating"), "status shown: \(r.stdout)")
            return r
        },
        Case(.server, "a proxy's HTML 502", .fails(1, "502 Bad Gateway")) { b in
            let r = try b.s.sprite(["status"], in: b.app, env: try b.hostile("html-502"))
            try b.require(!r.stderr.contains("<"), "HTML shown: \(r.stderr)")
            return r
        },
        Case(.server, "an empty 200", .fails(1, "an empty reply")) { b in
            try b.s.sprite(["status"], in: b.app, env: try b.hostile("empty"))
        },
        Case(.server, "401", .fails(4, "rejected the token")) { b in
            try b.s.sprite(["status"], in: b.app, env: try b.hostile("unauthorized"))
        },
        Case(.server, "absurd Retry-After", .fails(1, "rate limiting")) { b in
            try b.s.sprite(["status"], in: b.app, env: try b.hostile("ratelimit"))
        },
        Case(.server, "non-UTF-8 exec output", .works) { b in
            let env = try b.hostile("non-utf8")
            let out = b.s.path("out.bin"), err = b.s.path("err.bin")
            let r = try b.s.run(
                "sh", ["-c", "git sprite exec box -- x > \"$0\" 2> \"$1\"", out, err], in: b.app, env: env)
            let expected = Data(
                [0xff, 0xfe] + Array(" bytes ".utf8) + [0xc3, 0x28] + Array(" that are not UTF-8 ".utf8) + [0x80, 0x0a])
            try b.require(FileManager.default.contents(atPath: out) == expected, "stdout bytes")
            try b.require(FileManager.default.contents(atPath: err) == expected, "stderr bytes")
            return r
        },
        Case(
            .server, "exec stream cut before its exit",
            .failsAfterOutput(1, "the exec stream ended before the command finished")
        ) { b in
            try b.s.sprite(["exec", "box", "--", "x"], in: b.app, env: try b.hostile("cut"))
        },
        // a name from a listing is one file name: `../escaped` was written beside the destination
        Case(.server, "a listing naming ../", .fails(1, "which is not a file name")) { b in
            let r = try b.s.sprite(
                ["cp", "-r", "box:t", b.s.path("dst")], in: b.app, env: try b.hostile("escaping-list"))
            try b.require(!FileManager.default.fileExists(atPath: b.s.path("escaped")), "written outside dst")
            return r
        },
        Case(.server, "nothing listening", .fails(1, "cannot reach the Sprites API")) { b in
            try b.s.sprite(["status"], in: b.app, env: ["SPRITES_TOKEN": "t", "SPRITES_API_URL": "http://127.0.0.1:9"])
        },
    ]

    static let corpus = branches + repositories + configurations + secretsAndAddresses + arguments + servers

    @Test func theCorpusHasAtLeastFortyCasesInEveryArea() {
        #expect(Self.corpus.count >= 40)
        for area in [Area.branch, .repository, .configuration, .server, .arguments] {
            #expect(Self.corpus.filter { $0.area == area }.count >= 8, "\(area)")
        }
    }

    @Test(arguments: corpus)
    func eachInputWorksOrFailsClearly(_ c: Case) throws {
        let b = try Bench()
        let r: RunResult
        do {
            r = try c.run(b)
        } catch let failure as SpriteTestFailure {
            Issue.record("\(c.testDescription): \(failure)")
            return
        }
        #expect(
            !r.stderr.contains("Fatal error") && r.status < 128 || r.status == 128 && !r.stderr.contains("Fatal"),
            "\(c.testDescription): trapped: \(r.stderr)")
        switch c.outcome {
        case .works:
            #expect(r.status == 0, "\(c.testDescription): \(r.stderr)")
        case .fails(let status, let text), .failsAfterOutput(let status, let text):
            #expect(r.status == status, "\(c.testDescription): exit \(r.status): \(r.stderr)")
            if case .fails = c.outcome { #expect(r.stdout.isEmpty, "\(c.testDescription): stdout: \(r.stdout)") }
            let lines = r.stderr.split(separator: "\n").map(String.init)
            let error = lines.first { $0.hasPrefix("error: ") }
            #expect(error?.contains(text) == true, "\(c.testDescription): \(r.stderr)")
            #expect(lines.filter { $0.hasPrefix("error: ") }.count == 1, "\(c.testDescription): \(r.stderr)")
            #expect(lines.contains { $0.hasPrefix("hint: ") }, "\(c.testDescription): no hint: \(r.stderr)")
        }
    }
}
