import Foundation
import TestSupport
import Testing

/// The conventions of docs/conventions.md, command by command, end to end through `git sprite`.
@Suite("conventions every command follows", .ownThread)
struct ConventionsTests {
    /// A repository with a stand-in agent that commits `agent.txt`, changes `file.txt` and
    /// waits, on a host of its own.
    struct Living {
        let s: Sandbox
        let host: LocalHost
        let app: String
        let env: [String: String]

        init(
            agent: String = "sh -c 'cd /home/sprite/workspace && echo agent > agent.txt && git add agent.txt "
                + "&& git commit -qm \"agent: add agent.txt\" && echo changed-by-agent >> file.txt "
                + "&& echo agent-ready; exec sleep 100000'", branch: String? = nil
        ) throws {
            s = try Sandbox()
            app = try s.makeRepo("app")
            host = try LocalHost(root: s.path("host"))
            env = ["SPRITES_TOKEN": host.token, "SPRITES_API_URL": host.url]
            try s.git("config", "sprite.agent.command", agent, in: app)
            try s.git("config", "sprite.network.defaultPolicy", "block-all", in: app)
            if let branch { try s.git("checkout", "-q", "-b", branch, in: app) }
            let up = try sprite(["up"])
            #expect(up.status == 0, "\(up.stderr)")
        }

        func sprite(_ args: [String], extra: [String: String] = [:]) throws -> RunResult {
            try s.sprite(args, in: app, env: env.merging(extra) { $1 })
        }
    }

    @Test func aSpriteThatIsNotThereIsExit3AndHintsNameTheSpriteMeant() throws {
        let w = try Living(branch: "feature/login")
        try w.s.git("checkout", "-q", "-b", "other", in: w.app)
        // parked from another branch: every hint names feature/login, not the current branch
        let down = try w.sprite(["down", "feature/login"])
        #expect(down.status == 0, "\(down.stderr)")
        #expect(down.stderr.contains("(delete it: git sprite down --destroy feature/login)"), "\(down.stderr)")
        let refused = try w.sprite(["down", "--destroy", "feature/login"])
        #expect(refused.status == 1, "\(refused.stderr)")
        #expect(refused.stderr.contains("git sprite exec feature/login -- git commit -am wip"), "\(refused.stderr)")
        #expect(refused.stderr.contains("git sprite down --destroy --force feature/login"), "\(refused.stderr)")
        // a parked, cold sprite: logs does not promise an agent that will not come
        let name = try w.s.git("config", "branch.feature/login.sprite", in: w.app)
        try w.host.hook("POST", "/_host/sprites/\(name)/cold")
        let logs = try w.sprite(["logs", "feature/login"])
        #expect(logs.status == 0, "\(logs.stderr)")
        #expect(!logs.stderr.contains("starts again"), "\(logs.stderr)")
        #expect(logs.stderr.contains("it was stopped, or never started"), "\(logs.stderr)")
        // not there: exit 3, and attach says so before promising anything
        let env = w.env.merging(["TERM": "xterm"]) { $1 }
        let attach = try w.s.run("script", ["-qefc", "git sprite attach nosuch", "/dev/null"], in: w.app, env: env)
        #expect(attach.status == 3, "\(attach.stdout)")
        #expect(attach.stdout.contains("sprite 'nosuch' does not exist"), "\(attach.stdout)")
        #expect(!attach.stdout.contains("starting it"), "\(attach.stdout)")
        // a branch with no sprite: the hint starts that branch's
        try w.s.git("branch", "topic", in: w.app)
        let missing = try w.sprite(["exec", "topic", "--", "true"])
        #expect(missing.status == 3)
        #expect(missing.stderr.contains("hint: start it: git switch topic && git sprite up"), "\(missing.stderr)")
    }

