import Foundation
import GitSpriteCore
import SpriteHTTP
import SpriteSync
import SpritesAPI
import TestSupport
import Testing

/// The shared `Workspace` with a host of its own and an agent that records its prompt.
struct UpWorkspace: Sendable {
    let s: Sandbox
    let host: LocalHost
    let app: String
    let tools: String
    let notes: String
    let env: [String: String]

    static let agent = "sh -c 'printf %s \"$1\" > /home/sprite/agent-prompt; echo agent-ready; exec sleep 100000' agent"

    init(remoteURL: String? = nil, sparse: Bool = LocalHost.sparseTier) throws {
        let w = try Workspace(remoteURL: remoteURL)
        (s, app, tools, notes) = (w.sandbox, w.app, w.tools, w.notes)
        host = try LocalHost(root: s.path("host"), sparse: sparse)
        env = ["SPRITES_TOKEN": host.token, "SPRITES_API_URL": host.url]
        try s.git("config", "sprite.agent.command", Self.agent, in: app)
    }

    func up(_ args: [String] = [], extra: [String: String] = [:]) throws -> RunResult {
        try s.sprite(["up"] + args, in: app, env: env.merging(extra) { $1 })
    }

    func remote(_ command: String, sprite: String = "app-main") throws -> String {
        try host.remote(command, sprite: sprite)
    }

    /// Each submodule's commit and path, recursively: what must match between here and the sprite.
    static let submodulePins = "git submodule status --recursive | cut -d' ' -f1-3"

