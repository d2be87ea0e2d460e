import Foundation
import SpriteGit

/// `git sprite apply`: brings the sprite's uncommitted changes into the local work tree, in
/// each repository of the plan. Refuses, changing nothing anywhere, when a file they touch
/// has local changes or they do not apply to the files here (the sprite's commits not merged
/// yet). Afterwards the sprite knows those changes are home: `down --destroy` no longer
/// refuses over them, and the next `up` may replace them.
public enum ApplyWorkflow {
    /// What `apply` did; `apply --json` prints it.
    public struct Outcome: ActionOutput, Codable {
        /// The changes of one repository, in your work tree now.
        public struct Applied: Sendable, Codable {
            /// The repository here, by its work tree.
            public let repository: String
            public let files: [String]
            /// They were here already (an earlier apply); nothing was changed.
            public let alreadyHere: Bool
        }

        public let sprite: String
        /// The refs here that the fetch before it moved.
        public var updates: [RefUpdate] = []
        public var applied: [Applied] = []
        public var notes: [String] = []
    }

    public static func run(_ context: Context, sprite argument: String?) throws -> Outcome {
        let work = try SpriteWork(context, sprite: argument, command: "apply")
        let report = try work.fetch()
        if report.failures > 0 { throw SpriteError("the sprite's work could not be fetched", hints: report.atRisk) }
        let name = work.name
        struct Patch {
            let repo: RepoPlan
            let file: String
            let tree: String
            let files: [String]
            let done: Bool
        }
        var patches: [Patch] = []
        defer { for p in patches { TemporaryFiles.remove(p.file) } }
        var problems: [String] = []
        for repo in work.repositories {
            let git = LocalGit(directory: repo.localPath, environment: context.environment)
            let (head, worktree) = (Homecoming.headRef(name), Homecoming.worktreeRef(name))
            guard SpriteWork.resolve(worktree, in: repo.localPath) != nil,
                let headCommit = SpriteWork.resolve(head, in: repo.localPath)
            else { continue }
            // the sprite's own changes: against what `up` shipped when that is where the sprite's
            // HEAD still is (your uncommitted changes, shipped on it, are yours already: against
            // HEAD they were applied again, and refused over your own edits; a review)
            let shipped = Homecoming.shippedRef(name)
            let onHead = try SpriteWork.resolve(shipped, in: repo.localPath).map { at in
                try at == headCommit
                    || git.run(["rev-parse", "-q", "--verify", "--end-of-options", shipped + "^1"]).stdout
                        == headCommit.hex
            }
            let base = onHead == true ? shipped : head
            let files = try git.check(
                ["diff", "--no-ext-diff", "--name-only", "-z", base, worktree, "--"],
                what: "listing the sprite's changes"
            )
            .split(separator: "\0").map(String.init)
            guard !files.isEmpty else { continue }
            let file = TemporaryFiles.make("git-sprite-apply-", suffix: ".patch")
            let diff = try git.run(
                ["diff", "--no-ext-diff", "--no-color", "--binary", base, worktree, "--"], trimming: false)
            guard diff.status == 0,
                TemporaryFiles.writePrivately(Data(diff.stdout.utf8), to: file)
            else {
                TemporaryFiles.remove(file)
                throw SpriteError("could not write the sprite's changes to a patch: \(LocalGit.reason(diff.stderr))")
            }
            let tree = try git.check(["rev-parse", worktree + "^{tree}"], what: "reading the sprite's work tree")
            // exactly these changes are here already (an earlier apply): nothing to do but say so
            let done = try Self.alreadyHere(files, as: worktree, git: git)
            patches.append(Patch(repo: repo, file: file, tree: tree, files: files, done: done))
            if done { continue }
            let pathspecs = files.map { ":(literal)" + $0 }
            // your changes since: against what `up` shipped, or HEAD
            let touched =
                base == shipped
                ? try Self.differing(files, from: shipped, git: git)
                : try
                    (git.check(
                        ["diff", "HEAD", "--name-only", "-z", "--"] + pathspecs, what: "looking at your changes")
                    + "\0"
                    + git.check(
                        ["ls-files", "--others", "--exclude-standard", "-z", "--"] + pathspecs,
                        what: "looking at your changes")).split(separator: "\0").map(String.init)
            if !touched.isEmpty {
                problems.append(
                    "\(repo.label): you have local changes in \(touched.joined(separator: ", ")), which the "
                        + "sprite's changes also touch")
                continue
            }
            let check = try git.run(["apply", "--check", file])
            if check.status != 0 {
                problems.append(
                    "\(repo.label): the sprite's changes do not apply to your files (\(LocalGit.reason(check.stderr))); "
                        + "bring its commits first: git merge sprite/\(name)/<branch>")
            }
        }
        guard problems.isEmpty else {
            throw SpriteError(
                "not applying the sprite's uncommitted changes: nothing was changed",
                hints: problems + ["see them: git sprite diff \(name)"])
        }
        var outcome = Outcome(sprite: name, updates: report.updates)
        guard !patches.isEmpty else {
            outcome.notes = ["the sprite has no uncommitted changes"]
            return outcome
        }
        var notes: [String] = []
        for p in patches {
            if p.done {
                notes.append("\(p.repo.label): the sprite's uncommitted changes are already in your work tree")
            } else {
                try LocalGit(directory: p.repo.localPath, environment: context.environment)
                    .check(["apply", p.file], what: "applying the sprite's changes in \(p.repo.label)")
                notes.append(
                    "\(p.repo.label): applied the sprite's changes to \(Homecoming.count(p.files.count, "file")): "
                        + p.files.joined(separator: ", "))
            }
            // the sprite learns that exactly this state of its work tree is home now
            _ = try work.target.connection.perform { _ in
                try work.homecoming.shipper.remoteRun(
                    ["git", "-C", p.repo.spritePath, "config", "gitsprite.applied", p.tree],
                    what: "recording what came home")
            }
            outcome.applied.append(.init(repository: p.repo.localPath, files: p.files, alreadyHere: p.done))
        }
        outcome.notes = notes
        return outcome
    }
    /// Whether every path of `files` is here exactly as `commit` has it: content, mode and
    /// symlink-ness, whether staged or not. Read through a temporary index (a copy of yours,
    /// with the work tree added), so your own index is never touched; `git apply -R --check`
    /// would take a file whose mode differs for one that is the same.
    static func alreadyHere(_ files: [String], as commit: String, git: LocalGit) throws -> Bool {
        try differing(files, from: commit, git: git).isEmpty
    }

    /// The paths of `files` that are not here as `commit` has them (read as `alreadyHere` reads).
    static func differing(_ files: [String], from commit: String, git: LocalGit) throws -> [String] {
        let index = TemporaryFiles.make("git-sprite-index-")
        defer { TemporaryFiles.remove(index) }
        let own = try git.check(
            ["rev-parse", "--path-format=absolute", "--git-path", "index"], what: "finding your index")
        if FileManager.default.fileExists(atPath: own) { try FileManager.default.copyItem(atPath: own, toPath: index) }
        let env = ["GIT_INDEX_FILE": index]
        try git.check(["add", "-A", "--", "."], what: "reading your work tree", extraEnvironment: env)
        return try git.check(
            ["diff-index", "--cached", "--name-only", "-z", commit, "--"] + files.map { ":(literal)" + $0 },
            what: "comparing your work tree", extraEnvironment: env
        ).split(separator: "\0").map(String.init)
    }
}
