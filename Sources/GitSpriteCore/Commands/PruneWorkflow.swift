import Foundation
import SpriteGit
import SpritesAPI

/// `git sprite prune`: this repository's sprites that git says are done with (their branch is
/// merged, deleted or its upstream gone, the sprite is expired, old or idle), each brought
/// home exactly as `down --destroy` does and skipped, with the reason, when that would lose
/// work (unless `force`). It prints what it will delete, why, and the storage cost per week
/// deleting saves.
public enum PruneWorkflow {
    public struct Options: Sendable {
        /// `--merged`: into this branch (nil: the remote's default branch).
        public var merged = false
        public var mergedInto: String?
        public var gone = false
        public var expired = false
        public var olderThan: TimeInterval?
        public var idle: TimeInterval?
        public var dryRun = false
        public var yes = false
        public var force = false
        public init() {}

        var anyCriterion: Bool { merged || gone || expired || olderThan != nil || idle != nil }
    }

    public struct Candidate: Sendable {
        public var sprite: String
        public var branch: String?
        public var reasons: [String]
        public var weeklyStorage: Decimal
        /// What happened: nil while only selected.
        public var outcome: String?
        public var deleted = false

        /// How `prune --json` shows it.
        public struct Output: Sendable, Codable {
            public let sprite: String
            public let branch: String?
            public let reasons: [String]
            public let savesPerWeek: String
            public let outcome: String?
            public let deleted: Bool
        }

        var output: Output {
            Output(
                sprite: sprite, branch: branch, reasons: reasons, savesPerWeek: Money.dollars(weeklyStorage),
                outcome: outcome, deleted: deleted)
        }
    }

    public struct Result: Sendable {
        public var candidates: [Candidate] = []
        public var target: String?
        /// What `prune --json` prints.
        public struct Output: Sendable, Codable {
            public let mergedInto: String?
            public let sprites: [Candidate.Output]
            public let deleted: Int
        }

        public var output: Output {
            Output(mergedInto: target, sprites: candidates.map(\.output), deleted: candidates.filter(\.deleted).count)
        }
    }

    /// Selects what to prune and (with `confirm` saying yes) deletes it.
    public static func run(_ context: Context, options: Options, confirm: ([Candidate]) -> Bool) throws -> Result {
        guard options.anyCriterion else {
            throw SpriteError(
                "git sprite prune needs a reason to delete a sprite",
                hints: ["choose one or more: --merged [BRANCH], --gone, --expired, --older-than 2w, --idle 3d"],
                status: .usage)
        }
        let repo = try RepositoryLocator.primary(context)
        let settings = try SettingsLoader(environment: context.environment, repository: repo).load()
        for warning in settings.warnings { context.terminal.warn(warning) }
        let git = LocalGit(directory: repo.workdir ?? context.currentDirectory, environment: context.environment)
        var result = Result()
        if options.merged { result.target = try mergeTarget(options.mergedInto, git: git) }
        let connection = try Connection.make(settings: settings, context: context)
        let builder = PlanBuilder(context: context, repository: repo, settings: settings)
        let identity = builder.identity()
        let weekly = Decimal(settings.storageGB) * 168 * Pricing(settings: settings).storageGBHour
        let now = context.clock.now()
        let sprites = try connection.perform { try SpriteListing.all($0) }
            .filter { SpriteLabels.belongs($0.labels, to: identity) }
        // whether a branch is merged is judged on all of the sprite's work, fetched now: a copy
        // fetched earlier may lack what the agent did since
        let plan = options.merged ? try? builder.build() : nil
        for sprite in sprites {
            let branch = SpriteLabels.value("branch", in: sprite.labels ?? [])
            var reasons: [String] = []
            var fetched = true
            if options.merged, branch != nil {
                let shipper = Shipper(
                    context: context, connection: connection, sprite: sprite.name, settings: settings,
                    noChanges: true)
                fetched =
                    plan.map { Homecoming(context: context, shipper: shipper).bringHome($0).failures == 0 } ?? false
                if !fetched {
                    context.terminal.warn(
                        "\(ServerText.oneLine(sprite.name)): its work could not be fetched, so it is not "
                            + "judged merged (run git sprite fetch \(ServerText.oneLine(sprite.name)))")
                }
            }
            if options.merged, fetched, let target = result.target, let branch,
                try isMerged(branch, sprite: sprite.name, into: target, git: git)
            {
                reasons.append(
                    "merged into \(target.replacingOccurrences(of: "refs/heads/", with: "").replacingOccurrences(of: "refs/remotes/", with: ""))"
                )
            }
            if options.gone, let branch, let why = try gone(branch, repo: repo, git: git) { reasons.append(why) }
            if options.expired, let expiry = SpriteLabels.expiry(sprite.labels ?? [], branch: branch, repo: repo),
                expiry <= now
            {
                reasons.append("expired \(AgentReport.duration(now.timeIntervalSince(expiry))) ago")
            }
            if let limit = options.olderThan, let created = sprite.createdAt.flatMap(Timestamps.parse),
                now.timeIntervalSince(created) > limit
            {
                reasons.append("created \(AgentReport.duration(now.timeIntervalSince(created))) ago")
            }
            // a running sprite is active now; a sleeping one has been idle since it was last active
            if let limit = options.idle, sprite.status != .running,
                let active = (sprite.lastActiveAt ?? sprite.lastRunningAt).flatMap(Timestamps.parse),
                now.timeIntervalSince(active) > limit
            {
                reasons.append("idle for \(AgentReport.duration(now.timeIntervalSince(active)))")
            }
            guard !reasons.isEmpty else { continue }
            result.candidates.append(
                Candidate(
                    sprite: ServerText.oneLine(sprite.name), branch: branch.map(ServerText.oneLine),
                    reasons: reasons, weeklyStorage: weekly))
        }
        guard !result.candidates.isEmpty, !options.dryRun, confirm(result.candidates) else { return result }
        for i in result.candidates.indices {
            let name = result.candidates[i].sprite
            do {
                // exactly the loss-proof down: the work comes home first, or nothing happens
                let down = try DownWorkflow.run(
                    context, sprite: name,
                    options: .init(destroy: true, force: options.force, exactName: true))
                result.candidates[i].deleted = true
                result.candidates[i].outcome = down.notes.last ?? "destroyed \(name)"
                // (-q too says where a forced destroy saved what was not home: nothing else does)
                for note in down.notes.dropLast() where !context.quiet || note.hasPrefix("saved ") {
                    context.terminal.note(note)
                }
            } catch let e as SpriteError {
                result.candidates[i].outcome = "skipped: " + ([e.message] + e.hints.dropLast(2)).joined(separator: "; ")
            }
        }
        return result
    }

