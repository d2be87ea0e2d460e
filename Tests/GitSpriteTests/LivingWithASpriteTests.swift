import Foundation
import GitSpriteCore
import TestSupport
import Testing

/// A repository with a sprite on a sprite-host of its own, whose stand-in agent does what an
/// agent does: commits, edits a file, then says (through the state hook Claude Code's hooks
/// run) that it waits for input.
private struct LivingSprite {
    let s: Sandbox
    let host: LocalHost
    let app: String
    let env: [String: String]

    /// Commits `agent.txt`, changes `file.txt` without committing, then waits for input.
    static let workingAgent =
        "sh -c 'cd /home/sprite/workspace && echo agent > agent.txt && git add agent.txt "
        + "&& git -c user.name=agent -c user.email=agent@sprite.invalid commit -qm \"agent: add agent.txt\" "
        + "&& echo changed-by-agent >> file.txt && echo agent-is-waiting "
        + "&& sh /home/sprite/.git-sprite/agent-hook waiting </dev/null; exec sleep 100000'"

    init(agent: String = LivingSprite.workingAgent, up: Bool = true, sparse: Bool = LocalHost.sparseTier) throws {
        s = try Sandbox()
        app = try s.makeRepo("app")
        host = try LocalHost(root: s.path("host"), sparse: sparse)
        env = ["SPRITES_TOKEN": host.token, "SPRITES_API_URL": host.url]
        try s.git("config", "sprite.agent.command", agent, in: app)
        try s.git("config", "sprite.network.defaultPolicy", "block-all", in: app)
        if up {
            let r = try sprite(["up"])
            #expect(r.status == 0, "\(r.stderr)")
        }
    }

    func sprite(_ args: [String], extra: [String: String] = [:]) throws -> RunResult {
        try s.sprite(args, in: app, env: env.merging(extra) { $1 })
    }

    func remote(_ command: String) throws -> String { try host.remote(command) }

    /// Starts `git-sprite logs -f` itself, as the leader of its own group (as a terminal runs a
    /// job), its stdout in a file and its stderr to `stderr`; returns it and what it printed so far.
    func follow(stderr: Any = FileHandle.nullDevice) throws -> (Process, () -> String) {
        let out = s.path("follow-\(UUID().uuidString).out")
        _ = FileManager.default.createFile(atPath: out, contents: nil)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: Sandbox.binDirectory + "/git-sprite")
        p.arguments = ["logs", "-f"]
        p.currentDirectoryURL = URL(fileURLWithPath: app)
        p.environment = s.environment.merging(env) { $1 }
        p.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: out))
        p.standardError = stderr
        p.standardInput = FileHandle.nullDevice
        try p.runWithSignalsUnblocked()
        return (p, { (try? String(contentsOfFile: out, encoding: .utf8)) ?? "" })
    }

    /// Waits until the agent has said it waits for input.
    func agentWaits() throws {
        #expect(
            eventually(seconds: 20) {
                ((try? remote("cat /home/sprite/.git-sprite/agent.state")) ?? "").hasPrefix("waiting")
            }, "the stand-in agent never reported waiting")
    }
}

@Suite("living with a sprite", .ownThread)
struct LivingWithASpriteTests {
    /// The issue's acceptance walk: status, diff --stat, wait, fetch, apply, then a down that
    /// needs no --force.
    @Test func statusDiffWaitFetchApplyThenDownWithoutForce() throws {
        let w = try LivingSprite()
        try w.agentWaits()
        let shipped = try w.s.git("rev-parse", "HEAD", in: w.app)
        #expect(try w.s.git("rev-parse", "refs/sprite/app-main/shipped", in: w.app) == shipped)

        let status = try w.sprite(["status"])
        #expect(status.status == 0, "\(status.stderr)")
        let columns = status.stdout.trimmingCharacters(in: .newlines).components(separatedBy: "\t")
        #expect(columns.count == 7, "\(status.stdout)")
        #expect(columns.first == "app-main")
        #expect(columns[3].hasPrefix("waiting for input"), "\(status.stdout)")
        #expect(columns[4] == "1" && columns[5] == "1", "one unfetched commit, one uncommitted file: \(status.stdout)")
        let json = try w.sprite(["status", "--json"]).json()
        #expect(json[path: "sprites.0.agent.state"] as? String == "waiting for input")
        #expect(json[path: "sprites.0.unfetchedCommits"] as? Int == 1)
        #expect(json[path: "sprites.0.uncommittedFiles"] as? Int == 1)

        let diff = try w.sprite(["diff", "--stat"])
        #expect(diff.status == 0, "\(diff.stderr)")
        #expect(diff.stdout.contains("agent.txt") && diff.stdout.contains("file.txt"), "\(diff.stdout)")
        #expect(diff.stdout.contains("2 files changed"), "\(diff.stdout)")
        let log = try w.sprite(["log", "--oneline"])
        #expect(log.stdout.contains("agent: add agent.txt"), "\(log.stdout)")
        #expect(!log.stdout.contains("initial"), "only the agent's commits: \(log.stdout)")

        let wait = try w.sprite(["wait", "--timeout", "30s"])
        #expect(wait.status == 10, "waiting for input: \(wait.status) \(wait.stderr)")
        #expect(wait.stdout.hasPrefix("app-main: waiting for input"), "\(wait.stdout)")

        // diff fetched already: this fetch finds nothing new, and says nothing moved
        let fetch = try w.sprite(["fetch"])
        #expect(fetch.status == 0, "\(fetch.stderr)")
        #expect(!fetch.stderr.contains("From sprite"), "\(fetch.stderr)")
        let fetched = try w.s.git("log", "-1", "--format=%s", "sprite/app-main/main", in: w.app)
        #expect(fetched == "agent: add agent.txt")
        // nothing local moved
        #expect(try w.s.git("rev-parse", "HEAD", in: w.app) == shipped)
        #expect(try w.s.git("status", "--porcelain", in: w.app).isEmpty)

        // until then the sprite's uncommitted change is not yours: a destroy refuses, and names
        // apply as one way to take it home
        let refused = try w.sprite(["down", "--destroy"])
        #expect(refused.status != 0, "\(refused.stderr)")
        #expect(
            refused.stderr.contains("hint: take its uncommitted changes into your work tree: git sprite apply\n"),
            "\(refused.stderr)")