    /// `submodulePins` of the local repository at `app`.
    static func localPins(_ s: Sandbox, _ app: String) throws -> String {
        try s.run("sh", ["-c", submodulePins], in: app).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}

@Suite("git sprite up", .ownThread)
struct UpTests {
    @Test func upShipsExactlyTheLocalCodeAndStartsTheAgent() throws {
        let w = try UpWorkspace()
        let prompt = "fix it; $(touch /home/sprite/pwned) `touch /home/sprite/pwned2` \"quoted\" 'single'"
        let r = try w.up(["-m", prompt])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("sprite     app-main\n"))
        #expect(r.stdout.contains("attach     git sprite attach app-main"))
        let s = w.s
        let exec = try s.sprite(
            ["exec", "--", "git", "-C", "/home/sprite/workspace", "log", "-1", "--format=%H"],
            in: w.app, env: w.env)
        #expect(exec.stdout == (try s.git("rev-parse", "HEAD", in: w.app)) + "\n")
        #expect(
            try w.remote("cd workspace && git status --porcelain -uall") == "M README\n?? scratch/new.txt",
            "\(r.stderr)")
        #expect(try w.remote("cat workspace/README") == "hello, changed")
        #expect(
            try w.remote("cd workspace/libs/lib && git rev-parse HEAD")
                == (try s.git("rev-parse", "HEAD:libs/lib", in: w.app)))
        #expect(
            try w.remote("cd workspace/libs/lib/vendor/inner && git rev-parse HEAD")
                == (try s.git("rev-parse", "HEAD:vendor/inner", in: w.app + "/libs/lib")))
        #expect(try w.remote("git -C repos/tools rev-parse HEAD") == (try s.git("rev-parse", "HEAD", in: w.tools)))
        #expect(try w.remote("git -C repos/notes rev-parse HEAD") == (try s.git("rev-parse", "HEAD", in: w.notes)))
        #expect(
            try w.remote("tmux -S /home/sprite/.git-sprite/tmux.sock has-session -t =app-main && echo yes") == "yes")
        #expect(try w.remote("cat agent-prompt") == prompt)
        #expect(try w.remote("ls pwned pwned2 2>&1 | wc -l") == "2")  // two "No such file" lines
        #expect(try w.remote("test -e pwned || test -e pwned2 || echo none") == "none")
        #expect(try s.git("config", "branch.main.sprite", in: w.app) == "app-main")
        let status = try s.sprite(["status"], in: w.app, env: w.env)
        #expect(status.stdout.hasPrefix("app-main\t"))
        // a cold sprite loses its processes; the agent's service brings the session back
        try w.host.hook("POST", "/_host/sprites/app-main/cold")
        #expect(
            eventually(seconds: 10) {
                (try? w.remote("tmux -S /home/sprite/.git-sprite/tmux.sock has-session -t =app-main && echo yes"))
                    == "yes"
            })
    }

    @Test func aSecondUpChangesNothingAndANewCommitShipsJustThat() throws {
        let w = try UpWorkspace()
        #expect(try w.up(["--no-agent"]).status == 0)
        let before = try w.remote("cd workspace && git rev-parse HEAD && git status --porcelain | wc -l")
        let again = try w.up(["--no-agent", "--json"])
        #expect(again.status == 0, "\(again.stderr)")
        #expect(try again.json()["created"] as? Bool == false)
        #expect(try w.remote("cd workspace && git rev-parse HEAD && git status --porcelain | wc -l") == before)
        try w.s.commit("work3.txt", "3\n", message: "third", in: w.app)
        let third = try w.up(["--no-agent"])
        #expect(third.status == 0, "\(third.stderr)")
        #expect(try w.remote("git -C workspace rev-parse HEAD") == (try w.s.git("rev-parse", "HEAD", in: w.app)))
        #expect(try w.remote("git -C workspace log --format=%s -1") == "third")
        #expect(try w.remote("cd workspace && git status --porcelain").contains("README"))
    }

    /// The push's helper hands its exec to `up`, which runs it over its own connections (opened
    /// ahead); a helper that finds no relay at the address it is given connects by itself.
    @Test func thePushGoesOverUpsOwnConnectionAndWithoutARelayByItself() throws {
        let w = try UpWorkspace()
        let up = try w.up(["--no-agent", "-v"])
        #expect(up.status == 0, "\(up.stderr)")
        // (a first ship goes to a staging directory, then into place)
        #expect(up.stderr.contains("trace: relaying git-receive-pack /home/sprite/.git-sprite/staging/"))
        try w.s.git("branch", "-f", "side", "HEAD", in: w.app)
        var env = w.env
        env["GIT_SPRITE_RELAY"] = w.s.path("no-relay-here")
        let push = try w.s.run(
            "git", ["push", "-q", "sprite::app-main/home/sprite/workspace", "side:refs/heads/side"], in: w.app, env: env
        )
        #expect(push.status == 0, "\(push.stderr)")
        #expect(
            try w.remote("git -C workspace rev-parse refs/heads/side") == (try w.s.git("rev-parse", "side", in: w.app)))
        // a socket there that takes the connection and never answers: an error, not a wait
        let mute = w.s.path("mute.sock")
        let listener = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(listener) }
        let address = try #require(UnixSocketAddress(mute))
        try #require(address.bind(listener) == 0 && listen(listener, 4) == 0)
        env["GIT_SPRITE_RELAY"] = mute
        let muted = try w.s.run("git", ["ls-remote", "sprite::app-main/home/sprite/workspace"], in: w.app, env: env)
        #expect(muted.status != 0 && muted.stderr.contains("(GIT_SPRITE_RELAY) did not answer"), "\(muted.stderr)")
    }

    /// A submodule checked out here at a commit the superproject does not record yet: the
    /// snapshot leaves submodule pointers alone on both sides, so a re-run recognises the
    /// changes it shipped instead of taking them for the sprite's own.
    /// More submodules than one command in the sprite takes (they are looked at and checked
    /// out in batches, their pushes run several at once): every one arrives at its commit, and
    /// one that moves is all a second run ships.
    @Test(.longRunning) func manySubmodulesArriveInBatchesAndAMovedOneAlone() throws {
        let w = try UpWorkspace()
        for i in 1...20 {  // one command takes 16 (Shipper.submodulesPerCommand)
            let origin = try w.s.makeRepo("many-\(i)")
            try w.s.git("-c", "protocol.file.allow=always", "submodule", "-q", "add", origin, "many/m\(i)", in: w.app)
        }
        try w.s.git("commit", "-qm", "many submodules", in: w.app)
        #expect(try w.up(["--no-agent"]).status == 0)
        #expect(try w.remote("cd workspace && \(UpWorkspace.submodulePins)") == (try UpWorkspace.localPins(w.s, w.app)))
        try w.s.commit("more.txt", "more\n", message: "moved", in: w.app + "/many/m7")
        try w.s.git("commit", "-qam", "move m7", in: w.app)
        let again = try w.up(["--no-agent", "-v"])
        #expect(again.status == 0, "\(again.stderr)")
        #expect(try w.remote("cd workspace && \(UpWorkspace.submodulePins)") == (try UpWorkspace.localPins(w.s, w.app)))
    }

    @Test func aMovedSubmoduleDoesNotConfuseTheSnapshotOnARerun() throws {
        let w = try UpWorkspace()
        let lib = w.app + "/libs/lib"
        try w.s.commit("moved.txt", "moved\n", message: "moved here only", in: lib)
        #expect(try w.s.git("status", "--porcelain", in: w.app).contains("M libs/lib"))
        let first = try w.up(["--no-agent"])
        #expect(first.status == 0, "\(first.stderr)")
        let again = try w.up(["--no-agent"])
        #expect(again.status == 0, "\(again.stderr)")
        #expect(!again.stderr.contains("has its own uncommitted changes"), "\(again.stderr)")
        #expect(
            try w.remote("git -C workspace status --porcelain --untracked-files=all --ignore-submodules=all")
                == "M README\n?? scratch/new.txt")
    }

    @Test func anAgentCommitMeansUpFetchesInsteadOfOverwriting() throws {
        let w = try UpWorkspace()
        #expect(try w.up(["--no-agent", "--no-changes"]).status == 0)
        _ = try w.remote(
            "cd workspace && git -c user.name=agent -c user.email=a@b commit -q --allow-empty -m agent-work")
        try w.s.git("commit", "-q", "--allow-empty", "-m", "mine", in: w.app)
        let r = try w.up(["--no-agent", "--no-changes"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.contains("refs/remotes/sprite/app-main/main"))
        #expect(try w.s.git("log", "-1", "--format=%s", "refs/remotes/sprite/app-main/main", in: w.app) == "agent-work")
        #expect(try w.remote("git -C workspace log -1 --format=%s") == "agent-work")
    }

    @Test func anUnreachableRemoteFallsBackToTheTunnel() throws {
        let w = try UpWorkspace(remoteURL: "https://git.invalid/acme/app.git")
        // block-all: the clone attempt cannot send a single packet off this machine
        try w.s.git("config", "sprite.network.defaultPolicy", "block-all", in: w.app)
        let r = try w.up(["--no-agent"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(
            r.stderr.contains(
                "cloning https://git.invalid/acme/app.git in the sprite failed; the whole branch goes through the tunnel"
            ))
        #expect(try w.remote("git -C workspace rev-parse HEAD") == (try w.s.git("rev-parse", "HEAD", in: w.app)))
    }

    @Test func aDetachedHeadShipsThatCommit() throws {
        let w = try UpWorkspace()
        try w.s.git("checkout", "-q", "--detach", "HEAD~1", in: w.app)
        let head = try w.s.git("rev-parse", "HEAD", in: w.app)
        let r = try w.up(["--no-agent", "--no-changes", "-q"])
        #expect(r.status == 0, "\(r.stderr)")
        let name = r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(name == "app-" + head.prefix(7))
        #expect(try w.remote("git -C workspace rev-parse HEAD", sprite: name) == head)
    }

    @Test func anAgentThatExitsAtOnceIsReportedWithItsLastOutput() throws {
        let w = try UpWorkspace()
        try w.s.git("config", "sprite.agent.command", "sh -c 'echo boom-from-agent; exit 3'", in: w.app)
        let r = try w.up()
        #expect(r.status == 1)
        #expect(
            r.stderr.contains("error: the agent (sh -c echo boom-from-agent; exit 3) exited at once (exit status 3)"))
        #expect(r.stderr.contains("boom-from-agent"))
    }

    /// A file you marked assume-unchanged or skip-worktree and then edited is in your work
    /// tree as it is: status and `git add -A` look past the marks, so the edit never reached
    /// the sprite and `plan` called the tree clean (an adversarial review). A skip-worktree
    /// file you do not have (a sparse checkout's way) is not taken for deleted, and your own
    /// index keeps its marks.
    @Test func editsToFilesYouMarkedUnchangedShip() throws {
        let w = try UpWorkspace()
        for name in ["marked-a.txt", "marked-b.txt", "sparse.txt"] {
            try w.s.commit(name, "base\n", message: name, in: w.app)
        }
        try w.s.git("update-index", "--assume-unchanged", "marked-a.txt", in: w.app)
        try w.s.git("update-index", "--skip-worktree", "marked-b.txt", "sparse.txt", in: w.app)
        try w.s.write("marked-a.txt", "mine a\n", in: w.app)
        try w.s.write("marked-b.txt", "mine b\n", in: w.app)
        try FileManager.default.removeItem(atPath: w.app + "/sparse.txt")
        let plan = try w.s.sprite(["plan", "--json"], in: w.app, env: w.env).json()
        #expect(plan[path: "primary.changes.modified"] as? Int == 2, "\(plan)")
        let r = try w.up(["--no-agent"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(try w.remote("cat workspace/marked-a.txt") == "mine a")
        #expect(try w.remote("cat workspace/marked-b.txt") == "mine b")
        #expect(try w.remote("cat workspace/sparse.txt") == "base")
        let marks = try w.s.git("ls-files", "-v", "marked-a.txt", "marked-b.txt", "sparse.txt", in: w.app)
        #expect(marks == "h marked-a.txt\nS marked-b.txt\nS sparse.txt", "\(marks)")
    }

    /// After an `up` that shipped changes of yours, `apply` brings the sprite's own changes
    /// only: it diffed the sprite's HEAD against its work tree, your shipped changes with them,
    /// and refused over your own edits ("you have local changes in a.txt, u.txt"; a review).
    @Test func applyAfterAnUpWithYourChangesBringsOnlyTheSpritesOwn() throws {
        let w = try UpWorkspace()
        try w.s.commit("a.txt", "committed\n", message: "a", in: w.app)
        try w.s.write("a.txt", "yours\n", in: w.app)
        try w.s.write("u.txt", "your new file\n", in: w.app)
        let up = try w.up(["--no-agent"])
        #expect(up.status == 0, "\(up.stderr)")
        _ = try w.remote("cd workspace && echo agent > b.txt && printf 'yours\\nagent\\n' > a.txt")
        let apply = try w.s.sprite(["apply"], in: w.app, env: w.env)
        #expect(apply.status == 0, "\(apply.stderr) \(apply.stdout)")
        #expect(try String(contentsOfFile: w.app + "/a.txt", encoding: .utf8) == "yours\nagent\n")
        #expect(try String(contentsOfFile: w.app + "/b.txt", encoding: .utf8) == "agent\n")
        #expect(try String(contentsOfFile: w.app + "/u.txt", encoding: .utf8) == "your new file\n")
    }

    /// The sprite put back a change you shipped (a file restored to HEAD, a new file deleted):
    /// to git its work tree is clean, so a second `up` applied your snapshot over it again
    /// without a word (a review of `up`'s fidelity). That is the sprite's own change; it is left
    /// as it is, and `up` says your uncommitted changes were not applied.
    @Test func aChangeYouShippedThatTheSpritePutBackIsNotShippedAgain() throws {
        let w = try UpWorkspace()
        try w.s.commit("a.txt", "committed\n", message: "a", in: w.app)
        try w.s.write("a.txt", "yours\n", in: w.app)
        try w.s.write("notes.txt", "notes\n", in: w.app)
        let first = try w.up(["--no-agent"])
        #expect(first.status == 0, "\(first.stderr)")
        #expect(try w.remote("cat workspace/a.txt") == "yours")
        _ = try w.remote("cd workspace && git checkout -q -- a.txt && rm notes.txt")
        try w.s.write("b.txt", "later\n", in: w.app)
        let again = try w.up(["--no-agent"])
        #expect(again.status == 0, "\(again.stderr)")
        #expect(again.stderr.contains("your uncommitted changes were not applied"), "\(again.stderr)")
        // (and the summary does not count them as shipped)
        #expect(!again.stdout.contains("uncommitted file"), "\(again.stdout)")
        #expect(try w.remote("cat workspace/a.txt") == "committed")
        #expect(try w.remote("test -e workspace/notes.txt && echo there || echo gone") == "gone")
    }
}

@Suite("git sprite up: bad input and faults", .ownThread)
struct UpFaultTests {
    @Test func noTokenIsExit4AndARepoWithoutCommitsIsRefused() throws {
        let s = try Sandbox()
        let repo = try s.makeRepo("app")
        let r = try s.sprite(["up"], in: repo, unset: ["SPRITES_TOKEN"])
        #expect(r.status == 4)
        #expect(r.stderr.hasPrefix("error: No Sprites authentication token found"))
        let bad = try s.sprite(
            ["up"], in: repo, env: ["SPRITES_TOKEN": "nope", "SPRITES_API_URL": "http://127.0.0.1:9"])
        #expect(bad.status == 1)
        let empty = try s.makeRepo("empty", commit: false)
        let e = try s.sprite(["up"], in: empty, env: ["SPRITES_TOKEN": "x"])
        #expect(e.status == 1)
        #expect(e.stderr.hasPrefix("error: this repository has no commits yet"))
    }

    /// A `.git/config.lock` left by a git that died mid-write: `up` still ships, but says it
    /// could not record the sprite's name and what to do, where it used to go on silently.
    @Test func aConfigLockLeftBehindIsSaid() throws {
        let w = try UpWorkspace()
        let lock = w.app + "/.git/config.lock"
        FileManager.default.createFile(atPath: lock, contents: Data())
        let r = try w.up(["--no-agent"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.contains("warning: could not write branch.main.sprite: \(lock) exists\n"), "\(r.stderr)")
        #expect(r.stderr.contains("hint: when no git is running here, remove it and run the command again"))
        let link = try w.s.sprite(["link", try w.s.makeRepo("extra")], in: w.app)
        #expect(link.status == 1)
        #expect(link.stderr.hasPrefix("error: could not write sprite.link.extra.path: \(lock) exists\nhint: "))
        try FileManager.default.removeItem(atPath: lock)
        let again = try w.up(["--no-agent"])
        #expect(again.status == 0 && !again.stderr.contains("warning"), "\(again.stderr)")
        #expect(try w.s.git("config", "--get", "branch.main.sprite", in: w.app) == "app-main")
    }

    @Test func aBadTokenIsExit4() throws {
        let w = try UpWorkspace()
        let r = try w.up(["--no-agent"], extra: ["SPRITES_TOKEN": "wrong"])
        #expect(r.status == 4)
        #expect(try w.host.client().listSprites().isEmpty)
    }

    /// Another's sprite is never taken over: a derived name becomes this repository's own,
    /// a name the user chose is refused.
    @Test func aNameTakenByAnotherSpriteIsNotTakenOver() throws {
        let w = try UpWorkspace()
        _ = try w.host.client().createSprite(SpriteCreation(name: "app-main", labels: ["someone-else"]))
        let chosen = try w.up(["--no-agent", "--name", "app-main"])
        #expect(chosen.status == 1)
        #expect(
            chosen.stderr.contains(
                "error: the sprite name 'app-main' is taken by a sprite that is not this repository's"))
        #expect(chosen.stderr.contains("hint: choose another name: git sprite up --name <name>"))
        let derived = try w.up(["--no-agent", "-q"])
        #expect(derived.status == 0, "\(derived.stderr)")
        let own = derived.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(own.range(of: "^app-main-[0-9a-f]{8}$", options: .regularExpression) != nil, "\(own)")
        #expect(try w.host.client().getSprite("app-main")?.labels == ["someone-else"], "the other sprite is untouched")
        #expect(try w.s.git("config", "branch.main.sprite", in: w.app) == own)
        let named = try w.up(["--no-agent", "--name", "app-mine"])
        #expect(named.status == 0, "\(named.stderr)")
    }

    @Test func faultsDuringCreateAndTunnelConvergeOnARerun() throws {
        let w = try UpWorkspace()
        try w.host.faults([
            "rules": [
                ["method": "POST", "path": "/v1/sprites", "status": 503, "count": 2],
                ["method": "WS", "path": "/exec", "drop": 50, "count": 3],
            ]
        ])
        // each run may hit a fault and stop with a clear error; running again converges
        var runs: [RunResult] = []
        repeat {
            runs.append(try w.up(["--no-agent"]))
            if let last = runs.last, last.status != 0 {
                // notes may come first; the failure is one error line
                #expect(last.stderr.split(separator: "\n").contains { $0.hasPrefix("error: ") }, "\(last.stderr)")
            }
        } while runs.last?.status != 0 && runs.count < 5
        #expect(runs.last?.status == 0, "\(runs.map(\.stderr))")
        #expect(try w.host.client().listSprites().map(\.name) == ["app-main"])
        #expect(try w.remote("git -C workspace rev-parse HEAD") == (try w.s.git("rev-parse", "HEAD", in: w.app)))
        #expect(try w.remote("cat workspace/README") == "hello, changed")
    }

    /// The host goes away at different moments of a first `up` (the sprite's processes die
    /// with it, as in a VM restart): whatever the moment, a re-run converges to the complete
    /// workspace, because a first ship is assembled aside and moved into place only when done.
    @Test(arguments: [0.25, 0.5, 0.8, 1.2])
    func aHostRestartedMidUpConverges(after delay: Double) throws {
        var w: UpWorkspace? = try UpWorkspace()
        let root = w!.host.root
        let s = w!.s
        let app = w!.app
        let env = w!.env
        let notes = w!.notes
        // start an up, then take the host away under it
        let up = try s.startSprite(["up", "--no-agent"], in: app, env: env)
        Thread.sleep(forTimeInterval: delay)
        w = nil  // stops the host (the sandbox stays: s holds it)
        #expect(up.exited.wait(timeout: .now() + 60) == .success)
        let again = try LocalHost(root: root)
        let r = try s.sprite(
            ["up", "--no-agent"], in: app, env: ["SPRITES_TOKEN": again.token, "SPRITES_API_URL": again.url])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(try again.client().listSprites().map(\.name) == ["app-main"])
        func remote(_ command: String) throws -> String { try again.remote(command) }
        #expect(try remote("git -C workspace rev-parse HEAD") == (try s.git("rev-parse", "HEAD", in: app)))
        #expect(
            try remote("git -C workspace status --porcelain --untracked-files=all") == "M README\n?? scratch/new.txt")
        // the same submodule commits at the same paths, none missing or modified
        #expect(try remote("cd workspace && \(UpWorkspace.submodulePins)") == (try UpWorkspace.localPins(s, app)))
        #expect(try remote("git -C repos/notes rev-parse HEAD") == (try s.git("rev-parse", "HEAD", in: notes)))
    }

    /// What a run killed at a bad moment leaves behind: a leftover staging directory and a
    /// submodule whose clone was cut short (its git directory empty). `up` starts both over.
    @Test func leftoversOfAKilledRunAreStartedOver() throws {
        let w = try UpWorkspace()
        #expect(try w.up(["--no-agent"]).status == 0)
        _ = try w.remote(
            """
            cd workspace && rm -rf .git/modules/libs/lib libs/lib && mkdir -p .git/modules/libs/lib libs/lib \
              && echo 'gitdir: ../../.git/modules/libs/lib' > libs/lib/.git \
              && mkdir -p /home/sprite/.git-sprite/staging/0000 && echo half > /home/sprite/.git-sprite/staging/0000/x
            """)
        #expect(try w.remote("cd workspace && git submodule status --recursive").isEmpty)
        let r = try w.up(["--no-agent"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(try w.remote("cd workspace && \(UpWorkspace.submodulePins)") == (try UpWorkspace.localPins(w.s, w.app)))
        #expect(
            try w.remote("git -C workspace status --porcelain --untracked-files=all") == "M README\n?? scratch/new.txt")
    }

    /// A path that holds something git-sprite did not make is reported, never replaced.
    @Test func aWorkspaceThatIsNotARepositoryIsAClearErrorAndKeptAsItIs() throws {
        let w = try UpWorkspace()
        #expect(try w.up(["--no-agent"]).status == 0)
        _ = try w.remote("rm -rf workspace && mkdir -p workspace/.git && echo mine > workspace/notes.txt")
        let r = try w.up(["--no-agent"])
        #expect(r.status == 1)
        #expect(r.stderr.contains("/home/sprite/workspace exists but is not a usable git repository"), "\(r.stderr)")
        #expect(try w.remote("cat workspace/notes.txt") == "mine")
    }

    /// Where `--local` keeps its host's state in a sandbox.
    static func localState(_ s: Sandbox) -> String { (s.environment["XDG_STATE_HOME"] ?? "") + "/git-sprite" }

    /// The PID the local host recorded.
    static func localHostPID(_ s: Sandbox) -> Int32? {
        (try? String(contentsOfFile: localState(s) + "/local-host.pid", encoding: .utf8))
            .flatMap { Int32($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
    }

    @Test func localStartsAHostOnceAndReusesIt() throws {
        let s = try Sandbox()
        let repo = try s.makeRepo("solo")
        let state = Self.localState(s)
        func hostPID() -> Int32? { Self.localHostPID(s) }
        defer { if let pid = hostPID() { kill(pid, SIGTERM) } }
        let first = try s.sprite(["up", "--local", "--no-agent", "-q"], in: repo)
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stdout == "solo-main\n")
        let url = try String(contentsOfFile: state + "/local-host.url", encoding: .utf8)
        var st = stat()
        stat(state + "/local-host.url", &st)
        #expect(st.st_mode & 0o077 == 0)
        #expect(try s.git("config", "sprite.api", in: repo) == "local")
        // the recorded PID is the host's own (what stops it), not a launcher's
        let exe = hostPID().flatMap { try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\($0)/exe") }
        #expect(exe?.hasSuffix("/sprite-host") == true, "\(String(describing: exe))")
        let second = try s.sprite(["up", "--no-agent", "-q"], in: repo)
        #expect(second.status == 0, "\(second.stderr)")
        #expect(try String(contentsOfFile: state + "/local-host.url", encoding: .utf8) == url)
        let exec = try s.sprite(["exec", "--", "git", "log", "-1", "--format=%s"], in: repo)
        #expect(exec.stdout == "initial\n")
        let down = try s.sprite(["down", "--destroy"], in: repo)
        #expect(down.status == 0)
        #expect(down.stderr.contains("destroyed solo-main"))
    }

    /// The local token goes only to our own host: it listens on a socket in the user's 0700
    /// state directory, and a recorded address anyone else could have taken (the TCP port of an
    /// earlier version, a socket elsewhere) is never sent the token; a new host has a new token.
    @Test func theLocalTokenGoesOnlyToTheHostsOwnSocket() throws {
        let s = try Sandbox()
        let repo = try s.makeRepo("solo")
        let state = Self.localState(s)
        func hostPID() -> Int32? { Self.localHostPID(s) }
        defer { if let pid = hostPID() { kill(pid, SIGTERM) } }
        let first = try s.sprite(["up", "--local", "--no-agent"], in: repo)
        #expect(first.status == 0, "\(first.stderr)")
        // the host says what it enforces on this machine
        #expect(first.stderr.contains("note: the local sprite-host enforces resources: "), "\(first.stderr)")
        let url = try String(contentsOfFile: state + "/local-host.url", encoding: .utf8)
        #expect(url.hasPrefix("http+unix://"), "\(url)")
        var st = stat()
        #expect(lstat(state, &st) == 0 && st.st_mode & 0o077 == 0 && st.st_uid == geteuid())
        #expect(lstat(state + "/host.sock", &st) == 0 && (st.st_mode & S_IFMT) == S_IFSOCK)
        let oldToken = try String(contentsOfFile: state + "/host/token", encoding: .utf8)
        // the host goes away, and another user listens where an older version recorded it
        if let pid = hostPID() { kill(pid, SIGTERM) }
        #expect(eventually(seconds: 5) { hostPID().map { kill($0, 0) != 0 } ?? true })
        let thief = try TestDaemon([
            "python3", "-u", "-c",
            """
            import socket, sys
            s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(8)
            print(s.getsockname()[1]); sys.stdout.flush()
            while True:
                c, _ = s.accept(); data = c.recv(65536)
                open(sys.argv[1], "ab").write(data); c.close()
            """, s.path("stolen"),
        ])
        try "http://127.0.0.1:\(thief.firstLine)\n".write(
            toFile: state + "/local-host.url", atomically: true, encoding: .utf8)
        let status = try s.sprite(["status"], in: repo)
        #expect(status.status == 0, "\(status.stderr)")
        #expect(!FileManager.default.fileExists(atPath: s.path("stolen")), "the token went to another listener")
        // a new host, a new token
        let newToken = try String(contentsOfFile: state + "/host/token", encoding: .utf8)
        #expect(newToken != oldToken)
        #expect(try String(contentsOfFile: state + "/local-host.url", encoding: .utf8).hasPrefix("http+unix://"))
    }
}

extension UpFaultTests {
    /// Through the binaries, as the issue reproduced it: the agent appended to docs/guide.md,
    /// the user switched to a branch named docs. The re-run keeps the agent's line and says so.
    @Test func aRerunKeepsTheAgentsEditToAPathNamedLikeTheBranch() throws {
        let s = try Sandbox()
        let host = try LocalHost(root: s.path("host"))
        let env = ["SPRITES_TOKEN": host.token, "SPRITES_API_URL": host.url]
        let repo = try s.makeRepo("app2")
        try s.commit("docs/guide.md", "guide\n", message: "guide", in: repo)
        let first = try s.sprite(["up", "--no-agent", "--name", "box"], in: repo, env: env)
        #expect(first.status == 0, "\(first.stderr)")
        let edit = try s.sprite(
            ["exec", "box", "--", "sh", "-c", "echo AGENT-WORK >> docs/guide.md"], in: repo, env: env)
        #expect(edit.status == 0, "\(edit.stderr)")
        try s.git("checkout", "-q", "-b", "docs", in: repo)
        try s.git("commit", "-q", "--allow-empty", "-m", "x", in: repo)
        let again = try s.sprite(["up", "--no-agent", "--name", "box"], in: repo, env: env)
        #expect(again.status == 0, "\(again.stderr)")
        #expect(
            again.stderr.contains("this repository: left as it is: the sprite has uncommitted changes"),
            "\(again.stderr)")
        let guide = try s.sprite(["exec", "box", "--", "cat", "docs/guide.md"], in: repo, env: env)
        #expect(guide.stdout == "guide\nAGENT-WORK\n")
    }
}

@Suite("git sprite down", .ownThread)
struct DownTests {
    /// `down --destroy` cut short after its DELETE (Ctrl-C while the reply was on its way) left
    /// `branch.main.sprite` recorded: running it again said the sprite does not exist (exit 3)
    /// and kept the record. It now finishes the destroy: the record goes, and it says so.
    @Test func aDestroyCutShortAfterItsDeleteFinishesWhenRunAgain() throws {
        let w = try UpWorkspace()
        #expect(try w.up(["--no-agent"]).status == 0)
        #expect(try w.s.git("config", "--get", "branch.main.sprite", in: w.app) == "app-main")
        try w.host.client().deleteSprite("app-main")
        let again = try w.s.sprite(["down", "--destroy"], in: w.app, env: w.env)
        #expect(again.status == 0, "\(again.stderr)")
        #expect(
            again.stderr.contains("app-main was gone already from the Sprites API at \(w.host.url); forgot it here"),
            "\(again.stderr)")
        #expect(try w.s.run("git", ["config", "--get", "branch.main.sprite"], in: w.app).status == 1)
        // with nothing recorded, a sprite that is not there is still "not found"
        let gone = try w.s.sprite(["down", "--destroy"], in: w.app, env: w.env)
        #expect(gone.status == 3, "\(gone.stderr)")
        // parking is not destroying: a missing sprite is an error
        let park = try w.s.sprite(["down"], in: w.app, env: w.env)
        #expect(park.status == 3, "\(park.stderr)")
    }

    /// The agent's commits (in the workspace and in a linked repo) come home before anything
    /// is destroyed; uncommitted work in the sprite stops --destroy unless --force.
    @Test(.longRunning) func downBringsTheAgentsWorkHomeAndDestroysOnlyWhatIsSafe() throws {
        let w = try UpWorkspace()
        #expect(try w.up(["--no-agent"]).status == 0)
        let commit = "git -c user.name=agent -c user.email=agent@example.com commit -q"
        _ = try w.remote("cd workspace && git add -A && \(commit) -m 'agent work'")
        _ = try w.remote(
            "cd repos/notes && echo more >> file.txt && \(commit) -am 'agent notes' && git branch agent-idea")
        let agentHead = try w.remote("git -C workspace rev-parse HEAD")
        let notesHead = try w.remote("git -C repos/notes rev-parse HEAD")

        // parking also brings the commits home, and says so
        let park = try w.s.sprite(["down"], in: w.app, env: w.env)
        #expect(park.status == 0, "\(park.stderr)")
        #expect(
            park.stderr.contains(
                "this repository: fetched sprite/app-main/main, 1 commit you do not have (\(agentHead.prefix(12)))"),
            "\(park.stderr)")
        #expect(
            park.stderr.contains("linked repo 'notes': fetched sprite/app-main/agent-idea, 1 commit you do not have"),
            "\(park.stderr)")
        #expect(!park.stderr.contains("linked repo 'tools'"), "nothing new there: \(park.stderr)")
        #expect(try w.s.git("rev-parse", "sprite/app-main/main", in: w.app) == agentHead)
        #expect(try w.s.git("rev-parse", "sprite/app-main/main", in: w.notes) == notesHead)

        // uncommitted work of the agent's: refused, with the list and the ways out
        _ = try w.remote("echo draft > workspace/draft.txt")
        let refused = try w.s.sprite(["down", "--destroy"], in: w.app, env: w.env)
        #expect(refused.status == 1)
        #expect(
            refused.stderr.hasPrefix("error: not destroying app-main: it holds work that is not on your machine"),
            "\(refused.stderr)")
        #expect(refused.stderr.contains("hint: this repository: uncommitted changes in /home/sprite/workspace"))
        #expect(
            refused.stderr.contains(
                "hint: or destroy it anyway, saving what is not home in a bundle: git sprite down --destroy --force"))
        #expect(try w.host.client().getSprite("app-main") != nil)

        // committed in the sprite, it comes home and the sprite can go
        _ = try w.remote("cd workspace && git add -A && \(commit) -m draft")
        let destroyed = try w.s.sprite(["down", "--destroy"], in: w.app, env: w.env)
        #expect(destroyed.status == 0, "\(destroyed.stderr)")
        #expect(destroyed.stderr.contains("destroyed app-main"))
        #expect(try w.s.git("log", "-1", "--format=%s", "sprite/app-main/main", in: w.app) == "draft")
        #expect(try w.host.client().getSprite("app-main") == nil)

        // --force destroys whatever is there
        #expect(try w.up(["--no-agent"]).status == 0)
        _ = try w.remote("echo draft > workspace/draft2.txt")
        let forced = try w.s.sprite(["down", "--destroy", "--force"], in: w.app, env: w.env)
        #expect(forced.status == 0, "\(forced.stderr)")
        #expect(try w.host.client().getSprite("app-main") == nil)
    }

    /// The issue's reproduction: a commit and an uncommitted edit inside a submodule, and a
    /// stash in the superproject. The commit and the stash come home; the edit stops
    /// --destroy before the agent is stopped; --force saves it in a bundle it can be fetched from.
    @Test(.longRunning) func submoduleWorkAndStashesComeHomeOrStopADestroy() throws {
        let w = try UpWorkspace()
        #expect(try w.up().status == 0)
        let commit = "git -c user.name=agent -c user.email=agent@example.com"
        _ = try w.remote(
            "cd workspace/libs/lib && echo sub > sub.txt && git add sub.txt && \(commit) commit -qm 'in the submodule'")
        let subHead = try w.remote("git -C workspace/libs/lib rev-parse HEAD")
        _ = try w.remote("cd workspace && echo stashed >> README && \(commit) stash -q")
        let stash = try w.remote("git -C workspace rev-parse stash@{0}")
        _ = try w.remote("echo EDIT >> workspace/libs/lib/README")

        let refused = try w.s.sprite(["down", "--destroy"], in: w.app, env: w.env)
        #expect(refused.status == 1)
        #expect(
            refused.stderr.contains(
                "hint: this repository, submodule libs/lib: uncommitted changes in /home/sprite/workspace/libs/lib"),
            "\(refused.stderr)")
        #expect(
            try w.remote("tmux -S /home/sprite/.git-sprite/tmux.sock has-session -t =app-main && echo yes") == "yes",
            "a refusal leaves the agent running")
        // what could come home did
        #expect(try w.s.git("rev-parse", "refs/remotes/sprite/app-main/HEAD", in: w.app + "/libs/lib") == subHead)
        #expect(try w.s.git("rev-parse", "refs/sprite/app-main/stash/0", in: w.app) == stash)

        let forced = try w.s.sprite(["down", "--destroy", "--force"], in: w.app, env: w.env)
        #expect(forced.status == 0, "\(forced.stderr)")
        #expect(try w.host.client().getSprite("app-main") == nil)
        let salvage = try w.s.git("rev-parse", "--git-common-dir", in: w.app)
        let dirs = try FileManager.default.contentsOfDirectory(atPath: w.app + "/" + salvage + "/sprite-salvage")
        let bundle = try #require(
            dirs.first.map { w.app + "/\(salvage)/sprite-salvage/\($0)/workspace-libs-lib.bundle" })
        #expect(forced.stderr.contains("saved \(bundle); restore with: git fetch"), "\(forced.stderr)")
        try w.s.git("fetch", "-q", bundle, "+refs/*:refs/salvage/app-main/*", in: w.app + "/libs/lib")
        #expect(
            try w.s.git("show", "refs/salvage/app-main/git-sprite/uncommitted:README", in: w.app + "/libs/lib")
                .hasSuffix("EDIT"))
    }

    /// A repository the agent `git add`ed inside the workspace is a gitlink no .gitmodules
    /// entry names. `git submodule foreach` stops at such a gitlink ("No url found"), so a
    /// submodule sorting after it (`aa` before `libs/lib`) was never looked at: its commits
    /// stayed in the sprite, and a destroy did not mention them.
    @Test func anAddedRepositoryDoesNotHideTheWorkOfASubmoduleAfterIt() throws {
        let w = try UpWorkspace()
        #expect(try w.up(["--no-agent", "-q"]).status == 0)
        let commit = "git -c user.name=agent -c user.email=agent@example.com"
        _ = try w.remote(
            "cd workspace && git init -q aa && cd aa && echo a > a.txt && git add a.txt && \(commit) commit -qm aa "
                + "&& cd .. && git add aa 2>/dev/null && \(commit) commit -qm 'add aa'")
        _ = try w.remote(
            "cd workspace/libs/lib && echo sub > sub.txt && git add sub.txt && \(commit) commit -qm 'in the submodule'")
        let subHead = try w.remote("git -C workspace/libs/lib rev-parse HEAD")
        _ = try w.remote("echo EDIT >> workspace/libs/lib/README")
        let down = try w.s.sprite(["down"], in: w.app, env: w.env)
        #expect(down.status == 0, "\(down.stderr)")
        #expect(try w.s.git("rev-parse", "refs/remotes/sprite/app-main/HEAD", in: w.app + "/libs/lib") == subHead)
        let refused = try w.s.sprite(["down", "--destroy"], in: w.app, env: w.env)
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("uncommitted changes in /home/sprite/workspace/libs/lib"), "\(refused.stderr)")
    }

    /// Commits the agent made on a detached HEAD belong to no branch: they come home too.
    @Test func commitsOnADetachedHeadComeHomeAsSpriteDetached() throws {
        let w = try UpWorkspace()
        try w.s.git("checkout", "-q", "--detach", "HEAD", in: w.app)
        let up = try w.up(["--no-agent", "--no-changes", "-q"])
        #expect(up.status == 0, "\(up.stderr)")
        let name = up.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        _ = try w.remote(
            "cd workspace && echo x > x.txt && git add x.txt && "
                + "git -c user.name=a -c user.email=a@example.com commit -qm 'on detached'", sprite: name)
        let agentHead = try w.remote("git -C workspace rev-parse HEAD", sprite: name)
        let down = try w.s.sprite(["down"], in: w.app, env: w.env)
        #expect(down.status == 0, "\(down.stderr)")
        #expect(try w.s.git("rev-parse", "refs/remotes/sprite/\(name)/HEAD", in: w.app) == agentHead)
    }

    /// A sprite some other repository (or someone else) made: its commits cannot be fetched
    /// into this repository, so destroying it takes --force.
    @Test func aSpriteOfAnotherRepositoryIsDestroyedOnlyWithForce() throws {
        let w = try UpWorkspace()
        _ = try w.host.client().createSprite(SpriteCreation(name: "elsewhere", labels: ["git-sprite", "repo=other"]))
        let refused = try w.s.sprite(["down", "elsewhere", "--destroy"], in: w.app, env: w.env)
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("hint: elsewhere was not made by this repository"), "\(refused.stderr)")
        #expect(try w.host.client().getSprite("elsewhere") != nil)
        let forced = try w.s.sprite(["down", "elsewhere", "--destroy", "--force"], in: w.app, env: w.env)
        #expect(forced.status == 0, "\(forced.stderr)")
        #expect(try w.host.client().getSprite("elsewhere") == nil)
    }

    /// A linked repo gone from this machine: down still stops the agent, but cannot fetch,
    /// so destroying takes --force.
    @Test func aMissingLinkedRepoStillLetsDownStopTheAgent() throws {
        let w = try UpWorkspace()
        #expect(try w.up(["--no-agent"]).status == 0)
        try FileManager.default.removeItem(atPath: w.notes)
        let park = try w.s.sprite(["down"], in: w.app, env: w.env)
        #expect(park.status == 1, "\(park.stderr)")
        #expect(park.stderr.contains("nothing was fetched"), "\(park.stderr)")
        #expect(park.stderr.contains("error: app-main is parked, but not all of its work came home"), "\(park.stderr)")
        #expect(try w.host.client().getSprite("app-main") != nil)
        let refused = try w.s.sprite(["down", "--destroy"], in: w.app, env: w.env)
        #expect(refused.status == 1, "\(refused.stderr)")
        #expect(refused.stderr.contains("hint: the sprite's commits could not be fetched"), "\(refused.stderr)")
        #expect(try w.s.sprite(["down", "--destroy", "--force"], in: w.app, env: w.env).status == 0)
        #expect(try w.host.client().getSprite("app-main") == nil)
    }

    /// A commit the sprite's repository can no longer give (an object gone): down parks the
    /// sprite, says what did not come home and exits 1; once it can, `fetch` brings it.
    @Test func aParkWhoseFetchFailsSaysSoAndExitsNonZero() throws {
        let w = try UpWorkspace()
        #expect(try w.up(["--no-agent", "--no-changes"]).status == 0)
        let commit = "git -c user.name=a -c user.email=a@example.com"
        _ = try w.remote("cd workspace && echo x > x.txt && git add x.txt && \(commit) commit -qm 'by the agent'")
        let head = try w.remote("git -C workspace rev-parse HEAD")
        let object = "workspace/.git/objects/\(head.prefix(2))/\(head.dropFirst(2))"
        _ = try w.remote("mv \(object) /home/sprite/aside")
        let park = try w.s.sprite(["down", "--json"], in: w.app, env: w.env)
        #expect(park.status == 1, "\(park.stderr)")
        #expect(park.stderr.contains("error: app-main is parked, but not all of its work came home"), "\(park.stderr)")
        #expect(park.stderr.contains("hint: bring it home once that is fixed: git sprite fetch"), "\(park.stderr)")
        let json = try JSONSerialization.jsonObject(with: Data(park.stdout.utf8)) as? [String: Any]
        #expect((json?["action"] as? String) == "parked")
        #expect(((json?["unfetched"] as? [String]) ?? []).count == 1, "\(park.stdout)")
        #expect(try w.host.client().getSprite("app-main") != nil)
        _ = try w.remote("mv /home/sprite/aside \(object)")
        let fetch = try w.s.sprite(["fetch"], in: w.app, env: w.env)
        #expect(fetch.status == 0, "\(fetch.stderr)")
        #expect(try w.s.git("rev-parse", "refs/remotes/sprite/app-main/main", in: w.app) == head)
    }

    /// Your own uncommitted changes, shipped by `up`, are not the sprite's: they do not stop
    /// --destroy (you still have them).
    @Test func theSnapshotUpBroughtDoesNotBlockDestroy() throws {
        let w = try UpWorkspace()
        #expect(try w.up(["--no-agent"]).status == 0)
        let r = try w.s.sprite(["down", "--destroy"], in: w.app, env: w.env)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(try w.host.client().getSprite("app-main") == nil)
    }
}

