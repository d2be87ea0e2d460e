import Foundation
import SpriteGit
import SpritesAPI

/// `git sprite checkpoint` and `git sprite restore`: checkpoints of the sprite's disk through
/// the API, each recorded here against what the sprite had checked out. Before a checkpoint
/// the sprite's work is fetched (`Homecoming`), and the checkpoint's ref,
/// `refs/sprite-checkpoints/<sprite>/<id>`, points at the sprite's work tree as it was (its
/// HEAD, or a commit of its uncommitted changes on top), so `--list` shows checkpoints next
/// to commits and `git log refs/sprite-checkpoints/<sprite>/<id>` shows what one holds.
public enum CheckpointWorkflow {
    /// One checkpoint of `checkpoint --list` (`--json`: each in `checkpoints`).
    public struct Row: Sendable, Codable {
        public var id: String
        public var created: String
        public var comment: String
        /// The commit the sprite had checked out (nil: taken elsewhere, or before this was recorded).
        public var commit: String?
        public var subject: String?
        /// The sprite also had uncommitted changes, kept in `worktree` (a commit on top of `commit`).
        public var uncommitted = false
        public var worktree: String?

        public var text: String {
            [
                id, created, commit.map { String($0.prefix(12)) } ?? "-",
                (subject ?? "-") + (uncommitted ? " (+ uncommitted changes)" : ""),
                comment.isEmpty ? "" : "(\(comment))",
            ]
            .joined(separator: "  ").trimmingCharacters(in: .whitespaces)
        }

        /// The row off a terminal: id, created, commit (whole), `uncommitted` or `-`, subject,
        /// comment (`-` for what is missing), tab-separated.
        public var columns: [String] {
            [
                id, created, commit ?? "-", uncommitted ? "uncommitted" : "-", subject.map(ServerText.oneLine) ?? "-",
                comment.isEmpty ? "-" : ServerText.oneLine(comment),
            ].map { $0.replacingOccurrences(of: "\t", with: " ") }
        }
    }

    /// What `checkpoint --list --json` prints.
    public struct ListOutput: Sendable, Codable {
        public let checkpoints: [Row]
        public init(_ checkpoints: [Row]) { self.checkpoints = checkpoints }
    }

    /// What `checkpoint` and `restore` did (their `--json`).
    public struct Outcome: ActionOutput, Codable {
        public let sprite: String
        /// The checkpoint taken, or restored.
        public let checkpoint: String
        /// The commit the sprite had checked out, as recorded here (null: not recorded).
        public var commit: String?
        /// It also had uncommitted changes (kept in the checkpoint's ref, on top of `commit`).
        public var uncommitted = false
        /// `restore`: the checkpoint of the state before, which undoes it.
        public var undo: String?
        /// What the command says on stderr.
        public var notes: [String]
    }

    static func ref(_ sprite: String, _ id: String) -> String { "refs/sprite-checkpoints/\(sprite)/\(id)" }

    /// Takes a checkpoint.
    public static func create(_ context: Context, sprite argument: String?, comment: String?) throws -> Outcome {
        let work = try SpriteWork(context, sprite: argument, command: "checkpoint")
        // hints name the sprite as it was named here, so following one acts on this sprite
        let named = SpriteTarget.hintOperand(argument, resolved: work.name)
        return try work.target.connection.perform { api in
            let (id, commit) = try take(work, api: api, comment: comment ?? "")
            let recorded =
                commit == nil ? nil : recorded(ref(work.name, id), in: work.plan.primary.localPath, context: context)
            return Outcome(
                sprite: work.name, checkpoint: id, commit: recorded?.commit,
                uncommitted: recorded?.uncommitted ?? false,
                notes: [
                    "checkpoint \(id) of \(work.name)" + describe(recorded)
                        + " (restore it: git sprite restore\(named) \(id))"
                ])
        }
    }

    /// Fetches the sprite's work, takes a checkpoint, records it against the work tree.
    static func take(_ work: SpriteWork, api: any SpritesService, comment: String) throws -> (String, ObjectID?) {
        try take(
            work.name, homecoming: work.homecoming, plan: work.plan, context: work.context, api: api, comment: comment)
    }

    /// The same for a caller that has its own homecoming (`down`); without a plan (a sprite
    /// of another repository) the checkpoint is taken but recorded against no commit.
    static func take(
        _ name: String, homecoming: Homecoming, plan: WorkspacePlan?, context: Context,
        api: any SpritesService, comment: String
    ) throws -> (String, ObjectID?) {
        let report = plan.map { homecoming.bringHome($0) }
        if let report, report.failures > 0 {
            context.terminal.warn(
                "the sprite's work could not all be fetched; the checkpoint is not recorded against a commit")
        }
        let id = try api.createCheckpoint(name, comment: comment)
        guard let plan, report?.failures == 0,
            let commit = SpriteWork.resolve(Homecoming.worktreeRef(name), in: plan.primary.localPath)
        else { return (id, nil) }
        try LocalGit(directory: plan.primary.localPath, environment: context.environment)
            .check(
                ["update-ref", "-m", "git sprite checkpoint " + id, ref(name, id), commit.hex],
                what: "recording the checkpoint")
        return (id, commit)
    }