    @Test func diffAndLogPassGitsOwnOptionsThrough() throws {
        let w = try Living()
        #expect(eventually(seconds: 30) { (try? w.host.remote("cat /home/sprite/workspace/agent.txt")) == "agent" })
        #expect(
            eventually(seconds: 30) {
                (try? w.host.remote("grep -c changed-by-agent /home/sprite/workspace/file.txt")) == "1"
            })
        // one count of what is not home, whichever way the sprite is listed
        let status = try w.sprite(["status", "--json"]).json()
        let listed = try w.sprite(["ls", "--all", "--json"]).json()
        #expect(status[path: "sprites.0.unfetchedCommits"] as? Int == 1, "\(status)")
        #expect(listed[path: "sprites.0.unfetchedCommits"] as? Int == 1, "\(listed)")
        let log = try w.sprite(["log", "-n", "1", "--format=%s"])
        #expect(log.status == 0, "\(log.stderr)")
        #expect(log.stdout == "agent: add agent.txt\n", "\(log.stdout)")
        let named = try w.sprite(["log", "main", "--format=%an|%s"])
        #expect(named.stdout.hasSuffix("|agent: add agent.txt\n"), "\(named.stdout) \(named.stderr)")
        let names = try w.sprite(["diff", "--name-only"])
        #expect(names.status == 0, "\(names.stderr)")
        #expect(Set(names.stdout.split(separator: "\n")) == ["agent.txt", "file.txt"], "\(names.stdout)")
        let limited = try w.sprite(["diff", "main", "--name-only", "--", "agent.txt"])
        #expect(limited.stdout == "agent.txt\n", "\(limited.stdout) \(limited.stderr)")
        let words = try w.sprite(["diff", "--word-diff", "--", "file.txt"])
        #expect(words.stdout.contains("{+changed-by-agent+}"), "\(words.stdout)")
        // git's own refusal is reported as git's, a usage error
        let bad = try w.sprite(["log", "--no-such-git-option"])
        #expect(bad.status == 64 && bad.stderr.hasPrefix("error: git log in "), "\(bad.stderr)")
    }

    /// Ctrl-C while `git sprite diff` is in the pager: the pager is in our process group, so it
    /// gets the Ctrl-C too, and `less` does not quit on it. git-sprite waits for the pager to
    /// quit, as git does, and then ends silently by SIGINT; it used to end at once and hand the
    /// shell back the terminal with the pager still on it. `script` gives the command a
    /// terminal; the pager here ignores SIGINT, as `less` does, and quits when told.
    /// Run alone too (through git, git's own SIGINT death would hide a git-sprite that exited
    /// 0 as the pager quit): git-sprite itself ends by SIGINT (130 through `script`).
    @Test(arguments: [true, false])
    func ctrlCInThePagerWaitsForThePagerToQuit(throughGit: Bool) throws {
        let w = try Living()
        #expect(eventually(seconds: 30) { (try? w.host.remote("cat /home/sprite/workspace/agent.txt")) == "agent" })
        let (started, quit, paged) = (w.s.path("started"), w.s.path("quit"), w.s.path("paged"))
        let pager =
            "trap '' INT; cat > /dev/null; : > '\(started)'; "
            + "while [ ! -e '\(quit)' ]; do sleep 0.05; done; : > '\(paged)'"
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/script")
        p.arguments = ["-qfec", throughGit ? "git sprite diff" : "exec git-sprite diff", "/dev/null"]
        p.currentDirectoryURL = URL(fileURLWithPath: w.app)
        p.environment = w.s.environment.merging(w.env) { $1 }.merging(["GIT_PAGER": pager, "SHELL": "/bin/sh"]) { $1 }
        let (input, output) = (Pipe(), Pipe())
        (p.standardInput, p.standardOutput, p.standardError) = (input, output, FileHandle.nullDevice)
        let exited = p.exitSignal()
        try p.runWithSignalsUnblocked()
        defer { FileManager.default.createFile(atPath: quit, contents: Data()) }
        #expect(eventually(seconds: 30) { FileManager.default.fileExists(atPath: started) }, "the pager did not start")
        input.fileHandleForWriting.write(Data([0x03]))  // Ctrl-C, as typed
        #expect(exited.wait(timeout: .now() + 1) == .timedOut, "the command ended with the pager still running")
        FileManager.default.createFile(atPath: quit, contents: Data())
        #expect(exited.wait(timeout: .now() + 30) == .success)
        #expect(FileManager.default.fileExists(atPath: paged))
        #expect(throughGit ? p.terminationStatus != 0 : p.terminationStatus == 128 + SIGINT, "\(p.ending)")
        let shown = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(!shown.contains("interrupted"), "\(shown)")
    }

    /// `~/a/app` and `~/b/app`, both on main: each gets a sprite of its own, by itself.
    @Test func twoRepositoriesOfTheSameNameGetSpritesOfTheirOwn() throws {
        let s = try Sandbox()
        let host = try LocalHost(root: s.path("host"))
        let env = ["SPRITES_TOKEN": host.token, "SPRITES_API_URL": host.url]
        var names: [String] = []
        for (i, parent) in ["a", "b"].enumerated() {
            let repo = s.path(parent + "/app")
            try s.git("init", "-q", "-b", "main", repo)
            try s.commit("file.txt", "repository \(i)\n", message: "initial \(parent)", in: repo)
            let up = try s.sprite(["up", "--no-agent", "-q"], in: repo, env: env)
            #expect(up.status == 0, "\(parent): \(up.stderr)")
            names.append(up.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
        }
        #expect(names[0] == "app-main", "\(names)")
        #expect(names[1].range(of: "^app-main-[0-9a-f]{8}$", options: .regularExpression) != nil, "\(names)")
        // each repository finds its own, and only its own
        for (i, parent) in ["a", "b"].enumerated() {
            let repo = s.path(parent + "/app")
            let status = try s.sprite(["status", "-q"], in: repo, env: env)
            #expect(status.stdout == names[i] + "\n", "\(parent): \(status.stdout) \(status.stderr)")
            let file = try s.sprite(["exec", "--", "cat", "file.txt"], in: repo, env: env)
            #expect(file.stdout == "repository \(i)\n", "\(parent): \(file.stdout) \(file.stderr)")
        }
        let all = try s.sprite(["ls", "--all", "-q"], in: s.path("a/app"), env: env)
        #expect(Set(all.stdout.split(separator: "\n").map(String.init)) == Set(names), "\(all.stdout)")
    }

    /// `host start` run several times at once leaves one host: each started its own, and the
    /// ones not recorded ran on, unstoppable, serving the same sprites (a review). A host also
    /// refuses a state directory another one serves.
    @Test func hostStartsRunTogetherLeaveOneHost() throws {
        let s = try Sandbox()
        let repo = try s.makeRepo("solo")
        let state = (s.environment["XDG_STATE_HOME"] ?? "") + "/git-sprite"
        let serving = { () -> [String] in
            let found = (try? s.run("pgrep", ["-f", "--", "--root " + state + "/host"]).stdout) ?? ""
            return found.split(separator: "\n").map(String.init)
        }
        defer { for pid in serving() { kill(Int32(pid) ?? 0, SIGKILL) } }
        let starts = try s.run(
            "sh", ["-c", "for i in 1 2 3 4; do git sprite host start > /dev/null 2>&1 & done; wait"], in: repo)
        #expect(starts.status == 0)
        #expect(try s.sprite(["host", "status"], in: repo).status == 0)
        #expect(serving().count == 1, "\(serving())")
        let second = try s.run(
            Sandbox.binDirectory + "/sprite-host", ["serve", "--listen", "127.0.0.1:0", "--root", state + "/host"])
        #expect(second.status != 0 && second.stderr.contains("another sprite-host is serving"), "\(second.stderr)")
        #expect(!second.stderr.contains("Usage"), "\(second.stderr)")
        // a lock file that cannot be one is said as it is, not as another host (a review)
        let odd = s.path("odd-root")
        try FileManager.default.createDirectory(atPath: odd + "/host.lock", withIntermediateDirectories: true)
        let unlockable = try s.run(
            Sandbox.binDirectory + "/sprite-host", ["serve", "--listen", "127.0.0.1:0", "--root", odd])
        #expect(unlockable.status != 0 && unlockable.stderr.contains("cannot open"), "\(unlockable.stderr)")
        #expect(try s.sprite(["host", "stop"], in: repo).status == 0)
        #expect(eventually(seconds: 10) { serving().isEmpty }, "\(serving())")
    }

    /// The local host: started on its own, its status a script can test, its sprites listed
    /// from any repository that uses it, with a URL a browser opens and no price.
    @Test func theLocalHostStartsOnItsOwnAndItsStatusCanBeTested() throws {
        let s = try Sandbox()
        let repo = try s.makeRepo("solo")
        try s.git("config", "sprite.agent.command", "sleep 100000", in: repo)
        try s.git("config", "sprite.network.defaultPolicy", "block-all", in: repo)
        defer { if let pid = s.localHostPID { kill(pid, SIGTERM) } }
        let down = try s.sprite(["host", "status"], in: repo)
        #expect(down.status == 3 && down.stdout.contains("not running"), "\(down.status) \(down.stdout)")
        let start = try s.sprite(["host", "start"], in: repo)
        #expect(
            start.status == 0 && start.stdout.hasPrefix("local sprite-host: running"), "\(start.stdout) \(start.stderr)"
        )
        #expect(try s.sprite(["host", "status"], in: repo).status == 0)
        #expect(try s.sprite(["host", "start"], in: repo).status == 0, "starting a running host is nothing to do")

        try s.git("config", "sprite.api", "local", in: repo)
        #expect(try s.sprite(["up", "--no-agent"], in: repo).status == 0)
        let status = try s.sprite(["status", "--json"], in: repo).json()
        let url = status[path: "sprites.0.url"] as? String
        #expect(url == nil || url!.hasPrefix("http://") || url!.hasPrefix("https://"), "\(String(describing: url))")
        let cost = status[path: "sprites.0.cost"]
        #expect(cost == nil || cost is NSNull, "a local sprite is not priced: \(status)")
        let text = try s.run("script", ["-qefc", "git sprite status", "/dev/null"], in: repo, env: ["TERM": "xterm"])
        #expect(text.status == 0 && text.stdout.contains("solo-main"), "\(text.stdout)")
        #expect(
            !text.stdout.contains("http+unix") && !text.stdout.contains("heartbeat")
                && !text.stdout.contains("cost so far"),
            "\(text.stdout)")
        // ls --all from the repository: its sprite.api=local is honoured
        let all = try s.sprite(["ls", "--all", "-q"], in: repo)
        #expect(all.status == 0 && all.stdout == "solo-main\n", "\(all.status) \(all.stdout) \(all.stderr)")

        #expect(try s.sprite(["host", "stop"], in: repo).status == 0)
        #expect(try s.sprite(["host", "status"], in: repo).status == 3)
    }

    /// Any agent can say its state with the command on its PATH; `wait` hears it.
    @Test func anyAgentSaysItsStateWithTheCommandOnItsPath() throws {
        let w = try Living(
            agent: "sh -c 'git-sprite-agent-state working; sleep 3; git-sprite-agent-state waiting; "
                + "git-sprite-agent-state bogus; exec sleep 100000'")
        let waited = try w.sprite(["wait", "--timeout", "60s"])
        #expect(waited.status == 10, "\(waited.stdout) \(waited.stderr)")
        #expect(try w.host.remote("cut -d' ' -f1 /home/sprite/.git-sprite/agent.state") == "waiting")
        // the same, as one typed document, with the same exit status
        let json = try w.sprite(["wait", "--json"])
        #expect(json.status == 10, "\(json.stderr)")
        let doc = try json.json()
        #expect(doc["outcome"] as? String == "waiting" && doc["exitStatus"] as? Int == 10, "\(doc)")
        #expect(doc[path: "agents.0.sprite"] as? String == "app-main", "\(doc)")
        #expect((doc[path: "agents.0.state"] as? String)?.hasPrefix("waiting") == true, "\(doc)")
        // status in a format of the user's own; a field that does not exist is a usage error
        let formatted = try w.sprite(["status", "--format", "{{name}}\\t{{agent.state}}|{{unfetchedCommits}}"])
        #expect(formatted.status == 0, "\(formatted.stderr)")
        #expect(
            formatted.stdout.hasPrefix("app-main\twaiting") && formatted.stdout.hasSuffix("|0\n"), "\(formatted.stdout)"
        )
        for broken in ["{{.}}", "{{name..state}}", "{{name", "{{}}"] {
            let r = try w.sprite(["status", "--format", broken])
            #expect(r.status == 64 && r.stderr.hasPrefix("error: --format '"), "\(broken): \(r.status) \(r.stderr)")
        }
        #expect(try w.sprite(["status", "--format", "{{name}}", "--json"]).status == 64)
        let bogus = try w.sprite(["status", "--format", "{{name}} {{bogus}}"])
        #expect(
            bogus.status == 64 && bogus.stderr.hasPrefix("error: --format names fields a sprite does not have: bogus"),
            "\(bogus.stderr)")
        // url --json: the URL and who may open it
        let url = try w.sprite(["url", "--json"]).json()
        #expect((url["url"] as? String)?.hasPrefix("http://app-main.localhost:") == true, "\(url)")
        #expect(url["auth"] as? String == "sprite", "\(url)")
    }

    /// `up` says what it shipped in one line, first, and in `--json`.
    @Test func upSaysWhatItShippedInOneLine() throws {
        let w = try UpWorkspace()
        let r = try w.up(["--no-agent", "-v"])
        #expect(r.status == 0, "\(r.stderr)")
        // -v: each step's time, and for the code the phases (what a slow up spends its time on)
        let timing = r.stderr.split(separator: "\n").first {
            $0.hasPrefix("note: timing: code ") || $0.hasPrefix("timing: code ")
        }
        #expect(timing?.contains("push ") == true && timing?.contains("checkout ") == true, "\(r.stderr)")
        let head = String(try w.s.git("rev-parse", "HEAD", in: w.app).prefix(12))
        let first = r.stdout.split(separator: "\n").first.map(String.init)
        #expect(
            first == "shipped main @ \(head), 2 uncommitted files, 1 submodule and 2 linked repos to app-main",
            "\(r.stdout)")
        let json = try w.up(["--no-agent", "--no-changes", "--json"]).json()
        #expect(
            json["summary"] as? String == "shipped main @ \(head), 1 submodule and 2 linked repos to app-main",
            "\(json)")
        // a resumed sprite that has the commit: looked at by the lock's own command (no round
        // trip of its own), nothing pushed
        let phases = try #require((json["repos"] as? [[String: Any]])?.first?["phases"] as? [String: Any], "\(json)")
        #expect(phases["lock and probe"] != nil && phases["probe"] == nil && phases["push"] == nil, "\(phases)")
    }

    /// Inside the user's own tmux, Ctrl-b is theirs: Ctrl-] detaches from the sprite's.
    @Test func insideTmuxADetachKeyOfItsOwnDetaches() throws {
        let w = try Living(agent: "sh -c 'echo agent-ready; exec sleep 100000'")
        let env = w.env.merging(["TMUX": "/tmp/tmux-0/default,1,0"]) { $1 }
        let r = try w.s.inTerminal("git sprite attach", typing: "\\035", once: "agent-ready", dir: w.app, env: env)
        #expect(r.status == 0, "\(r.stdout) \(r.stderr)")
        #expect(r.stdout.contains("detach with Ctrl-]"), "\(r.stdout)")
        #expect(r.stdout.contains("detached"), "\(r.stdout)")
        // anywhere, a key of the user's choosing
        let x = try w.s.inTerminal(
            "git sprite attach --detach-key ctrl-x", typing: "\\030", once: "agent-ready", dir: w.app, env: w.env)
        #expect(x.status == 0 && x.stdout.contains("detached"), "\(x.stdout)")
        #expect(
            try w.host.remote("tmux -S /home/sprite/.git-sprite/tmux.sock has-session -t =app-main && echo yes")
                == "yes")
    }

    /// Every command that acts says what it did as one typed document with `--json`, and
    /// every field of it is there (null when it does not apply), so a script can rely on it.
    @Test func everyCommandThatActsReportsItInJSON() throws {
        let w = try Living()
        // logs --json: the agent's state and its lines, once it is ready
        var logs: [String: Any] = [:]
        #expect(
            eventually(seconds: 30) {
                logs = (try? w.sprite(["logs", "--json"]).json()) ?? [:]
                return (logs["lines"] as? [String])?.contains("agent-ready") == true
            }, "\(logs)")
        #expect(logs["sprite"] as? String == "app-main" && logs["agent"] as? String == "running", "\(logs)")
        #expect(logs.keys.contains("exitStatus") && logs["exitStatus"] is NSNull, "\(logs)")
        #expect(try w.sprite(["logs", "--json", "-f"]).status == 64)

        // fetch: each ref that moved, old and new
        let fetched = try w.sprite(["fetch", "--json"])
        #expect(fetched.status == 0, "\(fetched.stderr)")
        let fetch = try fetched.json()
        let updates = try #require(fetch[path: "sprites.0.updates"] as? [[String: Any]], "\(fetch)")
        let main = try #require(
            updates.first { $0["ref"] as? String == "refs/remotes/sprite/app-main/main" }, "\(updates)")
        let agentCommit = try w.s.git("rev-parse", "refs/remotes/sprite/app-main/main", in: w.app)
        #expect(main["new"] as? String == agentCommit && main["old"] is NSNull, "\(main)")
        #expect(main["repository"] as? String == w.app, "\(main)")
        #expect(
            fetch["failed"] as? Bool == false && (fetch[path: "sprites.0.atRisk"] as? [String])?.isEmpty == false,
            "the agent's uncommitted change stays in the sprite: \(fetch)")

        // cp: what went where
        try "notes\n".write(toFile: w.s.path("notes.txt"), atomically: true, encoding: .utf8)
        let cp = try w.sprite(["cp", "--json", w.s.path("notes.txt"), ":notes.txt"]).json()
        #expect(cp["sprite"] as? String == "app-main" && cp["direction"] as? String == "upload", "\(cp)")
        #expect(cp["files"] as? Int == 1 && cp["bytes"] as? Int == 6 && (cp["skipped"] as? [String]) == [], "\(cp)")

        // apply: the files now in the work tree
        let applied = try w.sprite(["apply", "--json"])
        #expect(applied.status == 0, "\(applied.stderr)")
        let apply = try applied.json()
        #expect(apply[path: "applied.0.repository"] as? String == w.app, "\(apply)")
        #expect((apply[path: "applied.0.files"] as? [String])?.contains("file.txt") == true, "\(apply)")
        #expect(apply[path: "applied.0.alreadyHere"] as? Bool == false && apply["updates"] is [Any], "\(apply)")

        // checkpoint, then restore it: the id, the commit it was taken at, and the undo
        let taken = try w.sprite(["checkpoint", "--json", "-m", "before"])
        #expect(taken.status == 0, "\(taken.stderr)")
        let checkpoint = try taken.json()
        let id = try #require(checkpoint["checkpoint"] as? String, "\(checkpoint)")
        #expect(checkpoint["commit"] as? String == agentCommit && checkpoint["undo"] is NSNull, "\(checkpoint)")
        #expect(checkpoint["uncommitted"] as? Bool == true, "the agent's change to file.txt: \(checkpoint)")
        let restored = try w.sprite(["restore", "--json", id])
        #expect(restored.status == 0, "\(restored.stderr)")
        let restore = try restored.json()
        #expect(restore["checkpoint"] as? String == id && (restore["undo"] as? String)?.isEmpty == false, "\(restore)")
        #expect(restored.stderr.isEmpty, "--json says it all on stdout: \(restored.stderr)")

        // down: parked, with no checkpoint; then destroyed
        let parked = try w.sprite(["down", "--json"]).json()
        #expect(parked["sprite"] as? String == "app-main" && parked["action"] as? String == "parked", "\(parked)")
        #expect(parked["checkpoint"] is NSNull && (parked["saved"] as? [String]) == [], "\(parked)")
        let destroyed = try w.sprite(["down", "--destroy", "--json"])
        #expect(destroyed.status == 0, "\(destroyed.stderr)")
        #expect(try destroyed.json()["action"] as? String == "destroyed", "\(destroyed.stdout)")
    }

}