/// Runs that overlap: a lock in the sprite decides, and a run that dies leaves none behind.
@Suite("git sprite up: concurrent runs", .ownThread)
struct UpConcurrencyTests {
    @Test func twoUpsOfOneBranchAtOnceEndWithOneCorrectSprite() throws {
        let w = try UpWorkspace()
        let runs = Locked([RunResult?](repeating: nil, count: 2))
        DispatchQueue.concurrentPerform(iterations: 2) { i in
            let r = try? w.up(["--no-agent"])
            runs.withLock { $0[i] = r }
        }
        for r in runs.value {
            #expect(r?.status == 0, "\(r?.stderr ?? "did not run")")
        }
        #expect(try w.host.client().listSprites().map(\.name) == ["app-main"])
        #expect(try w.remote("git -C workspace rev-parse HEAD") == (try w.s.git("rev-parse", "HEAD", in: w.app)))
        #expect(
            try w.remote("git -C workspace status --porcelain --untracked-files=all") == "M README\n?? scratch/new.txt")
        #expect(try w.remote("cd workspace && \(UpWorkspace.submodulePins)") == (try UpWorkspace.localPins(w.s, w.app)))
        #expect(try w.remote("git -C repos/notes rev-parse HEAD") == (try w.s.git("rev-parse", "HEAD", in: w.notes)))
    }

    @Test func aRunKilledWhileHoldingTheLockLeavesNoLockBehind() throws {
        let w = try UpWorkspace()
        #expect(try w.up(["--no-agent"]).status == 0)
        try w.s.commit("later.txt", "later\n", message: "later", in: w.app)
        let held = "flock -n /home/sprite/.git-sprite/up.lock true && echo free || echo held"
        let up = try w.s.startSprite(["up", "--no-agent"], in: w.app, env: w.env)
        let caught = eventually(seconds: 20) { (try? w.remote(held)) == "held" }
        kill(-up.process.processIdentifier, SIGKILL)
        _ = up.exited.wait(timeout: .now() + 10)
        #expect(caught, "the run never held the lock")
        #expect(eventually(seconds: 10) { (try? w.remote(held)) == "free" })
        let again = try w.up(["--no-agent"])
        #expect(again.status == 0, "\(again.stderr)")
        #expect(try w.remote("git -C workspace rev-parse HEAD") == (try w.s.git("rev-parse", "HEAD", in: w.app)))
    }
}