    /// The branch `--merged` compares with: the one named, or the remote's default branch.
    static func mergeTarget(_ named: String?, git: LocalGit) throws -> String {
        if let named {
            for ref in ["refs/heads/" + named, "refs/remotes/" + named] {
                if (try? git.check(["rev-parse", "-q", "--verify", "--end-of-options", ref + "^{commit}"], what: ""))
                    != nil
                {
                    return ref
                }
            }
            throw SpriteError(
                "--merged: there is no branch '\(named)'",
                hints: ["name a local branch or a remote-tracking one (origin/main)"], status: .usage)
        }
        // origin first, then the others
        let remotes =
            ((try? git.check(["remote"], what: "listing remotes"))?.split(separator: "\n").map(String.init) ?? [])
            .sorted { $0 == "origin" && $1 != "origin" }
        for remote in remotes {
            if let head = try? git.check(["symbolic-ref", "-q", "refs/remotes/\(remote)/HEAD"], what: ""), !head.isEmpty
            {
                return head
            }
        }
        for branch in ["main", "master"]
        where (try? git.check(["rev-parse", "-q", "--verify", "refs/heads/\(branch)"], what: "")) != nil {
            return "refs/heads/" + branch
        }
        throw SpriteError(
            "--merged: this repository has no default branch to compare with",
            hints: ["name one: git sprite prune --merged main"], status: .usage)
    }

    /// Whether merging the branch, and the sprite's copy of it, into `target` would change
    /// nothing: true for a merge, a rebase-merge and a squash-merge alike (identical trees).
    static func isMerged(_ branch: String, sprite: String, into target: String, git: LocalGit) throws -> Bool {
        let targetTree = try git.check(
            ["rev-parse", "-q", "--verify", "--end-of-options", target + "^{tree}"], what: "reading \(target)")
        var tips: [String] = []
        for ref in ["refs/heads/" + branch, Homecoming.branchRefs(sprite) + branch] {
            if let tip = try? git.check(
                ["rev-parse", "-q", "--verify", "--end-of-options", ref + "^{commit}"], what: ""), !tip.isEmpty
            {
                tips.append(tip)
            }
        }
        guard !tips.isEmpty else { return false }
        for tip in tips {
            let r = try git.run(["merge-tree", "--write-tree", "--no-messages", "--end-of-options", target, tip])
            guard r.status == 0, r.stdout.split(separator: "\n").first.map(String.init) == targetTree else {
                return false
            }
        }
        return true
    }

    /// Why a branch is gone, or nil: deleted here, or its upstream deleted on the remote.
    static func gone(_ branch: String, repo: Repository, git: LocalGit) throws -> String? {
        guard try repo.resolve(reference: "refs/heads/" + branch) != nil else { return "branch \(branch) was deleted" }
        guard let upstream = try repo.upstream(ofBranch: branch) else { return nil }
        return try repo.resolve(reference: upstream.trackingRef) == nil
            ? "the upstream of \(branch) is gone (\(upstream.trackingRef.replacingOccurrences(of: "refs/remotes/", with: "")))"
            : nil
    }
}
