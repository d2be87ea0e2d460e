import Foundation
import SpriteGit
import SpritesAPI

/// `git sprite down`: bring the sprite's work home, stop the agent, then park the sprite or
/// destroy it. Destroying never loses work silently: while anything the sprite holds is not
/// at home (uncommitted changes, work in a submodule that is not checked out here, commits
/// that could not be fetched) it is refused before the agent is stopped or anything changed,
/// unless `--force`, which first saves all of it in a salvage bundle under `.git/`.
public enum DownWorkflow {
    /// What `down` was asked to do.
    public struct Options: Sendable {
        /// Delete the sprite (`--destroy`, or sprite.lifecycle.autoDestroy unless `keep`).
        public var destroy = false
        /// Destroy over work that is not home, saving it first.
        public var force = false
        /// Park even when sprite.lifecycle.autoDestroy is on.
        public var keep = false
        /// Take a checkpoint before parking.
        public var checkpoint = false
        /// The argument is a sprite's name, never a branch (`prune`).
        public var exactName = false

        public init(
            destroy: Bool = false, force: Bool = false, keep: Bool = false, checkpoint: Bool = false,
            exactName: Bool = false
        ) {
            (self.destroy, self.force, self.keep, self.checkpoint, self.exactName) = (
                destroy, force, keep, checkpoint, exactName
            )
        }
    }

    /// What `down` did; `down --json` prints it.
    public struct Outcome: ActionOutput, Codable {
        public let sprite: String
        /// `parked` or `destroyed`.
        public var action = "parked"
        /// The refs here that the last fetch moved.
        public var updates: [RefUpdate] = []
        /// The checkpoint taken before parking (null: none).
        public var checkpoint: String?
        /// Files a forced destroy saved here first (salvage bundles, the leftovers archive).
        public var saved: [String] = []
        /// What a parked sprite still holds because it could not be looked at or fetched, one
        /// line each; the command ends non-zero when there is any (the sprite is parked).
        public var unfetched: [String] = []
        public var notes: [String] = []
    }

    /// The error a parked sprite's `unfetched` work makes, after the outcome is reported.
    public static func incomplete(_ outcome: Outcome, named: String?) -> SpriteError? {
        guard !outcome.unfetched.isEmpty else { return nil }
        let sprite = SpriteTarget.hintOperand(named, resolved: outcome.sprite)
        return SpriteError(
            "\(outcome.sprite) is parked, but not all of its work came home",
            hints: outcome.unfetched + ["bring it home once that is fixed: git sprite fetch\(sprite)"])
    }

    public static func run(_ context: Context, sprite argument: String?, options: Options) throws -> Outcome {
        if options.destroy && options.keep {
            throw SpriteError(
                "--destroy and --keep contradict each other",
                hints: ["--keep parks the sprite with the agent running; --destroy deletes it: choose one"],
                status: .usage)
        }
        let target = try SpriteTarget(context, sprite: argument, exact: options.exactName)
        let destroying = (options.destroy || target.settings.autoDestroy) && !options.keep
        // hints name the sprite as it was named here, so copying one acts on this sprite
        let named = SpriteTarget.hintOperand(argument, resolved: target.name)
        if destroying && options.checkpoint {
            throw SpriteError(
                "a checkpoint is deleted with its sprite, so --checkpoint cannot go with destroying it",
                hints: [
                    options.destroy
                        ? "leave out --destroy to park it with a checkpoint"
                        : "sprite.lifecycle.autoDestroy is on: add --keep to park it with a checkpoint"
                ],
                status: .usage)
        }
        // the inventory, the fetch's look, the agent's stop, the park: one exec after another
        target.connection.keepSpares()
        defer { target.connection.stopSpares() }
        return try target.connection.perform { api in
            guard let sprite = try api.getSprite(target.name) else {
                // a destroy cut short after its DELETE (Ctrl-C) left the branch's record of
                // the sprite: running it again finishes it, where it said the sprite does not exist
                guard destroying, forget(target.name, in: target.repository) else { throw target.missing }
                var outcome = Outcome(sprite: target.name)
                outcome.action = "destroyed"
                // (which API said so: one that is not the sprite's, a wrong token or org, would
                // orphan it here, and the user sees where it was looked for)
                outcome.notes.append(
                    "\(target.name) was gone already from the Sprites API at \(target.connection.apiURL); "
                        + "forgot it here")
                return outcome
            }
            // the fetch's helper runs its exec over this command's connections
            let relay = HelperRelay.start(target.connection, sprite: target.name, context)
            defer { relay?.stop() }
            let down = Down(
                context: context, target: target, api: api, options: options, destroying: destroying, named: named)
            return try down.run(sprite)
        }
    }