@Suite("git sprite attach", .ownThread)
struct AttachTests {
    @Test func attachJoinsTheAgentSessionInATerminalAndDetaches() throws {
        let w = try UpWorkspace()
        #expect(try w.up(["-m", "hello-attach"]).status == 0)
        // script(1) gives git sprite a real terminal; Ctrl-b d detaches from tmux
        let r = try w.s.inTerminal(
            "git sprite attach", typing: "\\002d", once: "agent-ready", dir: w.app, env: w.env)
        #expect(r.status == 0, "\(r.stdout) \(r.stderr)")
        #expect(r.stdout.contains("agent-ready"))
        #expect(r.stdout.contains("detached"))
        // the agent keeps running
        #expect(
            try w.remote("tmux -S /home/sprite/.git-sprite/tmux.sock has-session -t =app-main && echo yes") == "yes")
        let printed = try w.s.sprite(["attach", "--print"], in: w.app, env: w.env)
        #expect(
            printed.stdout
                == "sprite exec -s app-main --tty -- tmux -S /home/sprite/.git-sprite/tmux.sock attach -t =app-main\n")
        let noTerminal = try w.s.sprite(["attach"], in: w.app, env: w.env)
        #expect(noTerminal.status == 1)
        #expect(noTerminal.stderr.hasPrefix("error: git sprite attach needs a terminal"))
    }

    /// `attach` ended by a signal (SIGTERM: a closed tab's shell passing it on, `kill`) puts
    /// the terminal back as tmux would on leaving: the sprite's tmux never says goodbye, and
    /// the terminal stayed on tmux's alternate screen, with its cursor and mouse modes (termios
    /// itself was restored). A session that never went to the alternate screen is not sent the
    /// sequence that leaves it: leaving also restores a saved cursor, which would move the
    /// cursor back over what the session printed.
    @Test func aSessionEndedBySignalLeavesTheAlternateScreenOnlyWhenOnIt() throws {
        let w = try UpWorkspace()
        #expect(try w.up().status == 0)
        let enter = "\u{1b}[?1049h", leave = "\u{1b}[?1049l"
        let attached = try Self.endBySignal(w, "attach", once: enter)
        let entered = attached.range(of: enter, options: .backwards)
        #expect(entered.map { attached[$0.upperBound...].contains(leave) } == true, "\(attached.debugDescription)")
        let plain = try Self.endBySignal(w, "exec -it -- sh -c 'echo plain-ready; sleep 100'", once: "plain-ready")
        #expect(!plain.contains(leave), "\(plain.debugDescription)")
        #expect(plain.contains("\u{1b}[?25h"), "the rest of the reset: \(plain.debugDescription)")
        // a switch split across two writes is followed; and `exec -t` with stdin left alone (no
        // raw mode) is reset too: it was not reset at all, and a split switch was missed
        // (an adversarial review)
        let split = "sh -c 'printf \"\\033[?10\"; sleep 0.5; printf \"49h\"; echo split-ready; sleep 100'"
        // (and one among other modes: CSI ? 1049 ; 1 h sets both; a second review)
        let among = "sh -c 'printf \"\\033[?1049;1h\"; echo split-ready; sleep 100'"
        let cases = [
            ("exec -it -- " + split, enter), ("exec -t -- " + split, enter), ("exec -t -- " + among, "\u{1b}[?1049;1h"),
        ]
        for (args, entering) in cases {
            let shown = try Self.endBySignal(w, args, once: "split-ready")
            let entered = shown.range(of: entering, options: .backwards)
            #expect(
                entered.map { shown[$0.upperBound...].contains(leave) } == true, "\(args): \(shown.debugDescription)")
        }
    }

    /// Runs `git-sprite ARGS` on a terminal (script(1)), sends it SIGTERM once its output holds
    /// `once`, and returns all it printed when it has ended.
    static func endBySignal(_ w: UpWorkspace, _ args: String, once: String) throws -> String {
        let out = w.s.path("terminal-\(UUID().uuidString).out")
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = [
            "sh", "-c",
            "sleep 120 | script -qefc \(shellQuote(Sandbox.binDirectory + "/git-sprite " + args)) /dev/null",
        ]
        p.currentDirectoryURL = URL(fileURLWithPath: w.app)
        p.environment = w.s.environment.merging(w.env) { $1 }.merging(["TERM": "xterm"]) { $1 }
        FileManager.default.createFile(atPath: out, contents: nil)
        p.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: out))
        p.standardError = FileHandle.nullDevice
        try p.runWithSignalsUnblocked()
        defer { kill(-p.processIdentifier, SIGKILL) }
        let shown = { String(decoding: FileManager.default.contents(atPath: out) ?? Data(), as: UTF8.self) }
        #expect(eventually(seconds: 30) { shown().contains(once) }, "never printed \(once): \(shown())")
        let session = Self.processes(in: w.app) { $0.hasPrefix(Sandbox.binDirectory + "/git-sprite ") }
        #expect(session.count == 1, "\(session)")
        for pid in session { kill(pid, SIGTERM) }
        #expect(eventually(seconds: 30) { session.allSatisfy { kill($0, 0) != 0 } }, "\(args) did not end")
        // what script(1) still had to pass on: up to the reset's end, which comes after any
        // leaving of the alternate screen (waiting for a line's end was not enough: the
        // session's own output ends with one, and CI read it before the reset came through)
        let reset = "\u{1b}[?2004l\u{1b}[0m"
        #expect(eventually(seconds: 10) { shown().contains(reset) }, "never reset: \(shown().debugDescription)")
        return shown()
    }

    /// The processes working in `dir` whose command line (arguments joined by spaces) passes
    /// `matching`.
    /// With no `dir`, every process on the machine whose command line passes.
    static func processes(in dir: String? = nil, _ matching: (String) -> Bool) -> [pid_t] {
        let pids = (try? FileManager.default.contentsOfDirectory(atPath: "/proc"))?.compactMap { Int32($0) } ?? []
        return pids.filter { pid in
            guard dir == nil || (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/cwd")) == dir,
                let raw = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline")
            else { return false }
            return matching(String(decoding: raw.map { $0 == 0 ? 0x20 : $0 }, as: UTF8.self))
        }
    }

    /// A connection that drops under attach (the laptop sleeps, the network goes) must not
    /// leave its `tmux attach` running in the sprite forever: the TTY session is opened with
    /// a bounded `max_run_after_disconnect`.
    @Test(.longRunning) func aDroppedAttachLeavesNoTmuxClientBehindInTheSprite() throws {
        let w = try UpWorkspace()
        #expect(try w.up().status == 0)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["sh", "-c", "sleep 120 | script -qefc 'git sprite attach' /dev/null"]
        p.currentDirectoryURL = URL(fileURLWithPath: w.app)
        p.environment = w.s.environment.merging(w.env) { $1 }.merging(["TERM": "xterm"]) { $1 }
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.runWithSignalsUnblocked()
        let api = w.host.client()
        func attaches() -> Int { (try? api.sessions("app-main").filter { $0.command.contains("attach") }.count) ?? -1 }
        #expect(eventually(seconds: 30) { attaches() == 1 }, "attach never joined")
        // the whole terminal job dies at once: no close frame, no goodbye
        kill(-p.processIdentifier, SIGKILL)
        p.waitForExit(within: 30, "the killed attach job")
        #expect(eventually(seconds: 40) { attaches() == 0 }, "a tmux attach outlived its connection")
        #expect(
            try w.remote("tmux -S /home/sprite/.git-sprite/tmux.sock has-session -t =app-main && echo yes") == "yes")
    }
}