    /// The sprite's checkpoints, newest first, with the commits recorded here.
    public static func list(_ context: Context, sprite argument: String?) throws -> [Row] {
        let target = try SpriteTarget(context, sprite: argument)
        let checkpoints = try target.connection.perform { api -> [Checkpoint] in
            _ = try target.existing(api, context: context)
            return try api.listCheckpoints(target.name)
        }
        let directory = target.repository?.workdir
        return checkpoints.map { c in
            var row = Row(
                id: ServerText.oneLine(c.id), created: ServerText.oneLine(c.createTime),
                comment: ServerText.oneLine(c.comment ?? ""))
            if let directory, let recorded = recorded(ref(target.name, c.id), in: directory, context: context) {
                (row.commit, row.subject, row.uncommitted) = (recorded.commit, recorded.subject, recorded.uncommitted)
                row.worktree = recorded.uncommitted ? recorded.worktree : nil
            }
            return row
        }
    }

    /// " at a1b2c3d" (" with uncommitted changes"), for messages.
    static func describe(_ sprite: String, _ id: String, _ plan: WorkspacePlan?, _ context: Context) -> String {
        describe(plan.flatMap { recorded(ref(sprite, id), in: $0.primary.localPath, context: context) })
    }

    /// The same, from what `recorded` already read.
    static func describe(_ r: (commit: String, subject: String, uncommitted: Bool, worktree: String)?) -> String {
        guard let r else { return "" }
        return " at \(r.commit.prefix(7))" + (r.uncommitted ? " with uncommitted changes" : "")
    }

    /// What a checkpoint ref records: the sprite's HEAD and, when the ref is a commit of its
    /// uncommitted changes (`InSpriteScript.inventory`), that it had some.
    static func recorded(
        _ ref: String, in directory: String, context: Context
    )
        -> (commit: String, subject: String, uncommitted: Bool, worktree: String)?
    {
        let git = LocalGit(directory: directory, environment: context.environment)
        func show(_ rev: String) -> [String]? {
            (try? git.check(
                ["show", "-s", "--format=%H%x00%P%x00%ae%x00%s", rev, "--"], what: "reading the checkpoint"))
                .map { $0.components(separatedBy: "\0") }
        }
        guard let top = show(ref), top.count == 4 else { return nil }
        if top[2] == "git-sprite@sprite.invalid", top[3] == "uncommitted changes in the sprite",
            let parent = top[1].split(separator: " ").first, let head = show(String(parent)), head.count == 4
        {
            return (head[0], head[3], true, top[0])
        }
        return (top[0], top[3], false, top[0])
    }

    /// Restores a checkpoint (the newest when `id` is nil). Refuses while the sprite holds work
    /// that is not home, unless `force`; first takes a checkpoint of the present state, so the
    /// restore can itself be undone.
    public static func restore(
        _ context: Context, sprite argument: String?, id wanted: String?, force: Bool
    ) throws -> Outcome {
        let work = try SpriteWork(context, sprite: argument, command: "restore")
        let named = SpriteTarget.hintOperand(argument, resolved: work.name)
        return try work.target.connection.perform { api in
            let checkpoints = try api.listCheckpoints(work.name)
            guard let id = wanted ?? checkpoints.first?.id else {
                throw SpriteError("\(work.name) has no checkpoints", hints: ["take one: git sprite checkpoint\(named)"])
            }
            guard checkpoints.contains(where: { $0.id == id }) else {
                throw SpriteError(
                    "\(work.name) has no checkpoint '\(ServerText.oneLine(id))'",
                    hints: ["list them: git sprite checkpoint\(named) --list"])
            }
            var report = work.homecoming.bringHome(work.plan)
            // (a repository no longer linked would be put back as the checkpoint had it, and its
            // work since kept only in the checkpoint of the present state, which goes with the sprite)
            work.homecoming.unreachedRepositories(of: work.plan, into: &report)
            if !report.atRisk.isEmpty && !force {
                throw SpriteError(
                    "not restoring \(id): \(work.name) holds work that is not on your machine, and the "
                        + "restore would put it out of reach",
                    hints: report.atRisk + [
                        "take it home first (git sprite apply, or commit it in the sprite "
                            + "and git sprite fetch), or restore anyway: git sprite restore\(named) \(id) --force "
                            + "(a checkpoint of the present state is taken first)"
                    ])
            }
            let (undo, _) = try take(work, api: api, comment: "before restoring \(id)")
            try api.restoreCheckpoint(work.name, id: id)
            // what the sprite has now, for diff, log and status
            let after = work.homecoming.bringHome(work.plan)
            let recorded = recorded(ref(work.name, id), in: work.plan.primary.localPath, context: work.context)
            var notes = ["restored \(work.name) to checkpoint \(id)" + describe(recorded)]
            notes.append("the state before is checkpoint \(undo); undo with: git sprite restore\(named) \(undo)")
            if after.failures > 0 { notes += after.atRisk.map { "note: " + $0 } }
            return Outcome(
                sprite: work.name, checkpoint: id, commit: recorded?.commit,
                uncommitted: recorded?.uncommitted ?? false,
                undo: undo, notes: notes)
        }
    }
}
