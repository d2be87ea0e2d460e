import Foundation
import TestSupport
import Testing

@Suite("cost and prune", .ownThread)
struct CostAndPruneTests {
    /// A clone of a remote (so the remote has a default branch) with a sprite-host of its own.
    static func cloneWithHost() throws -> (Sandbox, String, LocalHost, [String: String]) {
        let s = try Sandbox()
        let remote = try s.makeRemote("app")
        let app = s.path("app")
        try s.git("clone", "-q", remote, app)
        let host = try LocalHost(root: s.path("host"))
        try s.git("config", "sprite.network.defaultPolicy", "block-all", in: app)
        return (s, app, host, ["SPRITES_TOKEN": host.token, "SPRITES_API_URL": host.url])
    }

    /// The seed's three published examples, to the cent, in text and JSON.
    @Test(arguments: [
        (
            ["--hours", "4", "--cpu", "2", "--memory", "4", "--storage", "10"], "$1.29", ["$0.56", "$0.70", "$0.03"],
            ["1.29", "0.56", "0.70", "0.03"]
        ),
        (
            ["--hours", "8", "--cpu", "4", "--memory", "8", "--storage", "20"], "$5.15", ["$2.24", "$2.80", "$0.11"],
            ["5.15", "2.24", "2.80", "0.11"]
        ),
    ])
    func theSeedsExamplesComeOutToTheCent(args: [String], total: String, parts: [String], json: [String]) throws {
        let s = try Sandbox()
        let r = try s.sprite(["cost"] + args)
        #expect(r.status == 0, "\(r.stderr)")
        // off a terminal, a row per amount, tab-separated
        #expect(r.stdout.contains("\ntotal\t\(total)\t"), "\(r.stdout)")
        for (label, part) in zip(["cpu", "memory", "storage"], parts) {
            #expect(r.stdout.contains(label + "\t" + part + "\t"), "\(label) \(part): \(r.stdout)")
        }
        #expect(r.stdout.contains("\nassumes\t"), "\(r.stdout)")
        // on a terminal, for people
        let shown = try s.run("script", ["-qec", "git sprite cost " + args.joined(separator: " "), "/dev/null"])
        #expect(shown.stdout.contains("  total    \(total)\r\n"), "\(shown.stdout)")
        for (label, part) in zip(["CPU", "memory", "storage"], parts) {
            #expect(
                shown.stdout.contains(label.padding(toLength: 9, withPad: " ", startingAt: 0) + part),
                "\(label) \(part): \(shown.stdout)")
        }
        #expect(shown.stdout.contains("assumes: "), "\(shown.stdout)")
        let j = try s.sprite(["cost", "--json"] + args).json()
        #expect(j[path: "cost.total.dollars"] as? String == json[0])
        #expect(j[path: "cost.cpu.dollars"] as? String == json[1])
        #expect(j[path: "cost.memory.dollars"] as? String == json[2])
        #expect(j[path: "cost.storage.dollars"] as? String == json[3])
        #expect((j["assumption"] as? String)?.isEmpty == false)
    }

    @Test func anIdleWeekIsStorageAlone() throws {
        let s = try Sandbox()
        let r = try s.sprite(["cost", "--idle-week", "--storage", "10"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("total\t$1.14\tper week\n"), "\(r.stdout)")
        #expect(!r.stdout.contains("cpu\t"), "\(r.stdout)")
        let j = try s.sprite(["cost", "--idle-week", "--storage", "10", "--json"]).json()
        #expect(j[path: "cost.total.dollars"] as? String == "1.14")
        // exact: 168 h × 10 GB × $0.00068 = $1.1424, never a binary fraction
        #expect(j[path: "cost.total.microdollars"] as? Int == 1_142_400)
        #expect(j[path: "cost.cpu.microdollars"] as? Int == 0)
    }

    /// Money is exact: a sum of many small amounts is not off by a float's error.
    @Test func ratesComeFromTheSettingsAndStayExact() throws {
        let s = try Sandbox()
        let repo = try s.makeRepo("app")
        try s.git("config", "sprite.pricing.cpuHour", "0.1", in: repo)
        try s.git("config", "sprite.pricing.memoryGBHour", "0.2", in: repo)
        try s.write(".config/git-sprite/config.toml", "[pricing]\nstorage_gb_hour = 0.3\n", in: s.path("home"))
        // (`1G` as the configuration takes it: it was refused; a review)
        let j = try s.sprite(
            ["cost", "--json", "--hours", "3", "--cpu", "1", "--memory", "1G", "--storage", "1GB"], in: repo
        ).json()
        // 0.1 + 0.2 + 0.3 per hour for 3 hours: 1.8 exactly (binary floating point gives 1.7999999999999998)
        #expect(j[path: "cost.total.microdollars"] as? Int == 1_800_000)
        #expect(j[path: "rates.memoryGBHour"] as? String == "0.20")
        let config = try s.sprite(["config"], in: repo)
        #expect(config.stdout.contains("sprite.pricing.memoryGBHour"), "\(config.stdout)")
        let bad = try s.sprite(["cost"], in: repo, gitArgs: ["-c", "sprite.pricing.cpuHour=-1"])
        #expect(bad.status != 0 && bad.stderr.contains("hint: "), "\(bad.stderr)")
    }

    @Test(arguments: [
        (["--hours", "0"], "--hours must be more than 0"),
        // (a negative number is one: it said "is not a number"; a review)
        (["--hours=-2"], "--hours must be more than 0"),
        (["--hours", "-1"], "--hours must be more than 0"),
        (["--memory", "17G"], "--memory 17 is outside 1–16 GB"),
        (["--hours", "four"], "--hours 'four' is not a number"),
        (["--cpu", "9"], "--cpu 9 is outside 1–8 CPUs"),
        (["--cpu", "0"], "--cpu 0 is outside 1–8 CPUs"),
        (["--memory", "17"], "--memory 17 is outside 1–16 GB"),
        (["--memory", "2.5"], "--memory '2.5' is not a whole number"),
        (["--storage", "0"], "--storage must be more than 0"),
        (["--idle-week", "--hours", "3"], "--idle-week prices a week of storage alone"),
    ])
    func badNumbersAreUsageErrorsWithTheRange(args: [String], message: String) throws {
        let s = try Sandbox()
        let r = try s.sprite(["cost"] + args)
        #expect(r.status == 64, "\(args): \(r.status) \(r.stderr)")
        #expect(r.stderr.contains("error: " + message), "\(args): \(r.stderr)")
        #expect(args.first == "--idle-week" || r.stderr.contains("hint: "), "\(r.stderr)")
    }

    /// `prune -q --force` still says where a forced destroy saved what was not home: `-q`
    /// dropped every note of the destroy, the bundle's path and how to restore it with them.
    @Test func aQuietForcedPruneStillSaysWhereTheWorkWasSaved() throws {
        let (s, app, host, env) = try Self.cloneWithHost()
        try s.git("checkout", "-q", "-b", "held", "main", in: app)
        try s.commit("held.txt", "held\n", message: "work on held", in: app)
        let up = try s.sprite(["up", "--no-agent", "-q"], in: app, env: env)
        #expect(up.status == 0, "\(up.stderr)")
        let name = up.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        try s.git("checkout", "-q", "main", in: app)
        try s.git("merge", "-q", "--squash", "held", in: app)
        try s.git("commit", "-q", "-m", "held work", in: app)
        _ = try host.remote("echo unsaved > /home/sprite/workspace/unsaved.txt", sprite: name)
        let pruned = try s.sprite(["prune", "--merged", "main", "--yes", "--force", "-q"], in: app, env: env)
        #expect(pruned.status == 0, "\(pruned.stderr)")
        #expect(
            pruned.stderr.contains(".bundle; restore with: git fetch") && !pruned.stderr.contains("not home, saved"),
            "\(pruned.stderr)")
        #expect(try host.client().listSprites().isEmpty)
    }

    /// Four sprites: merged normally, squash-merged, branch deleted, live. prune deletes the
    /// first three after bringing their work home, leaves the live one, and finds nothing the
    /// second time; a squash-merged sprite holding uncommitted work is skipped with the reason.
    @Test(.longRunning) func pruneDeletesWhatGitSaysIsDoneAndNothingThatWouldLoseWork() throws {
        let (s, app, host, env) = try Self.cloneWithHost()
        func sprite(_ args: [String]) throws -> RunResult { try s.sprite(args, in: app, env: env) }
        /// A branch with one commit and a sprite; returns the sprite's name.
        func branchWithSprite(_ branch: String) throws -> String {
            try s.git("checkout", "-q", "-b", branch, "main", in: app)
            try s.commit("\(branch).txt", "\(branch)\n", message: "work on \(branch)", in: app)
            let up = try sprite(["up", "--no-agent", "-q"])
            #expect(up.status == 0, "\(up.stderr)")
            try s.git("checkout", "-q", "main", in: app)
            return up.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        let merged = try branchWithSprite("merged")
        let squashed = try branchWithSprite("squashed")
        let deleted = try branchWithSprite("deleted")
        let live = try branchWithSprite("live")
        try s.git("merge", "-q", "--no-ff", "-m", "merge merged", "merged", in: app)
        try s.git("merge", "-q", "--squash", "squashed", in: app)
        try s.git("commit", "-q", "-m", "squashed work", in: app)
        try s.git("push", "-q", "origin", "main", in: app)
        try s.git("branch", "-q", "-D", "deleted", in: app)

        let dry = try sprite(["prune", "--merged", "--gone", "--dry-run"])
        #expect(dry.status == 0, "\(dry.stderr)")
        #expect(
            dry.stdout.contains("merged into origin/main") && dry.stdout.contains("branch deleted was deleted"),
            "\(dry.stdout)")
        #expect(dry.stderr.contains("dry run: nothing was deleted"), "\(dry.stderr)")
        #expect(dry.stdout.contains("saves $"), "\(dry.stdout)")
        #expect(try host.client().listSprites().count == 4)
        // no terminal and no --yes: it only prints
        let asked = try sprite(["prune", "--merged", "--gone"])
        #expect(asked.stderr.contains("nothing deleted: pass --yes"), "\(asked.stderr)")
        #expect(try host.client().listSprites().count == 4)

        let prune = try sprite(["prune", "--merged", "--gone", "--yes"])
        #expect(prune.status == 0, "\(prune.stderr)")
        #expect(Set(try host.client().listSprites().map(\.name)) == [live], "\(prune.stdout) \(prune.stderr)")
        for (name, branch) in [(merged, "merged"), (squashed, "squashed"), (deleted, "deleted")] {
            #expect(prune.stderr.contains("\(name): destroyed \(name)"), "\(prune.stderr)")
            // the work came home before the sprite went
            #expect(try s.git("log", "-1", "--format=%s", "sprite/\(name)/\(branch)", in: app) == "work on \(branch)")
        }
        let again = try sprite(["prune", "--merged", "--gone", "--yes"])
        #expect(again.status == 0 && again.stderr.contains("nothing to prune"), "\(again.stderr)")

        // a squash-merged sprite that still holds uncommitted work is skipped, with the reason
        let held = try branchWithSprite("held")
        try s.git("merge", "-q", "--squash", "held", in: app)
        try s.git("commit", "-q", "-m", "held work", in: app)
        _ = try host.remote("echo unsaved > /home/sprite/workspace/unsaved.txt", sprite: held)
        let skipped = try sprite(["prune", "--merged", "main", "--yes"])
        #expect(skipped.status == 0, "\(skipped.stderr)")
        #expect(skipped.stderr.contains("\(held): skipped: not destroying \(held)"), "\(skipped.stderr)")
        #expect(skipped.stderr.contains("uncommitted changes in /home/sprite/workspace"), "\(skipped.stderr)")
        #expect(Set(try host.client().listSprites().map(\.name)) == [live, held])
        #expect(try host.remote("cat /home/sprite/workspace/unsaved.txt", sprite: held) == "unsaved")
        #expect(!skipped.stderr.contains("\(live):"), "the live sprite is not touched")

        // --merged=BRANCH is the same as --merged BRANCH
        let spelled = try sprite(["prune", "--merged=main", "--dry-run"])
        #expect(
            spelled.status == 0 && spelled.stdout.contains("merged into main"), "\(spelled.stdout) \(spelled.stderr)")
        // on a terminal it asks, and a yes deletes
        _ = try host.remote("rm /home/sprite/workspace/unsaved.txt", sprite: held)
        let confirmed = try s.run(
            "sh", ["-c", "printf 'y\\n' | script -qefc 'git sprite prune --merged main' /dev/null"],
            in: app, env: env.merging(["TERM": "xterm"]) { $1 })
        #expect(confirmed.stdout.contains("delete this sprite? [y/N]"), "\(confirmed.stdout)")
        #expect(Set(try host.client().listSprites().map(\.name)) == [live], "\(confirmed.stdout)")
        let noBranch = try sprite(["prune", "--merged", "no-such-branch"])
        #expect(
            noBranch.status == 64 && noBranch.stderr.contains("error: --merged: there is no branch 'no-such-branch'"),
            "\(noBranch.stderr)")
        let nothing = try sprite(["prune"])
        #expect(nothing.status == 64 && nothing.stderr.contains("hint: "), "\(nothing.stderr)")
        let badDuration = try sprite(["prune", "--older-than", "3x"])
        #expect(
            badDuration.status == 64 && badDuration.stderr.contains("'3x' is not a duration"), "\(badDuration.stderr)")
    }

    /// A rebase-merge (the commits replayed on the target) counts as merged, and a branch whose
    /// upstream was deleted on the remote as gone.
    @Test func rebaseMergesAndDeletedUpstreamsAreSeen() throws {
        let (s, app, host, env) = try Self.cloneWithHost()
        for branch in ["rebased", "pushed"] {
            try s.git("checkout", "-q", "-b", branch, "main", in: app)
            try s.commit("\(branch).txt", "\(branch)\n", message: "work on \(branch)", in: app)
            let up = try s.sprite(["up", "--no-agent", "-q"], in: app, env: env)
            #expect(up.status == 0, "\(up.stderr)")
        }
        try s.git("push", "-q", "-u", "origin", "pushed", in: app)
        try s.git("checkout", "-q", "main", in: app)
        // main moves on, then the branch's commit is replayed on it (a new commit, same change)
        try s.commit("other.txt", "other\n", message: "meanwhile on main", in: app)
        try s.git("cherry-pick", "rebased", in: app)
        try s.git("push", "-q", "origin", "main", in: app)
        try s.git("push", "-q", "origin", "--delete", "pushed", in: app)
        let r = try s.sprite(["prune", "--merged", "--gone", "--dry-run", "--json"], in: app, env: env)
        #expect(r.status == 0, "\(r.stderr)")
        let rows = try #require(try r.json()["sprites"] as? [[String: Any]])
        let reasons = Dictionary(
            uniqueKeysWithValues: rows.map { ($0["branch"] as? String ?? "", ($0["reasons"] as? [String]) ?? []) })
        #expect(reasons["rebased"] == ["merged into origin/main"], "\(reasons)")
        #expect(reasons["pushed"] == ["the upstream of pushed is gone (origin/pushed)"], "\(reasons)")
        #expect(try host.client().listSprites().count == 2, "a dry run deletes nothing")
    }

    /// `up --ttl` records an expiry; status warns once it passed; prune --expired removes it.
    @Test func aTimeToLiveExpiresAndPruneRemovesIt() throws {
        let s = try Sandbox()
        let app = try s.makeRepo("app")
        let host = try LocalHost(root: s.path("host"))
        let env = ["SPRITES_TOKEN": host.token, "SPRITES_API_URL": host.url]
        try s.git("config", "sprite.network.defaultPolicy", "block-all", in: app)
        let bad = try s.sprite(["up", "--no-agent", "--ttl", "3x"], in: app, env: env)
        #expect(bad.status != 0 && bad.stderr.contains("hint: "), "\(bad.stderr)")
        let up = try s.sprite(["up", "--no-agent", "--ttl", "1s"], in: app, env: env)
        #expect(up.status == 0, "\(up.stderr)")
        #expect(try host.client().getSprite("app-main")?.labels?.contains { $0.hasPrefix("expires=") } == true)
        #expect(!(try s.git("config", "branch.main.spriteExpires", in: app)).isEmpty)
        Thread.sleep(forTimeInterval: 2)
        let status = try s.sprite(["status"], in: app, env: env)
        #expect(status.stderr.contains("warning: app-main expired"), "\(status.stderr)")
        #expect(status.stderr.contains("git sprite prune --expired"), "\(status.stderr)")
        // idle: a running sprite is not; a sleeping one is, once long enough
        let running = try s.sprite(["prune", "--idle", "1s", "--dry-run"], in: app, env: env)
        #expect(running.stderr.contains("nothing to prune"), "\(running.stdout) \(running.stderr)")
        try host.hook("POST", "/_host/sprites/app-main/cold")
        let idle = try s.sprite(
            ["prune", "--idle", "1s", "--older-than", "1s", "--dry-run", "--json"], in: app, env: env
        ).json()
        let reasons = (idle[path: "sprites.0.reasons"] as? [String]) ?? []
        #expect(
            reasons.contains { $0.hasPrefix("idle for") } && reasons.contains { $0.hasPrefix("created") }, "\(idle)")
        #expect(idle["deleted"] as? Int == 0)
        let prune = try s.sprite(["prune", "--expired", "--yes"], in: app, env: env)
        #expect(prune.status == 0 && prune.stderr.contains("destroyed app-main"), "\(prune.stderr)")
        #expect(
            try s.run("git", ["config", "branch.main.spriteExpires"], in: app).status != 0, "forgotten with the sprite")
    }

    /// status estimates each sprite's cost so far and says what it assumed; up gives the rate.
    @Test func statusEstimatesTheCostSoFarAndUpSaysTheRate() throws {
        let s = try Sandbox()
        let app = try s.makeRepo("app")
        let host = try LocalHost(root: s.path("host"))
        let env = ["SPRITES_TOKEN": host.token, "SPRITES_API_URL": host.url, "TERM": "xterm"]
        try s.git("config", "sprite.network.defaultPolicy", "block-all", in: app)
        try s.git("config", "sprite.agent.command", "sleep 100000", in: app)
        // on a terminal, up says what the sprite costs
        let up = try s.run("script", ["-qefc", "git sprite up", "/dev/null"], in: app, env: env)
        #expect(up.status == 0, "\(up.stdout)")
        #expect(
            up.stdout.contains("cost: $0.32 an hour while it runs (2 CPU, 4 GB), $1.14 a week asleep (10 GB)"),
            "\(up.stdout)")
        let awake = try s.sprite(["status", "--json"], in: app, env: env).json()
        #expect(awake[path: "sprites.0.cost.complete"] as? Bool == true, "\(awake)")
        #expect((awake[path: "sprites.0.cost.assumption"] as? String)?.contains("heartbeats") == true)
        #expect(awake["totalCost"] as? String != nil)
        try host.hook("POST", "/_host/sprites/app-main/cold")
        let cold = try s.sprite(["status"], in: app, env: env)
        #expect(cold.stdout.hasSuffix("\t≥ $0.00\n"), "storage alone, compute unknown: \(cold.stdout)")
        let deep = try s.sprite(["status", "--deep", "--json"], in: app, env: env).json()
        #expect(deep[path: "sprites.0.cost.complete"] as? Bool == true)
    }
}