@Suite("git sprite up: interruptions and hostile names", .ownThread)
struct UpInterruptionTests {
    @Test func ctrlCStopsUpWithStatus130AndARerunConverges() throws {
        let w = try UpWorkspace()
        // Ctrl-C as a terminal sends it: SIGINT to the whole process group (git-sprite and the
        // git processes it started), at several points of the run; every re-run must finish
        var interrupted = 0
        for delay in [0.2, 0.5, 0.9] {
            let r = try Self.interrupt(w.s, "git sprite up --no-agent", after: delay, in: w.app, env: w.env)
            #expect([0, 130, SIGINT].contains(r.status), "\(r.status) \(r.stderr)")  // 99: not a group leader
            if r.status != 0 {
                interrupted += 1
                // under load the signal can land before git-sprite has started or set its
                // handler: it then ends silently, having done nothing (the re-run below still
                // has to converge); once it runs, it says so
                #expect(
                    r.stderr.isEmpty || r.stderr.contains("interrupted; run the command again to finish"),
                    "exit \(r.status) after \(delay) s: \(r.stderr)")
            }
            // nothing the run started locally lives on
            let left = Self.localProcessesLeft(in: [w.app, w.tools, w.notes], within: 5)
            #expect(left.isEmpty, "still running after Ctrl-C: \(left)")
        }
        #expect(interrupted > 0, "no run was interrupted")
        let again = try w.up(["--no-agent"])
        #expect(again.status == 0, "\(again.stderr)")
        #expect(try w.host.client().listSprites().map(\.name) == ["app-main"])
        #expect(try w.remote("git -C workspace rev-parse HEAD") == (try w.s.git("rev-parse", "HEAD", in: w.app)))
        #expect(try w.remote("cat workspace/README") == "hello, changed")
    }

    /// Ctrl-C while a `git push` through the tunnel is in flight: Foundation starts every child
    /// in a process group of its own, out of the terminal's reach, so git-sprite passes the
    /// signal on. Slow requests keep the push waiting, so one left behind would be seen.
    @Test(.longRunning) func ctrlCDuringAPushStopsThePushToo() throws {
        let w = try UpWorkspace()
        try w.host.faults(["latency_ms": 3000])
        let (up, exited) = try w.s.startSprite(["up", "--no-agent"], in: w.app, env: w.env)
        let dirs = [w.app, w.tools, w.notes]
        let deadline = Date().addingTimeInterval(60)
        while !Self.localProcesses(in: dirs).contains(where: { $0.contains(" push ") }) && Date() < deadline {
            usleep(20_000)
        }
        #expect(Self.localProcesses(in: dirs).contains { $0.contains(" push ") }, "no push was seen")
        kill(-up.processIdentifier, SIGINT)
        #expect(exited.wait(timeout: .now() + 30) == .success)
        #expect(up.endedByInterrupt, "\(up.ending)")
        // the push and its helper stop with git-sprite, instead of finishing seconds later
        let left = Self.localProcessesLeft(in: dirs, within: 2)
        #expect(left.isEmpty, "still running after Ctrl-C: \(left)")
        try w.host.faults(["latency_ms": 0])
        let again = try w.up(["--no-agent"])
        #expect(again.status == 0, "\(again.stderr)")
    }

    /// SIGTERM (a job runner cancelling, `timeout`), SIGHUP (the terminal closed) or SIGQUIT
    /// (Ctrl-\\) while a push is in flight, sent to git-sprite alone as `kill` and `timeout` do:
    /// it ends by the signal, as any program does, but first passes it on to the push (in a process group of its own, where
    /// the signal does not reach) and removes its temporary files. It used to die at once: its
    /// relay's directory stayed in the temporary directory (and a copy of the index, when the
    /// signal came during the snapshot), and its git commands were left to fail on their own
    /// once their tunnel was gone.
    /// (SIGHUP's case once found a push and its helper still running: a push spawned as the
    /// handler ran, see `aSignalDuringASpawnStopsTheNewChildToo`.)
    @Test(.longRunning, arguments: [SIGTERM, SIGHUP, SIGQUIT])
    func aTerminationSignalDuringAPushStopsThePushToo(_ sig: Int32) throws {
        let w = try UpWorkspace()
        let tmp = w.s.path("tmp")
        try FileManager.default.createDirectory(atPath: tmp, withIntermediateDirectories: true)
        try w.host.faults(["latency_ms": 3000])
        let env = w.env.merging(["TMPDIR": tmp]) { $1 }
        let (up, exited) = try w.s.startSprite(["up", "--no-agent"], in: w.app, env: env, throughGit: false)
        let dirs = [w.app, w.tools, w.notes]
        #expect(eventually(seconds: 60) { Self.localProcesses(in: dirs).contains { $0.contains(" push ") } })
        kill(up.processIdentifier, sig)
        #expect(exited.wait(timeout: .now() + 30) == .success)
        #expect(up.terminationReason == .uncaughtSignal && up.terminationStatus == sig, "\(up.ending)")
        let left = Self.localProcessesLeft(in: dirs, within: 2)
        #expect(left.isEmpty, "still running after the signal: \(left)")
        let files = try FileManager.default.contentsOfDirectory(atPath: tmp).filter { $0.hasPrefix("git-sprite-") }
        #expect(files.isEmpty, "\(files)")
        try w.host.faults(["latency_ms": 0])
        let again = try w.up(["--no-agent"])
        #expect(again.status == 0, "\(again.stderr)")
    }

    /// A signal while git-sprite rewrites `.git/config` in-process (libgit2, through
    /// `config.lock`: `link` here; `up` records the sprite's name and root the same way) lets
    /// the write finish: the handler's exit mid-write left the lock for good, and every later
    /// `git config` failed on it. A large config keeps the lock there long enough to be seen.
    @Test(arguments: [SIGINT, SIGTERM])
    func aSignalDuringAConfigWriteLeavesNoLock(_ sig: Int32) throws {
        let s = try Sandbox()
        let app = try s.makeRepo("app")
        _ = try s.makeRepo("other")
        let padding = (0..<200_000).map { "[pad \"k\($0)\"]\n\tv = xxxxxxxxxxxxxxxxxxxx\n" }.joined()
        let config = try FileHandle(forWritingTo: URL(fileURLWithPath: app + "/.git/config"))
        try config.seekToEnd()
        try config.write(contentsOf: Data(padding.utf8))
        try config.close()
        let lock = app + "/.git/config.lock"
        let (link, exited) = try s.startSprite(["link", "../other"], in: app, env: [:], throughGit: false)
        let deadline = Date().addingTimeInterval(60)
        while access(lock, F_OK) != 0 && link.isRunning && Date() < deadline {}
        #expect(access(lock, F_OK) == 0, "the lock was never seen")
        kill(link.processIdentifier, sig)
        #expect(exited.wait(timeout: .now() + 30) == .success)
        #expect(link.terminationReason == .uncaughtSignal && link.terminationStatus == sig, "\(link.ending)")
        #expect(access(lock, F_OK) != 0, "config.lock left behind")
        // the write was whole: the link is there, and git can write the config again
        #expect(try s.git("config", "--get", "sprite.link.other.path", in: app).hasSuffix("/other"))
        try s.git("config", "sprite.after", "yes", in: app)
    }

    /// The copy of the index `up` snapshots through is in a directory of this run's own (0700):
    /// git rewrites it through a lock made 0644, so in a shared /tmp any user could read the
    /// repository's every path and blob id while `up` ran (an adversarial review).
    @Test func theTemporaryIndexIsNoOneElsesToRead() throws {
        let w = try UpWorkspace()
        let tmp = w.s.path("tmp")
        try FileManager.default.createDirectory(atPath: tmp, withIntermediateDirectories: true)
        let mark = w.s.path("index-directory")
        let env = try Self.wrapGit(
            w,
            cases: """
                *" add "*) [ -n "$GIT_INDEX_FILE" ] && stat -c '%a %n' "$(dirname "$GIT_INDEX_FILE")" >> '\(mark)' ;;
                """
        ).merging(["TMPDIR": tmp]) { $1 }
        let (up, exited) = try w.s.startSprite(["up", "--no-agent"], in: w.app, env: env, throughGit: false)
        #expect(exited.wait(timeout: .now() + 120) == .success)
        #expect(up.terminationStatus == 0)
        let seen = (try? String(contentsOfFile: mark, encoding: .utf8)) ?? ""
        #expect(!seen.isEmpty, "no add with a temporary index was seen")
        for line in seen.split(separator: "\n") {
            #expect(line.hasPrefix("700 \(tmp)/git-sprite-"), "\(line)")
        }
        // and it is gone once `up` is
        #expect(try FileManager.default.contentsOfDirectory(atPath: tmp).isEmpty)
    }

    /// A signal between a spawn and the child's record: the spawn's own child is still in
    /// our process group until it execs (where a handler's look for children passes it by),
    /// and the handler ended the process before the spawning thread recorded the child, so
    /// that `git push` ran on alone (one full run in 8 saw a push and its helper outlive an
    /// `up` ended by SIGHUP). To hold that moment open, a preloaded `posix_spawn` starts the
    /// first push through a python that stays in our group for 3 seconds before it moves to a
    /// group of its own and execs git, and holds the spawning thread half a second after the
    /// spawn. The handler must wait for the spawn and stop that child.
    @Test(.longRunning) func aSignalDuringASpawnStopsTheNewChildToo() throws {
        let w = try UpWorkspace()
        let shim = w.s.path("slow-spawn.so")
        let source = w.s.path("slow-spawn.c")
        try Self.slowSpawn.write(toFile: source, atomically: true, encoding: .utf8)
        let compiled = try w.s.run("clang", ["-shared", "-fPIC", "-o", shim, source, "-ldl"])
        #expect(compiled.status == 0, "\(compiled.stderr)")
        let mark = w.s.path("spawned")
        let env = w.env.merging(["LD_PRELOAD": shim, "SLOW_SPAWN_MARK": mark]) { $1 }
        let (up, exited) = try w.s.startSprite(["up", "--no-agent"], in: w.app, env: env, throughGit: false)
        #expect(eventually(seconds: 60) { FileManager.default.fileExists(atPath: mark) }, "no push started")
        kill(up.processIdentifier, SIGTERM)
        #expect(exited.wait(timeout: .now() + 30) == .success)
        #expect(up.terminationReason == .uncaughtSignal && up.terminationStatus == SIGTERM)
        let left = Self.localProcessesLeft(in: [w.app, w.tools, w.notes], within: 2)
        #expect(left.isEmpty, "still running after the signal: \(left)")
        let again = try w.up(["--no-agent"])
        #expect(again.status == 0, "\(again.stderr)")
    }

    /// The preloaded `posix_spawn` of `aSignalDuringASpawnStopsTheNewChildToo`: the first
    /// `git push` (once `SLOW_SPAWN_MARK` names a file not there yet) starts in our own process
    /// group through a python that moves to its own group and execs git 3 seconds later, and
    /// the spawning thread is held half a second after the spawn, the mark made.
    static let slowSpawn = #"""
        #define _GNU_SOURCE
        #include <dlfcn.h>
        #include <fcntl.h>
        #include <spawn.h>
        #include <stdlib.h>
        #include <string.h>
        #include <unistd.h>

        typedef int (*spawn_fn)(pid_t *, const char *, const posix_spawn_file_actions_t *,
                                const posix_spawnattr_t *, char *const[], char *const[]);

        int posix_spawn(pid_t *pid, const char *path, const posix_spawn_file_actions_t *actions,
                        const posix_spawnattr_t *attributes, char *const argv[], char *const envp[]) {
            spawn_fn real = (spawn_fn)dlsym(RTLD_NEXT, "posix_spawn");
            const char *mark = getenv("SLOW_SPAWN_MARK");
            int push = 0, n = 0;
            for (; argv[n]; n++) if (strcmp(argv[n], "push") == 0) push = 1;
            if (!mark || !push || access(mark, F_OK) == 0 || n > 60 || !attributes)
                return real(pid, path, actions, attributes, argv, envp);
            posix_spawnattr_t late = *attributes;
            short flags = 0;
            posix_spawnattr_getflags(&late, &flags);
            posix_spawnattr_setflags(&late, flags & ~POSIX_SPAWN_SETPGROUP);
            char *args[64] = {"/usr/bin/python3", "-c",
                "import os, sys, time; time.sleep(3); os.setpgid(0, 0); os.execv(sys.argv[1], sys.argv[1:])",
                (char *)path};
            for (int i = 1; i <= n; i++) args[3 + i] = argv[i];
            int rc = real(pid, args[0], actions, &late, args, envp);
            close(open(mark, O_CREAT | O_WRONLY | O_CLOEXEC, 0644));
            usleep(500000);
            return rc;
        }
        """#

    /// Under `nohup` (SIGHUP ignored) a closed terminal does not end `up`: no handler is set
    /// over SIGTERM, SIGHUP or SIGQUIT when we were started with it ignored.
    @Test(arguments: [SIGHUP])
    func anIgnoredSignalStaysIgnored(_ sig: Int32) throws {
        let w = try UpWorkspace()
        let mark = w.s.path("mark")
        let env = try Self.wrapGit(w, cases: "*\" push \"*) : > '\(mark)'; sleep 1 ;;")
        let status = w.s.path("status")
        let script = "trap '' \(sig == SIGHUP ? "HUP" : "INT"); \"$0\" up --no-agent -q; echo $? > '\(status)'"
        let sh = Process()
        sh.executableURL = URL(fileURLWithPath: "/bin/sh")
        sh.arguments = ["-c", script, Sandbox.binDirectory + "/git-sprite"]
        sh.currentDirectoryURL = URL(fileURLWithPath: w.app)
        sh.environment = w.s.environment.merging(env) { $1 }
        (sh.standardOutput, sh.standardError) = (FileHandle.nullDevice, FileHandle.nullDevice)
        let exited = sh.exitSignal()
        try sh.runWithSignalsUnblocked()
        #expect(eventually(seconds: 60) { FileManager.default.fileExists(atPath: mark) })
        kill(-sh.processIdentifier, sig)
        #expect(exited.wait(timeout: .now() + 60) == .success)
        #expect((try? String(contentsOfFile: status, encoding: .utf8)) == "0\n")
    }

    /// Runs a command in a process group of its own and sends SIGINT to the whole group after
    /// `delay` seconds, as a terminal does on Ctrl-C. (Foundation starts the shell as the
    /// leader of a new group; it then execs the command.) Returns the exit status (SIGINT's
    /// number when the signal ended the `git` in front of git-sprite) and stderr.
    /// Ctrl-C while `up` writes a ref: the ref update is not cut half-way but finishes after
    /// `up` has gone, and leaves no lock. (git removes its lock when a signal arrives only once
    /// it has set its handlers, after making the lock: an interrupt in between left
    /// `refs/sprite/app-main/shipped.lock`, and every later `up` failed on it.)
    @Test func ctrlCDuringARefUpdateLetsItFinishAndLeavesNoLock() throws {
        let w = try UpWorkspace()
        let mark = w.s.path("update-ref")
        let up = try Self.interruptUp(w, whileGitRuns: "update-ref", mark: mark)
        #expect(up.endedByInterrupt, "\(up.ending)")
        let done = { (try? String(contentsOfFile: mark + ".done", encoding: .utf8)) ?? "nothing" }
        #expect(eventually(seconds: 30) { done() == "0\n" }, "the ref update was cut: it ended with \(done())")
        let locks = try w.s.run("find", [w.app + "/.git", "-name", "*.lock"]).stdout
        #expect(locks.isEmpty, "\(locks)")
        let again = try w.up(["--no-agent"])
        #expect(again.status == 0, "\(again.stderr)")
    }

    /// After Ctrl-C nothing new starts. The handler stops the running children and waits only
    /// for those left alone to finish (a ref update) before it exits; meanwhile another thread
    /// whose step ended went on to its next one and started git again, which nothing stopped
    /// and which outlived `up` (seen once in CI as a push still running after Ctrl-C,
    /// `ctrlCDuringAPushStopsThePushToo`). Here the linked repository's ref update is left alone
    /// and holds the handler for a second and a half, and the primary repository's push ignores
    /// SIGINT and ends after it: the thread that waited for that push must not go on to its ref
    /// update. (Without the fix this failed in 3 of 6 runs: the signal's handler may run on that
    /// very thread, which then never goes on.)
    @Test(.longRunning) func nothingStartsAfterCtrlC() throws {
        let w = try UpWorkspace()
        let mark = w.s.path("mark")
        let (flag, after) = (w.s.path("interrupted"), w.s.path("started-after"))
        let env = try Self.wrapGit(
            w,
            cases: """
                "app: "*" push "*|"app: push "*) trap '' INT; : > '\(mark).push'; interrupted ;;
                "notes-repo: "*" update-ref "*|"notes-repo: update-ref "*) : > '\(mark).update-ref'; interrupted; sleep 1.5 ;;
                """,
            before: """
                [ -e '\(flag)' ] && printf '%s\\n' "$*" >> '\(after)'
                interrupted() {
                    n=0
                    while [ ! -e '\(flag)' ] && [ $n -lt 1200 ]; do sleep 0.05; n=$((n + 1)); done
                }
                """)
        let (up, exited) = try w.s.startSprite(["up", "--no-agent"], in: w.app, env: env, throughGit: false)
        let marked = { (name: String) in FileManager.default.fileExists(atPath: mark + "." + name) }
        #expect(eventually(seconds: 60) { marked("push") && marked("update-ref") })
        FileManager.default.createFile(atPath: flag, contents: nil)
        kill(-up.processIdentifier, SIGINT)
        #expect(exited.wait(timeout: .now() + 30) == .success, "up did not stop")
        #expect(up.endedByInterrupt, "\(up.ending)")
        let started = (try? String(contentsOfFile: after, encoding: .utf8)) ?? ""
        #expect(started.isEmpty, "git started after Ctrl-C: \(started)")
    }

    /// Started with stdin, stdout and stderr closed (`<&- >&- 2>&-`, as a job runner may): the
    /// API's connection took descriptor 2, and `-v`'s first trace line went into it as if it
    /// were the request (the host answered 400 and `up` failed).
    @Test func upStartedWithItsStandardDescriptorsClosedShips() throws {
        let w = try UpWorkspace()
        let status = w.s.path("status")
        let script = "\"$0\" up --no-agent -v <&- >&- 2>&-; echo $? > \"$1\""
        _ = try w.s.run("sh", ["-c", script, Sandbox.binDirectory + "/git-sprite", status], in: w.app, env: w.env)
        #expect((try? String(contentsOfFile: status, encoding: .utf8)) == "0\n")
    }

    /// Ctrl-C while `up` reads the work tree into its temporary index (a copy of yours, as
    /// large as your index): the copy is removed, though the handler exits at once.
    @Test func ctrlCDuringTheSnapshotLeavesNoTemporaryIndex() throws {
        let w = try UpWorkspace()
        let tmp = w.s.path("tmp")
        try FileManager.default.createDirectory(atPath: tmp, withIntermediateDirectories: true)
        let up = try Self.interruptUp(w, whileGitRuns: "add", mark: w.s.path("add"), env: ["TMPDIR": tmp])
        #expect(up.endedByInterrupt, "\(up.ending)")
        let left = try FileManager.default.contentsOfDirectory(atPath: tmp).filter { $0.hasPrefix("git-sprite-") }
        #expect(left.isEmpty, "\(left)")
    }

    /// The environment of a run whose `git` is a wrapper: the shell `case` branches `cases`
    /// (matched against `"$here: $* "`, `here` the name of git's working directory), then
    /// the real git.
    static func wrapGit(_ w: UpWorkspace, cases: String, before: String = "") throws -> [String: String] {
        let wrap = w.s.path("wrap")
        try FileManager.default.createDirectory(atPath: wrap, withIntermediateDirectories: true)
        let git = """
            #!/bin/sh
            \(before)
            here=$(basename "$(pwd -P)")
            case "$here: $* " in
            \(cases)
            esac
            exec /usr/bin/git "$@"
            """
        try git.write(toFile: wrap + "/git", atomically: true, encoding: .utf8)
        chmod(wrap + "/git", 0o755)
        return w.env.merging(["PATH": wrap + ":" + (w.s.environment["PATH"] ?? "")]) { $1 }
    }

    /// Starts `git-sprite up --no-agent`, slows the first git `command` it runs down (`mark`
    /// `.started` when it begins, `.done` with its status when it ends), sends Ctrl-C to the
    /// run's process group in the middle of it and returns the run's exit status.
    static func interruptUp(
        _ w: UpWorkspace, whileGitRuns command: String, mark: String, env extra: [String: String] = [:]
    ) throws -> Process {
        // git-sprite started itself, not through git (which would put its own directory first
        // on PATH, before the wrapper)
        let env = try Self.wrapGit(
            w,
            cases: """
                *" \(command) "*) : > '\(mark).started'; sleep 2; /usr/bin/git "$@"; s=$?; echo $s > '\(mark).done'; exit $s ;;
                """
        ).merging(extra) { $1 }
        let (p, exited) = try w.s.startSprite(["up", "--no-agent"], in: w.app, env: env, throughGit: false)
        #expect(eventually(seconds: 120) { FileManager.default.fileExists(atPath: mark + ".started") })
        kill(-p.processIdentifier, SIGINT)
        #expect(exited.wait(timeout: .now() + 30) == .success, "up did not stop")
        return p
    }

    static func interrupt(
        _ w: Sandbox, _ command: String, after delay: Double, in dir: String,
        env: [String: String]
    ) throws -> (status: Int32, stderr: String) {
        let script =
            "[ \"$(ps -o pgid= -p $$ | tr -d ' ')\" = $$ ] || exit 99; "
            + "(sleep \(delay); kill -INT -$$ 2>/dev/null) & exec \(command)"
        let r = try w.run("sh", ["-c", script], in: dir, env: env)
        return (r.status, r.stderr)
    }

    /// `localProcesses(in:)` once none is left or `seconds` have passed, whichever comes first.
    static func localProcessesLeft(in dirs: [String], within seconds: Double) -> [String] {
        let deadline = Date().addingTimeInterval(seconds)
        var left = localProcesses(in: dirs)
        while !left.isEmpty && Date() < deadline {
            usleep(20_000)
            left = localProcesses(in: dirs)
        }
        return left
    }

    /// Command lines of the processes whose working directory is one of `dirs` (or inside).
    static func localProcesses(in dirs: [String]) -> [String] {
        let pids = (try? FileManager.default.contentsOfDirectory(atPath: "/proc"))?.filter { Int($0) != nil } ?? []
        return pids.compactMap { pid in
            guard let cwd = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/cwd"),
                dirs.contains(where: { cwd == $0 || cwd.hasPrefix($0 + "/") }),
                let raw = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline")
            else { return nil }
            return String(decoding: raw.map { $0 == 0 ? 0x20 : $0 }, as: UTF8.self)
        }
    }

    @Test func aBranchFullOfShellMetacharactersShipsAndNothingExecutes() throws {
        let w = try UpWorkspace()
        let branch = "feat/$(touch${IFS}/tmp/gs-pwned)`touch${IFS}x`;&|"
        #expect(try w.s.run("git", ["checkout", "-q", "-b", branch], in: w.app).status == 0)
        let r = try w.up(["--no-agent", "-q"])
        #expect(r.status == 0, "\(r.stderr)")
        let name = r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(
            name.range(of: "^app-feat-touch-ifs-tmp-gs-pwned-touch-ifs-[0-9a-f]{8}$", options: .regularExpression)
                != nil,
            "\(name)")
        #expect(try w.remote("git -C workspace symbolic-ref --short HEAD", sprite: name) == branch)
        #expect(!FileManager.default.fileExists(atPath: "/tmp/gs-pwned"))
        #expect(!FileManager.default.fileExists(atPath: w.app + "/x"))
        #expect(try w.remote("ls /tmp /home/sprite | grep -c -e gs-pwned -e '^x$' || true", sprite: name) == "0")
    }
}

@Suite("git sprite up: agent environment and remotes", .ownThread)
struct UpAgentEnvironmentTests {
    /// `claude` as the agent: installed by the configured installer only when
    /// `claude --version` fails; packages already in the image are left alone, a missing one
    /// that cannot be installed stops `up` with a clear error.
    @Test(.longRunning) func claudeIsInstalledOnlyWhenMissingAndPackagesOnlyWhenAbsent() throws {
        let w = try UpWorkspace()
        let installer = """
            echo run >> /home/sprite/installer-runs; mkdir -p /home/sprite/.local/bin && \
            printf '#!/bin/sh\\n[ "$1" = --version ] && { echo 9.9.9; exit 0; }\\nprintf "%%s|" "$@" > /home/sprite/claude-args\\nexec sleep 100000\\n' \
              > /home/sprite/.local/bin/claude && chmod +x /home/sprite/.local/bin/claude
            """
        try w.s.git("config", "sprite.agent.command", "claude", in: w.app)
        try w.s.git("config", "sprite.image.claudeInstaller", installer, in: w.app)
        try w.s.git("config", "--add", "sprite.image.packages", "git", in: w.app)
        try w.s.git("config", "--add", "sprite.image.packages", "coreutils", in: w.app)
        let first = try w.up(["-m", "fix the $(bug)", "--json"])
        #expect(first.status == 0, "\(first.stderr)")
        let steps = (try first.json()["steps"] as? [[String: Any]])?.compactMap { $0["name"] as? String } ?? []
        #expect(steps.contains("packages"), "\(steps)")
        #expect(try w.remote("cat installer-runs") == "run")
        #expect(try w.remote("sleep 1; cat claude-args") == "fix the $(bug)|")
        // a stopped agent started again: claude is there now, so the installer does not run
        #expect(try w.s.sprite(["down"], in: w.app, env: w.env).status == 0)
        #expect(
            try w.remote("tmux -S .git-sprite/tmux.sock has-session -t =app-main 2>&1; echo $?").hasSuffix("1"),
            "down leaves no agent running")
        #expect(try w.remote("pgrep -fx 'sleep 100000' || echo none") == "none")
        #expect(try w.up().status == 0)
        #expect(try w.remote("cat installer-runs") == "run")
        // and it continues its conversation instead of starting a new one
        #expect(try w.remote("sleep 1; cat claude-args") == "--continue|")

        try w.s.git("config", "--add", "sprite.image.packages", "git-sprite-no-such-package", in: w.app)
        let missing = try w.up(["--no-agent"])
        #expect(missing.status == 1)
        #expect(missing.stderr.contains("error: installing packages in the sprite failed"), "\(missing.stderr)")
        #expect(missing.stderr.contains("hint: check sprite.image.packages"))
    }

    /// The variables named by `sprite.agent.env` reach the agent whether or not the service
    /// honours a service's `env` (the sparse host ignores it, as the Go SDK's service request
    /// has none), never through argv, traces or the service's definition, and leave with it.
    @Test(arguments: [false, true])
    func agentEnvironmentIsForwardedWithoutEverBeingShown(sparse: Bool) throws {
        let w = try UpWorkspace(sparse: sparse)
        try w.s.git("config", "sprite.agent.env", "ANTHROPIC_API_KEY", in: w.app)
        try w.s.git("config", "--add", "sprite.agent.env", "OTHER_TOKEN", in: w.app)
        try w.s.git(
            "config", "sprite.agent.command",
            "sh -c 'printf %s \"$ANTHROPIC_API_KEY\" > /home/sprite/agent-key; printf %s \"$OTHER_TOKEN\" > /home/sprite/other; "
                + "exec sleep 100000'", in: w.app)
        let secret = "sk-ant-test-9f8e7d6c5b4a"
        let awkward = "it's $(touch /home/sprite/pwned) `x` \\ \"q\"\nline two"
        let r = try w.up(
            ["--json", "-v"], extra: ["ANTHROPIC_API_KEY": secret, "OTHER_TOKEN": awkward, "GIT_SPRITE_TRACE": "1"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(eventually { (try? w.remote("cat agent-key")) == secret })
        #expect(try w.host.client().readFile("app-main", path: "/home/sprite/other") == Data(awkward.utf8))
        #expect(try w.remote("test -e pwned && echo pwned || echo clean") == "clean")
        #expect(!r.stdout.contains(secret) && !r.stderr.contains(secret))
        #expect(r.stderr.contains("trace: > PUT"))  // traces were on, and still no secret
        let ps = try w.remote("ps -eo args")
        #expect(!ps.contains(secret))
        // not in the service's definition; in a file only its owner reads
        let services = String(
            decoding: try w.host.client().call("GET", "/v1/sprites/app-main/services").body, as: UTF8.self)
        #expect(services.contains("git-sprite") || services.contains("agent"), "\(services)")
        #expect(!services.contains(secret), "\(services)")
        #expect(try w.remote("stat -c %a .git-sprite/agent.env") == "600")
        // down takes it away with the agent
        #expect(try w.s.sprite(["down"], in: w.app, env: w.env).status == 0)
        #expect(try w.remote("test -e .git-sprite/agent.env && echo kept || echo gone") == "gone")
    }

    @Test func aRemoteTheSpriteCanReachIsClonedAndOnlyLocalCommitsTunnel() throws {
        let w = try UpWorkspace()
        // serve the app's bare remote over HTTP on this machine's own address (a sprite never
        // reaches the host's loopback), reachable from this machine and the sprite
        let bare = w.s.path("remotes/app.git")
        try w.s.git("update-server-info", in: bare)
        let server = Process()
        server.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        server.arguments = [
            "python3", "-m", "http.server", "0", "--bind", TestNetwork.hostAddress,
            "--directory", w.s.path("remotes"),
        ]
        let out = Pipe()
        server.standardOutput = out
        server.standardError = out
        try server.runWithSignalsUnblocked()
        defer { server.terminate() }
        var banner = ""
        let deadline = Date().addingTimeInterval(10)
        while !banner.contains("port "), Date() < deadline {
            banner += String(decoding: out.fileHandleForReading.availableData, as: UTF8.self)
        }
        let port = try #require(banner.split(separator: " ").drop { $0 != "port" }.dropFirst().first.map(String.init))
        try w.s.git("remote", "set-url", "origin", "http://\(TestNetwork.hostAddress):\(port)/app.git", in: w.app)
        try w.s.git("fetch", "-q", "origin", in: w.app)
        let plan = try w.s.sprite(["plan", "--json"], in: w.app, env: w.env).json()
        #expect(plan[path: "primary.transport.method"] as? String == "clone+tunnel")
        #expect(plan[path: "primary.transport.localCommits"] as? Int == 2)
        let r = try w.up(["--no-agent"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(!r.stderr.contains("this repository: cloning"))  // no fallback note: the clone worked
        #expect(
            try w.remote("git -C workspace remote get-url origin")
                == "http://\(TestNetwork.hostAddress):\(port)/app.git")
        #expect(try w.remote("git -C workspace rev-parse HEAD") == (try w.s.git("rev-parse", "HEAD", in: w.app)))
        #expect(
            try w.remote("git -C workspace rev-parse origin/main")
                == (try w.s.git("rev-parse", "origin/main", in: w.app)))
        #expect(try w.remote("git -C workspace rev-parse --is-shallow-repository") == "false")
    }

    /// `sprite.git.shallow=true`: the clone has depth 1 and the local commits still arrive
    /// through the tunnel on top of it. (`git daemon` on loopback: shallow clones need git's
    /// smart protocol, which the dumb HTTP server above does not speak.)
    @Test func aShallowCloneIsOptInAndLocalCommitsLandOnTop() throws {
        let w = try UpWorkspace()
        let daemon = try GitDaemon(serving: w.s.path("remotes"), sandbox: w.s)
        let url = daemon.url + "/app.git"
        try w.s.git("remote", "set-url", "origin", url, in: w.app)
        try w.s.git("config", "sprite.git.shallow", "true", in: w.app)
        let r = try w.up(["--no-agent"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(!r.stderr.contains("this repository: cloning"), "\(r.stderr)")  // the clone worked
        #expect(try w.remote("git -C workspace rev-parse --is-shallow-repository") == "true")
        #expect(try w.remote("git -C workspace rev-parse HEAD") == (try w.s.git("rev-parse", "HEAD", in: w.app)))
        // the remote's tip (depth 1) and the two local commits on top of it
        #expect(try w.remote("git -C workspace rev-list --count HEAD") == "3")
        #expect(
            try w.remote("git -C workspace status --porcelain --untracked-files=all") == "M README\n?? scratch/new.txt")
    }

    /// A submodule that is not initialised here is cloned from its URL in the sprite (relative
    /// URL resolved against the remote), at the commit the superproject records.
    @Test func anUninitialisedSubmoduleIsClonedFromItsURLInTheSprite() throws {
        let w = try UpWorkspace()
        let daemon = try GitDaemon(serving: w.s.path("remotes"), sandbox: w.s)
        try w.s.git("remote", "set-url", "origin", daemon.url + "/app.git", in: w.app)
        try w.s.git("submodule", "deinit", "-q", "-f", "libs/lib", in: w.app)
        let plan = try w.s.sprite(["plan", "--json"], in: w.app, env: w.env).json()
        #expect(plan[path: "primary.submodules.0.resolvedUrl"] as? String == daemon.url + "/lib.git")
        #expect(plan[path: "primary.submodules.0.transport.method"] as? String == "clone")
        let r = try w.up(["--no-agent"])
        #expect(r.status == 0, "\(r.stderr)")
        let recorded = try w.s.git("rev-parse", "HEAD:libs/lib", in: w.app)
        #expect(try w.remote("git -C workspace/libs/lib rev-parse HEAD") == recorded)
        #expect(try w.remote("git -C workspace/libs/lib remote get-url origin") == daemon.url + "/lib.git")
        // and its own submodule, recursively
        let inner = try w.s.git("rev-parse", "HEAD:vendor/inner", in: w.s.path("seed/lib"))
        #expect(try w.remote("git -C workspace/libs/lib/vendor/inner rev-parse HEAD") == inner)
    }
}

/// `git daemon` on this machine's own address serving a directory of bare repositories (git's
/// smart protocol, reachable from this machine and from sprites with network).
final class GitDaemon {
    let url: String
    private let daemon: TestDaemon

    init(serving base: String, sandbox s: Sandbox) throws {
        let address = TestNetwork.hostAddress
        let port = try TestNetwork.freePort(on: address)
        daemon = try TestDaemon(
            [
                "git", "daemon", "--listen=\(address)", "--port=\(port)", "--export-all", "--reuseaddr",
                "--base-path=" + base, base,
            ], environment: s.environment, waitForFirstLine: false)
        url = "git://\(address):\(port)"
        _ = eventually(seconds: 10) { (try? s.run("git", ["ls-remote", url + "/app.git"]))?.status == 0 }
    }
}