        // the sprite's change applies to the file as it is here (its commit touched another file)
        let apply = try w.sprite(["apply"])
        #expect(apply.status == 0, "\(apply.stderr)")
        #expect(try String(contentsOfFile: w.app + "/file.txt", encoding: .utf8) == "content\nchanged-by-agent\n")
        #expect(try w.s.git("status", "--porcelain", in: w.app) == "M file.txt")

        let down = try w.sprite(["down", "--destroy"])
        #expect(down.status == 0, "nothing is lost, so no --force is needed: \(down.stderr)")
        #expect(down.stderr.contains("destroyed app-main"), "\(down.stderr)")
    }

    /// Claude Code's real sequence of hook events (a stand-in `claude` dispatches them through
    /// the settings git-sprite wrote, as Claude does): a finished turn stays finished after the
    /// idle reminder that follows `Stop`, and `wait` answers 0.
    @Test func aFinishedClaudeTurnStaysFinishedAfterTheIdleReminderAndWaitAnswersZero() throws {
        let w = try LivingSprite(agent: "claude", up: false)
        let parked = try w.sprite(["up", "--no-agent"])
        #expect(parked.status == 0, "\(parked.stderr)")
        let script = try String(contentsOfFile: TestDaemon.fixture("claude_hooks.py"), encoding: .utf8)
        try w.host.client().writeFile(
            "app-main", path: "/home/sprite/.local/bin/claude",
            data: Data(("#!/usr/bin/env python3\n" + script).utf8), mode: "0755")
        let up = try w.sprite(["up"])
        #expect(up.status == 0, "\(up.stderr)")
        #expect(
            eventually(seconds: 30) {
                (try? w.remote("test -e /home/sprite/idle-reminder-sent && echo sent")) == "sent"
            },
            "the stand-in claude never sent the idle reminder")
        let wait = try w.sprite(["wait", "--timeout", "30s"])
        #expect(wait.status == 0, "finished: \(wait.status) \(wait.stdout) \(wait.stderr)")
        #expect(wait.stdout.hasPrefix("app-main: finished"), "\(wait.stdout)")
    }

    /// With linked repos, diff and log have one section per repository, and fetch and apply
    /// reach each of them.
    @Test func diffLogFetchAndApplyCoverLinkedRepos() throws {
        let agent =
            "sh -c 'cd /home/sprite/repos/notes && echo more >> file.txt "
            + "&& git -c user.name=a -c user.email=a@b commit -qam \"agent: notes\" && echo again >> file.txt && echo draft > draft.md "
            + "&& cd /home/sprite/workspace && echo top > top.txt; exec sleep 100000'"
        let w = try LivingSprite(agent: agent, up: false)
        let notes = try w.s.makeRepo("notes")
        let link = try w.sprite(["link", notes, "--as", "notes"])
        #expect(link.status == 0, "\(link.stderr)")
        let up = try w.sprite(["up"])
        #expect(up.status == 0, "\(up.stderr)")
        #expect(eventually(seconds: 20) { (try? w.remote("cat /home/sprite/workspace/top.txt")) == "top" })
        let diff = try w.sprite(["diff", "--stat"])
        #expect(diff.status == 0, "\(diff.stderr)")
        #expect(diff.stdout.contains("# this repository (/home/sprite/workspace)\n top.txt | 1 +"), "\(diff.stdout)")
        #expect(
            diff.stdout.contains("# linked repo 'notes' (/home/sprite/repos/notes)\n draft.md | 1 +\n file.txt | 2 ++"),
            "\(diff.stdout)")
        let log = try w.sprite(["log", "--oneline"])
        #expect(log.stdout.contains("# linked repo 'notes'") && log.stdout.contains("agent: notes"), "\(log.stdout)")
        #expect(try w.s.git("log", "-1", "--format=%s", "sprite/app-main/main", in: notes) == "agent: notes")
        // the linked repo's change sits on the agent's commit: merge first, then apply
        let refused = try w.sprite(["apply"])
        #expect(refused.status == 1 && refused.stderr.contains("git merge sprite/app-main/"), "\(refused.stderr)")
        #expect(!FileManager.default.fileExists(atPath: w.app + "/top.txt"), "nothing changed anywhere")
        try w.s.git("merge", "-q", "--ff-only", "sprite/app-main/main", in: notes)
        let apply = try w.sprite(["apply"])
        #expect(apply.status == 0, "\(apply.stderr)")
        #expect(FileManager.default.fileExists(atPath: w.app + "/top.txt"))
        #expect(FileManager.default.fileExists(atPath: notes + "/draft.md"))
    }

    @Test func applyRefusesOverLocalEditsAndChangesNothing() throws {
        let w = try LivingSprite()
        try w.agentWaits()
        let fetch = try w.sprite(["fetch"])
        #expect(
            fetch.stderr.contains("From sprite app-main\n   * [new]            sprite/app-main/main\n"),
            "\(fetch.stderr)")
        #expect(
            fetch.stderr.contains("still only in the sprite: this repository: uncommitted changes"), "\(fetch.stderr)")
        try w.s.write("file.txt", "my own edit\n", in: w.app)
        let r = try w.sprite(["apply"])
        #expect(r.status == 1)
        #expect(
            r.stderr.contains("error: not applying the sprite's uncommitted changes: nothing was changed"),
            "\(r.stderr)")
        #expect(r.stderr.contains("hint: this repository: you have local changes in file.txt"), "\(r.stderr)")
        #expect(try String(contentsOfFile: w.app + "/file.txt", encoding: .utf8) == "my own edit\n")
        #expect(!FileManager.default.fileExists(atPath: w.app + "/agent.txt"))
        // and the sprite still counts the change as not home
        let destroy = try w.sprite(["down", "--destroy"])
        #expect(destroy.status == 1 && destroy.stderr.contains("uncommitted changes"), "\(destroy.stderr)")
    }

    @Test func diffNeedsWhatUpShippedAndSaysSo() throws {
        let w = try LivingSprite()
        try w.s.git("update-ref", "-d", "refs/sprite/app-main/shipped", in: w.app)
        let r = try w.sprite(["diff"])
        #expect(r.status == 1)
        #expect(r.stderr.contains("error: nothing is recorded as shipped to app-main from here"), "\(r.stderr)")
        #expect(r.stderr.contains("hint: "))
    }

    /// An option git diff does not know is a usage error that says which (it showed the last
    /// line of git's usage text, `-a  --text  treat all files as text`).
    @Test func anOptionGitDoesNotKnowIsAUsageErrorThatNamesIt() throws {
        let w = try LivingSprite()
        for command in ["diff", "log"] {
            let r = try w.sprite([command, "--no-such-option"])
            #expect(r.status == 64, "\(command): \(r.status) \(r.stderr)")
            #expect(r.stderr.contains("failed: ") && r.stderr.contains("--no-such-option"), "\(r.stderr)")
            #expect(r.stderr.contains("hint: the options after git sprite \(command) are git \(command)'s own"))
        }
        let short = try w.sprite(["diff", "-x"])
        #expect(
            short.stderr.contains("git diff in this repository failed: an option it does not take, among -x"),
            "\(short.stderr)")
    }

    @Test func anUnknownSpriteIsAnErrorWithAHint() throws {
        let w = try LivingSprite(up: false)
        for command in [
            ["fetch", "nope"], ["diff", "nope"], ["logs", "nope"], ["wait", "nope"], ["checkpoint", "nope"],
        ] {
            let r = try w.sprite(command)
            #expect(r.status == 3, "\(command) \(r.stderr)")
            #expect(r.stderr.contains("error: sprite 'nope' does not exist"), "\(command) \(r.stderr)")
            #expect(r.stderr.contains("hint: list sprites: git sprite ls"), "\(command) \(r.stderr)")
            // (a hint acts on the sprite named, not on the current branch's)
            #expect(r.stderr.contains("hint: start it here: git sprite up --name nope"), "\(command) \(r.stderr)")
        }
    }

    /// A branch named like another sprite: the branch wins, and a note says so.
    @Test func aBranchThatIsAlsoASpriteNameMeansTheBranch() throws {
        let w = try LivingSprite(agent: "sleep 100000")
        // a sprite called "topic" that is not the branch topic's
        _ = try w.host.client().createSprite(.init(name: "topic", labels: ["other"], cpus: nil, ramMB: nil))
        try w.s.git("branch", "topic", in: w.app)
        try w.s.git("config", "branch.topic.sprite", "app-main", in: w.app)
        let r = try w.sprite(["logs", "topic"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(
            r.stderr.contains("note: 'topic' is a branch and also a sprite's name: using the branch's sprite app-main"),
            "\(r.stderr)")
    }

    @Test func logsFollowShowsWhatComesLaterAndCtrlCEndsItCleanly() throws {
        let agent =
            "sh -c 'echo first-line; while [ ! -e /home/sprite/go ]; do sleep 0.2; done; echo after-follow-line; "
            + "exec sleep 100000'"
        let w = try LivingSprite(agent: agent)
        #expect(eventually(seconds: 20) { (try? w.sprite(["logs"]).stdout.contains("first-line")) == true })
        let plain = try w.sprite(["logs", "-n", "1"])
        #expect(plain.stdout == "first-line\n", "\(plain.stdout)")

        let err = Pipe()
        let (p, followed) = try w.follow(stderr: err)
        #expect(eventually(seconds: 20) { followed().contains("first-line") })
        _ = try w.remote("touch /home/sprite/go")
        #expect(eventually(seconds: 20) { followed().contains("after-follow-line") }, "\(followed())")
        kill(-p.processIdentifier, SIGINT)
        p.waitForExit(within: 30, "git sprite logs -f after Ctrl-C")
        #expect(p.endedByInterrupt, "Ctrl-C ends it by SIGINT, as for tail -f: \(p.ending)")
        let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(!stderr.contains("interrupted"), "\(stderr)")
        #expect(followed().components(separatedBy: "after-follow-line").count == 2, "printed once: \(followed())")

        // a shell loop around it stops at Ctrl-C, as around `tail -f` or git: bash goes on past a
        // child that exits 130 (the Ctrl-C was the child's business), and it went on here
        let loop = w.s.path("loop.out")
        _ = FileManager.default.createFile(atPath: loop, contents: nil)
        let sh = Process()
        sh.executableURL = URL(fileURLWithPath: "/bin/bash")
        sh.arguments = [
            "-c", #"for i in 1 2; do "$0" logs -f; echo "went-on-$?"; done"#, Sandbox.binDirectory + "/git-sprite",
        ]
        sh.currentDirectoryURL = URL(fileURLWithPath: w.app)
        sh.environment = w.s.environment.merging(w.env) { $1 }
        (sh.standardOutput, sh.standardError) = (
            try FileHandle(forWritingTo: URL(fileURLWithPath: loop)), FileHandle.nullDevice
        )
        sh.standardInput = FileHandle.nullDevice
        try sh.runWithSignalsUnblocked()
        let looped = { (try? String(contentsOfFile: loop, encoding: .utf8)) ?? "" }
        #expect(eventually(seconds: 20) { looped().contains("after-follow-line") }, "\(looped())")
        kill(-sh.processIdentifier, SIGINT)
        sh.waitForExit(within: 30, "a loop around git sprite logs -f after Ctrl-C")
        #expect(!looped().contains("went-on"), "\(looped())")
        #expect(sh.endedByInterrupt, "\(sh.ending)")
    }

    /// Past tmux's history limit the oldest tenth of the history is dropped and every row's
    /// number moves back: `-f` kept asking for rows past the end and printed nothing more, for
    /// good, after ~10,000 lines (a review). Here a follow starts at row 9,900 of a 10,000-row
    /// history; 2,500 more lines push it past the limit, and what comes after them is shown.
    @Test func logsFollowGoesOnPastAFullHistory() throws {
        let agent =
            "sh -c 'seq 1 9900; echo first-line; while [ ! -e /home/sprite/go ]; do sleep 0.2; done; "
            + "seq 1 2500; echo after-the-drop; exec sleep 100000'"
        let w = try LivingSprite(agent: agent)
        #expect(eventually(seconds: 20) { (try? w.sprite(["logs", "-n", "1"]).stdout.contains("first-line")) == true })
        let (p, followed) = try w.follow()
        defer {
            kill(-p.processIdentifier, SIGKILL)
            p.waitForExit(within: 30, "git sprite logs -f after SIGKILL")
        }
        #expect(eventually(seconds: 20) { followed().contains("first-line") })
        _ = try w.remote("touch /home/sprite/go")
        #expect(eventually(seconds: 30) { followed().contains("after-the-drop") }, "\(followed().suffix(300))")
    }

    /// An agent that ends is started again by its service a second later (`claude` as `claude
    /// --continue`); until then logs, status and wait say how it ended. This stand-in ends at
    /// once on every later start, so "ended" comes back each second and a loaded machine, whose
    /// commands can take longer than that second, still sees it.
    @Test func logsOfAnAgentThatEndedSaySoAndShowItsLastOutput() throws {
        let words = #"printf "\033[31mlast words\033[0m\n"; exit 4"#
        let w = try LivingSprite(
            agent: "sh -c '[ -e /home/sprite/.ran ] && { \(words); }; touch /home/sprite/.ran; sleep 6; \(words)'")
        #expect(eventually(seconds: 30) { (try? w.remote("cat /home/sprite/.git-sprite/agent.status")) == "4" })
        #expect(
            eventually(seconds: 10) {
                (try? w.remote("test -f /home/sprite/.git-sprite/agent.last && echo yes")) == "yes"
            })
        var r = try w.sprite(["logs"])
        _ = eventually(seconds: 20) {
            r = (try? w.sprite(["logs"])) ?? r
            return r.stderr.contains("note: no agent runs")
        }
        #expect(r.status == 0, "\(r.stderr)")
        #expect(
            r.stderr.contains("note: no agent runs in app-main (it exited with 4); its last output:"), "\(r.stderr)")
        #expect(r.stdout.contains("last words") && !r.stdout.contains("\u{1b}"), "\(r.stdout.debugDescription)")
        #expect(!r.stdout.contains("Pane is dead"), "\(r.stdout)")
        var status = try w.sprite(["status"])
        #expect(
            eventually(seconds: 20) {
                status = (try? w.sprite(["status"])) ?? status
                return status.stdout.contains("\texited with 4")
            }, "\(status.stdout)")
        var wait = try w.sprite(["wait"])
        #expect(
            eventually(seconds: 20) {
                wait = (try? w.sprite(["wait"])) ?? wait
                return wait.status == 11
            }, "gone: \(wait.status) \(wait.stdout)")
    }

    @Test func aColdSpriteIsListedWithoutWakingItAndWokenByLogsWithANote() throws {
        let w = try LivingSprite(agent: "sh -c 'echo agent-output; exec sleep 100000'")
        _ = try w.host.hook("POST", "/_host/sprites/app-main/cold")
        let status = try w.sprite(["status", "--json"]).json()
        #expect(status[path: "sprites.0.state"] as? String == "cold")
        #expect(status[path: "sprites.0.agent"] == nil)
        #expect((status[path: "sprites.0.agentUnknown"] as? String)?.contains("--deep") == true)
        #expect(
            try w.sprite(["status", "--json"]).json()[path: "sprites.0.state"] as? String == "cold", "status woke it")
        let logs = try w.sprite(["logs"])
        #expect(logs.status == 0, "\(logs.stderr)")
        #expect(logs.stderr.contains("note: app-main was cold; waking it"), "\(logs.stderr)")
        #expect(logs.stdout.contains("agent-output"), "\(logs.stdout) \(logs.stderr)")
        let deep = try w.sprite(["status", "--deep", "--json"]).json()
        #expect(deep[path: "sprites.0.agent.state"] != nil)
    }

    /// Two exec streams the host drops before their exit frame: `wait` retries them and still
    /// ends with the agent's state. Giving up after five failed looks in a row, with its error
    /// and hint, is `WaitTests`' (in-process, on a clock that moves only when `wait` sleeps: live,
    /// it was 8 s of `wait`'s interval).
    @Test func waitRetriesADroppedConnection() throws {
        let w = try LivingSprite()
        try w.agentWaits()
        try w.host.faults([
            "rules": [["method": "WS", "path": "/v1/sprites/app-main/exec", "drop_before_exit": true, "count": 2]]
        ])
        let retried = try w.sprite(["wait"])
        #expect(retried.status == 10, "\(retried.status) \(retried.stderr)")
    }

    /// `sprite.notify.command` runs once per change, with the sprite and the state as arguments
    /// and in the environment, never through a shell.
    @Test func notifyRunsOncePerChangeWithoutAShell() throws {
        let agent =
            "sh -c 'sleep 3; sh /home/sprite/.git-sprite/agent-hook working </dev/null; sleep 3; "
            + "sh /home/sprite/.git-sprite/agent-hook finished </dev/null; exec sleep 100000'"
        let w = try LivingSprite(agent: agent)
        let log = w.s.path("notified.log")
        let notify = try w.s.writeExecutable(
            "bin/notify me",
            "#!/bin/sh\necho \"$1|$2|$3|$GIT_SPRITE_SPRITE|$GIT_SPRITE_STATE\" >> '\(log)'\n")
        try w.s.git("config", "sprite.notify.command", "'\(notify)' --tag;touch\\ pwned", in: w.app)
        let r = try w.sprite(["wait", "--timeout", "60s"])
        #expect(r.status == 0, "finished: \(r.status) \(r.stdout) \(r.stderr)")
        #expect(r.stdout.hasPrefix("app-main: finished"), "\(r.stdout)")
        let lines = (try String(contentsOfFile: log, encoding: .utf8)).split(separator: "\n")
        #expect(lines.last == "--tag;touch pwned|app-main|finished|app-main|finished", "\(lines)")
        #expect(lines.contains("--tag;touch pwned|app-main|working|app-main|working"), "\(lines)")
        #expect(Set(lines).count == lines.count, "once per change: \(lines)")
        #expect(!FileManager.default.fileExists(atPath: w.app + "/pwned"))
    }

    /// A notify command that is not there is said once, as a warning: env's own message went
    /// out raw at every change (a review).
    @Test func aNotifyCommandThatIsNotThereIsOneWarning() throws {
        let agent = "sh -c 'sh /home/sprite/.git-sprite/agent-hook finished </dev/null; exec sleep 100000'"
        let w = try LivingSprite(agent: agent)
        try w.s.git("config", "sprite.notify.command", "/nonexistent/prog", in: w.app)
        let r = try w.sprite(["wait", "--timeout", "60s"])
        #expect(r.status == 0, "\(r.status) \(r.stderr)")
        #expect(
            r.stderr == "warning: sprite.notify.command (/nonexistent/prog) could not be run: no such program; "
                + "no notifications\n", "\(r.stderr)")
    }

    /// While attached, too, `sprite.notify.command` hears of each change.
    @Test func notifyRunsWhileAttached() throws {
        let agent =
            "sh -c 'sleep 2; sh /home/sprite/.git-sprite/agent-hook working </dev/null; sleep 2; "
            + "sh /home/sprite/.git-sprite/agent-hook waiting </dev/null; exec sleep 100000'"
        let w = try LivingSprite(agent: agent)
        let log = w.s.path("notified.log")
        let notify = try w.s.writeExecutable("bin/notify", "#!/bin/sh\necho \"$1 $2\" >> '\(log)'\n")
        try w.s.git("config", "sprite.notify.command", notify, in: w.app)
        // in a terminal; Ctrl-b d detaches once the agent waits and notify has said so
        let r = try w.s.inTerminal(
            "git sprite attach", typing: "\\002d", once: "app-main waiting", in: log, dir: w.app, env: w.env)
        #expect(r.status == 0, "\(r.stdout) \(r.stderr)")
        let lines = ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").split(separator: "\n")
        #expect(lines.contains("app-main waiting for input"), "\(lines)")
        #expect(Set(lines).count == lines.count, "once per change: \(lines)")
    }

    @Test func waitTimesOutWithItsOwnStatus() throws {
        let w = try LivingSprite(
            agent: "sh -c 'sh /home/sprite/.git-sprite/agent-hook working </dev/null; exec sleep 100000'")
        #expect(
            eventually(seconds: 20) {
                ((try? w.remote("cat /home/sprite/.git-sprite/agent.state")) ?? "").hasPrefix("working")
            })
        let r = try w.sprite(["wait", "--timeout", "3s"])
        #expect(r.status == 12, "\(r.status) \(r.stderr)")
        #expect(r.stdout.contains("app-main: still working (timed out)"), "\(r.stdout)")
        for bad in ["3x", "-1d", "0", "1h30", "h"] {
            let b = try w.sprite(["wait", "--timeout=" + bad])
            #expect(b.status == 64, "\(bad): \(b.status) \(b.stderr)")
            #expect(b.stderr.contains("is not a duration") && b.stderr.contains("hint: "), "\(bad): \(b.stderr)")
        }
    }

    /// `--timeout` against a service that holds every request: each may take 30 s and is
    /// tried again, and `wait --timeout 3s` went on for minutes (an adversarial review). The
    /// timeout now ends the wait whatever a request is doing.
    @Test func waitTimesOutWhileTheServiceHoldsItsRequests() throws {
        let w = try LivingSprite(agent: "sleep 100000")
        try w.host.faults(["rules": [["method": "GET", "path": "/exec", "stall_seconds": 100]]])
        // (the limit: far past the timeout, far short of the requests' own)
        let r = try w.s.run("git", ["sprite", "wait", "--timeout", "3s", "--json"], in: w.app, env: w.env, limit: 25)
        #expect(r.status == 12, "\(r.status) \(r.stderr)")
        #expect(r.stdout.contains("\"timedOut\""), "\(r.stdout)")
        // (it never answered: not "working", which nothing said)
        #expect(r.stdout.contains("no answer yet (timed out)") && r.stdout.contains("\"unknown\""), "\(r.stdout)")
    }

    /// A checkpoint at A, a commit B, a restore: the sprite is at A again, and the state at B
    /// is a new checkpoint, listed next to its commit.
    @Test func checkpointAndRestoreAreRecordedAgainstCommits() throws {
        let w = try LivingSprite(agent: "sleep 100000")
        let a = try w.s.git("rev-parse", "HEAD", in: w.app)
        let first = try w.sprite(["checkpoint", "-m", "at A"])
        #expect(first.status == 0, "\(first.stderr)")
        #expect(try w.s.git("rev-parse", "refs/sprite-checkpoints/app-main/v0", in: w.app) == a)
        _ = try w.remote(
            "cd /home/sprite/workspace && echo b > b.txt && git add b.txt "
                + "&& git -c user.name=a -c user.email=a@b commit -qm B")
        let b = try w.remote("git -C /home/sprite/workspace rev-parse HEAD").trimmingCharacters(in: .newlines)

        let unknown = try w.sprite(["restore", "v42"])
        #expect(
            unknown.status == 1 && unknown.stderr.contains("error: app-main has no checkpoint 'v42'"),
            "\(unknown.stderr)")
        #expect(unknown.stderr.contains("hint: list them: git sprite checkpoint --list"))

        // uncommitted work in the sprite that is not home: refused, nothing restored
        _ = try w.remote("echo wip > /home/sprite/workspace/wip.txt")
        let refused = try w.sprite(["restore", "v0"])
        #expect(refused.status == 1 && refused.stderr.contains("error: not restoring v0"), "\(refused.stderr)")
        #expect(try w.remote("cat /home/sprite/workspace/wip.txt") == "wip")
        _ = try w.remote("rm /home/sprite/workspace/wip.txt")

        let restore = try w.sprite(["restore", "v0"])
        #expect(restore.status == 0, "\(restore.stderr)")
        #expect(restore.stderr.contains("undo with: git sprite restore v1"), "\(restore.stderr)")
        #expect(try w.remote("git -C /home/sprite/workspace rev-parse HEAD").trimmingCharacters(in: .newlines) == a)
        // B came home before the restore, as the state at B: checkpoint v1
        #expect(try w.s.git("rev-parse", "refs/sprite-checkpoints/app-main/v1", in: w.app) == b)
        #expect(try w.s.git("rev-parse", "sprite/app-main/main", in: w.app) == a, "the sprite's branch as it is now")
        let list = try w.sprite(["checkpoint", "--list", "--json"]).json()
        let rows = try #require(list["checkpoints"] as? [[String: Any]])
        #expect(rows.map { $0["id"] as? String } == ["v1", "v0"])
        #expect(rows.first?["commit"] as? String == b && rows.first?["subject"] as? String == "B")
        #expect(rows.last?["commit"] as? String == a && rows.last?["comment"] as? String == "at A")
        // off a terminal, tab-separated: id, created, commit, uncommitted, subject, comment
        let text = try w.sprite(["checkpoint", "--list"])
        let v0 = try #require(text.stdout.split(separator: "\n").last?.split(separator: "\t").map(String.init))
        #expect(v0.count == 6 && v0[0] == "v0" && Array(v0[2...]) == [a, "-", "initial", "at A"], "\(text.stdout)")
        let shown = try w.s.run("script", ["-qec", "git sprite checkpoint --list", "/dev/null"], in: w.app, env: w.env)
        #expect(shown.stdout.contains("\(a.prefix(12))  initial  (at A)"), "\(shown.stdout)")
    }

    /// The API documents no order for its checkpoint list; a host that lists the oldest first
    /// (the sparse host) must not make `restore` without an id go back to the oldest.
    @Test(arguments: [false, true])
    func restoreWithoutAnIdTakesTheNewestCheckpointWhateverTheListOrder(sparse: Bool) throws {
        let w = try LivingSprite(agent: "sleep 100000", sparse: sparse)
        func commit(_ name: String) throws -> String {
            _ = try w.remote(
                "cd /home/sprite/workspace && echo \(name) > \(name).txt && git add \(name).txt "
                    + "&& git -c user.name=a -c user.email=a@b commit -qm \(name)")
            return try w.remote("git -C /home/sprite/workspace rev-parse HEAD")
        }
        #expect(try w.sprite(["checkpoint", "-m", "at A"]).status == 0)
        let b = try commit("B")
        #expect(try w.sprite(["checkpoint", "-m", "at B"]).status == 0)
        _ = try commit("C")
        let listed = try w.host.client().call("GET", "/v1/sprites/app-main/checkpoints").body
        let order = (try JSONSerialization.jsonObject(with: listed) as? [[String: Any]])?.compactMap {
            $0["id"] as? String
        }
        // (sparse: oldest first, after the live state's entry, the newest, as the service's own
        // server lists it; restore without an id took that entry)
        #expect(order == (sparse ? ["Current", "v0", "v1"] : ["v1", "v0"]), "the host's own order")
        let restore = try w.sprite(["restore"])
        #expect(restore.status == 0, "\(restore.stderr)")
        #expect(restore.stderr.contains("restored app-main to checkpoint v1"), "\(restore.stderr)")
        #expect(try w.remote("git -C /home/sprite/workspace rev-parse HEAD") == b)
        let list = try w.sprite(["checkpoint", "--list", "--json"]).json()
        let ids = (list["checkpoints"] as? [[String: Any]])?.compactMap { $0["id"] as? String }
        #expect(ids == ["v2", "v1", "v0"], "newest first")
    }

    @Test func downHonoursAutoCheckpointAndAutoDestroy() throws {
        let w = try LivingSprite(agent: "sleep 100000")
        try w.s.git("config", "sprite.lifecycle.autoCheckpoint", "true", in: w.app)
        let parked = try w.sprite(["down"])
        #expect(parked.status == 0, "\(parked.stderr)")
        #expect(parked.stderr.contains("checkpoint v0 at"), "\(parked.stderr)")
        #expect(try w.host.client().listCheckpoints("app-main").map(\.id) == ["v0"])

        let both = try w.sprite(["down", "--destroy", "--checkpoint"])
        #expect(both.status == 64 && both.stderr.contains("hint: "), "\(both.stderr)")

        try w.s.git("config", "sprite.lifecycle.autoDestroy", "true", in: w.app)
        // work that is not home: auto-destroy refuses like --destroy
        _ = try w.remote("echo wip > /home/sprite/workspace/wip.txt")
        let refused = try w.sprite(["down"])
        #expect(refused.status == 1 && refused.stderr.contains("error: not destroying app-main"), "\(refused.stderr)")
        // --keep parks it whatever the setting
        let kept = try w.sprite(["down", "--keep"])
        #expect(kept.status == 0 && kept.stderr.contains("is parked"), "\(kept.stderr)")
        _ = try w.remote("rm /home/sprite/workspace/wip.txt")
        let destroyed = try w.sprite(["down"])
        #expect(destroyed.status == 0 && destroyed.stderr.contains("destroyed app-main"), "\(destroyed.stderr)")
        #expect(try w.host.client().getSprite("app-main") == nil)
    }

    /// Ignored files travel only when named, by name only, and do not count as the sprite's work.
    @Test func ignoredFilesNamedInSpriteincludeShipAndNothingElseIgnoredDoes() throws {
        let w = try LivingSprite(agent: "sleep 100000", up: false)
        try w.s.commit(".gitignore", ".env\n*.log\nlocal/\n", message: "ignore", in: w.app)
        try w.s.commit(
            ".spriteinclude", "# what the agent needs\n.env\nlocal/settings.yml\nmissing.cfg\n",
            message: "include", in: w.app)
        try w.s.write(".env", "API_KEY=do-not-print-me\n", in: w.app)
        try w.s.write("local/settings.yml", "debug: true\n", in: w.app)
        try w.s.write("local/other.yml", "not named\n", in: w.app)
        try w.s.write("build.log", "not named\n", in: w.app)
        try w.s.git("config", "--add", "sprite.include", "*.nothing", in: w.app)

        let plan = try w.sprite(["plan"])
        #expect(plan.status == 0, "\(plan.stderr)")
        #expect(plan.stdout.contains("included   .env (looks like a secret), local/settings.yml"), "\(plan.stdout)")
        #expect(
            plan.stderr.contains(
                "warning: this repository: the .spriteinclude pattern 'missing.cfg' matches no ignored file"),
            "\(plan.stderr)")
        #expect(plan.stderr.contains("pattern '*.nothing' matches no ignored file"), "\(plan.stderr)")
        #expect(!(plan.stdout + plan.stderr).contains("do-not-print-me"))
        let json = try w.sprite(["plan", "--json"]).json()
        let included = try #require(json[path: "primary.included"] as? [[String: Any]])
        #expect(included.map { $0["path"] as? String } == [".env", "local/settings.yml"])
        #expect(included.first?["looksSecret"] as? Bool == true)

        let up = try w.sprite(["up", "-v"])
        #expect(up.status == 0, "\(up.stderr)")
        #expect(!(up.stdout + up.stderr).contains("do-not-print-me"), "contents never printed, even with -v")
        #expect(try w.remote("cat /home/sprite/workspace/.env") == "API_KEY=do-not-print-me")
        #expect(try w.remote("cat /home/sprite/workspace/local/settings.yml") == "debug: true")
        #expect(
            try w.remote("ls /home/sprite/workspace/local/other.yml /home/sprite/workspace/build.log 2>&1; true")
                .contains("No such file"))
        // a clean work tree in the sprite (the files are ignored there too): nothing to lose
        let status = try w.sprite(["status"])
        #expect(status.stdout.contains("\t0\t0\t$"), "\(status.stdout)")
        let down = try w.sprite(["down", "--destroy"])
        #expect(down.status == 0, "\(down.stderr)")
    }

    /// The host `--local` starts has a lifecycle the user can see: status, and a clean stop that
    /// ends the sprites' processes and keeps their files.
    @Test func theLocalHostCanBeSeenAndStoppedAndItsSpritesComeBack() throws {
        let s = try Sandbox()
        let repo = try s.makeRepo("solo")
        try s.git("config", "sprite.agent.command", "sleep 100000", in: repo)
        try s.git("config", "sprite.network.defaultPolicy", "block-all", in: repo)
        let state = s.environment["XDG_STATE_HOME"]! + "/git-sprite"
        func hostPID() -> Int32? { s.localHostPID }
        defer { if let pid = hostPID() { kill(pid, SIGTERM) } }
        let before = try s.sprite(["host", "status", "--json"], in: repo).json()
        #expect(before["running"] as? Bool == false)

        let up = try s.sprite(["up", "--local"], in: repo)
        #expect(up.status == 0, "\(up.stderr)")
        _ = try s.sprite(["exec", "--", "sh", "-c", "echo kept > /home/sprite/kept.txt"], in: repo)
        let status = try s.sprite(["host", "status"], in: repo)
        #expect(status.stdout.hasPrefix("local sprite-host: running (pid \(hostPID() ?? -1))"), "\(status.stdout)")
        #expect(status.stdout.contains("(1 sprite)"), "\(status.stdout)")
        let listed = try s.sprite(["status", "--json"], in: repo).json()
        #expect(listed[path: "sprites.0.host"] as? String == "local sprite-host")
        // a host that holds every request (stopped here) is said to be so, at once: `host
        // status` waited for each request's own limit and its retries, about 2 minutes
        let held = try #require(hostPID())
        kill(held, SIGSTOP)
        let stalled = try s.run("git", ["sprite", "host", "status"], in: repo, limit: 20)
        kill(held, SIGCONT)
        #expect(stalled.stdout.hasPrefix("local sprite-host: not answering (pid \(held);"), "\(stalled.stdout)")

        let pid = try #require(hostPID())
        let stop = try s.sprite(["host", "stop"], in: repo)
        #expect(stop.status == 0, "\(stop.stderr)")
        #expect(stop.stderr.contains("stopped the local sprite-host (pid \(pid))"), "\(stop.stderr)")
        #expect(kill(pid, 0) != 0, "the host is gone")
        // no process of its sprites is left (they run under the host's state directory)
        let left = try s.run("sh", ["-c", "ps -eo args | grep -F -- '\(state)/host' | grep -v grep; true"]).stdout
        #expect(left.isEmpty, "left running: \(left)")
        #expect(try s.sprite(["host", "status", "--json"], in: repo).json()["running"] as? Bool == false)
        #expect(try s.sprite(["host", "stop"], in: repo).stderr.contains("is not running"))

        // the next up brings the host and the sprite back, files and all
        let again = try s.sprite(["up", "--json"], in: repo)
        #expect(again.status == 0, "\(again.stderr)")
        #expect(try again.json()["created"] as? Bool == false)
        #expect(try s.sprite(["exec", "--", "cat", "/home/sprite/kept.txt"], in: repo).stdout == "kept\n")
    }
}