    /// One `down`, once the sprite is known to exist.
    private struct Down {
        let context: Context
        let target: SpriteTarget
        let api: any SpritesService
        let options: Options
        let destroying: Bool
        let named: String
        var name: String { target.name }

        func run(_ sprite: Sprite) throws -> Outcome {
            let builder = target.repository.map {
                PlanBuilder(context: context, repository: $0, settings: target.settings)
            }
            let ours = builder.map { SpriteLabels.belongs(sprite.labels, to: $0.identity()) } ?? false
            let notMine = "\(name) was not made by this repository, so its work cannot be fetched from here"
            // whose sprite it is is known before anything of it is touched
            if destroying && !ours && !options.force {
                throw refusal(name, [notMine], agentStopped: false, named: named)
            }
            let shipper = Shipper(
                context: context, connection: target.connection, sprite: name,
                settings: target.settings, noChanges: true)
            let homecoming = Homecoming(context: context, shipper: shipper)
            let plan = ours ? try builder.flatMap(plan) : nil
            var report = Homecoming.Report()
            if plan == nil {
                if ours {
                    report.fail("the sprite's commits could not be fetched: this repository's plan failed")
                } else {
                    report.atRisk.append(notMine)
                }
            }
            // destroying: the first look runs while the agent works, so a refusal changes nothing
            // (with no plan too: nothing can be fetched, and the agent was stopped before saying so)
            if destroying, let plan {
                report = homecoming.bringHome(plan)
                homecoming.unreachedRepositories(of: plan, into: &report)
            }
            if destroying && !report.atRisk.isEmpty && !options.force {
                throw refusal(name, report.atRisk, agentStopped: false, named: named)
            }
            try Agent.stop(api, sprite: name)
            // then everything the agent did up to its last moment
            if let plan {
                var last = homecoming.bringHome(plan)
                if destroying { homecoming.unreachedRepositories(of: plan, into: &last) }
                report.merge(last)
            }
            var outcome = Outcome(
                sprite: name, updates: report.updates, unfetched: destroying ? [] : report.failed,
                notes: report.fetched + report.notes)
            if destroying {
                try destroy(report, homecoming: homecoming, plan: plan, into: &outcome)
            } else {
                try park(homecoming: homecoming, plan: plan, into: &outcome)
            }
            return outcome
        }

        /// The plan of this repository's repositories; nil (and a warning) when it cannot be
        /// made, which must not keep the agent running (a linked repo gone from this machine).
        func plan(_ builder: PlanBuilder) throws -> WorkspacePlan? {
            do {
                return try builder.build()
            } catch  where error is GitError || (error as? SpriteError)?.status == .failure {
                let why = (error as? SpriteError)?.message ?? "\(error)"
                context.terminal.warn("nothing was fetched from the sprite: \(why)")
                return nil
            }
        }

        func park(homecoming: Homecoming, plan: WorkspacePlan?, into outcome: inout Outcome) throws {
            let checkpointing = options.checkpoint || target.settings.autoCheckpoint
            if checkpointing {
                let (id, commit) = try CheckpointWorkflow.take(
                    name, homecoming: homecoming, plan: plan, context: context,
                    api: api, comment: "git sprite down")
                outcome.checkpoint = id
                outcome.notes.append(
                    "checkpoint \(id)" + (commit == nil ? "" : CheckpointWorkflow.describe(name, id, plan, context))
                        + (options.checkpoint ? "" : " (sprite.lifecycle.autoCheckpoint)")
                        + "; restore it: git sprite restore\(named) \(id)")
            }
            outcome.notes.append(
                "stopped the agent; \(name) is parked and hibernates when idle "
                    + "(delete it: git sprite down --destroy\(named))")
        }

        func destroy(
            _ report: Homecoming.Report, homecoming: Homecoming, plan: WorkspacePlan?,
            into outcome: inout Outcome
        ) throws {
            if !report.atRisk.isEmpty && !options.force {
                throw refusal(name, report.atRisk, agentStopped: true, named: named)
            }
            let repo = target.repository
            let directory = salvageDirectory(homecoming, repo: repo, context: context)
            // made when the first file is saved in it: a run cut short (or failing) before a
            // file is whole leaves no empty one behind (rmdir takes only an empty directory, and
            // never a symlink: `.git/sprite-salvage` may be one, to a store elsewhere)
            let parent = (directory as NSString).deletingLastPathComponent
            TemporaryFiles.registerDirectory(directory)
            TemporaryFiles.registerDirectory(parent)
            defer {
                TemporaryFiles.forget(directory)
                TemporaryFiles.forget(parent)
                _ = rmdir(directory)
                _ = rmdir(parent)
            }
            if !report.atRisk.isEmpty {
                let (notes, bundles) = try salvage(homecoming, report: report, plan: plan, into: directory)
                outcome.notes += notes
                outcome.saved += bundles
            }
            // what cannot come home by design is said before it goes (and packed, when forced and small)
            let (notes, archive) = leftovers(
                homecoming, plan: plan, save: options.force ? directory : nil,
                limit: target.settings.salvageMaxBytes)
            outcome.notes += notes
            outcome.saved += archive.map { [$0] } ?? []
            try api.deleteSprite(name)
            forget(name, in: repo)
            outcome.action = "destroyed"
            outcome.notes.append("destroyed \(name)")
        }
    }

    /// The branches whose sprite `name` was forget it (and its expiry); whether any did.
    @discardableResult
    static func forget(_ name: String, in repo: Repository?) -> Bool {
        let entries = ((try? repo?.config().entries(matching: #"^branch\..*\.sprite$"#)) ?? []).filter {
            $0.value == name
        }
        for entry in entries {
            let branch = entry.name.dropFirst("branch.".count).dropLast(".sprite".count)
            try? repo?.unsetLocalConfig(entry.name)
            try? repo?.unsetLocalConfig("branch.\(branch).spriteExpires")
        }
        return !entries.isEmpty
    }

    static func refusal(_ name: String, _ atRisk: [String], agentStopped: Bool, named: String = "") -> SpriteError {
        SpriteError(
            "not destroying \(name): it holds work that is not on your machine"
                + (agentStopped ? " (the agent is stopped)" : ""),
            hints: atRisk
                // (what `apply` takes home counts as yours: the next look passes over it; and
                // committing in the workspace helps only with the workspace's changes)
                + (atRisk.contains { $0.contains("uncommitted changes in \(SpritePaths.workspace)") }
                    ? [
                        "take its uncommitted changes into your work tree: git sprite apply\(named)",
                        "commit it in the sprite (git sprite exec\(named) -- git commit -am wip) and run this again: "
                            + "commits are fetched home first",
                    ] : [])
                + [
                    "or destroy it anyway, saving what is not home in a bundle: git sprite down --destroy --force\(named)"
                ])
    }

    /// `--force` over work that is not home: every repository that holds some goes into a
    /// bundle first (all of them when the plan could not be made), and the user is told how
    /// to get it back.
    static func salvage(
        _ homecoming: Homecoming, report: Homecoming.Report, plan: WorkspacePlan?,
        into directory: String
    ) throws -> (notes: [String], bundles: [String]) {
        let paths = plan == nil || report.unsafe.isEmpty ? try homecoming.repositoriesInSprite() : report.unsafe
        guard !paths.isEmpty else { return ([], []) }
        let (bundles, unreadable) = try homecoming.salvage(paths, into: directory)
        return (
            report.atRisk.map { "not home, saved in the salvage bundle: " + $0 }
                + unreadable.map {
                    "\($0) could not be read as a git repository: its files go with what stays behind (below)"
                }
                + bundles.map {
                    "saved \($0); restore with: git fetch \(shellQuote($0)) '+refs/*:refs/salvage/\(homecoming.sprite)/*'"
                }, bundles
        )
    }
    /// Where a forced destroy saves what is not home: `.git/sprite-salvage/<sprite>-<time>`.
    static func salvageDirectory(_ homecoming: Homecoming, repo: Repository?, context: Context) -> String {
        let stamp = ISO8601DateFormatter.string(
            from: context.clock.now(), timeZone: TimeZone(secondsFromGMT: 0) ?? .current,
            formatOptions: [.withYear, .withMonth, .withDay, .withTime])
        let base = repo.map { $0.commonDir } ?? LocalHostManager.stateDirectory(context.environment)
        return base + "/sprite-salvage/\(homecoming.sprite)-\(stamp)"
    }
}
