import Foundation
import SpriteGit
import SpritesAPI

/// A ref here that a fetch from a sprite moved (`fetch`, `down` and `apply` report them in
/// `--json`).
public struct RefUpdate: Codable, Sendable, Equatable {
    /// The repository here, by its work tree (this one, a linked repo, or a submodule).
    public let repository: String
    /// The full ref name here (`refs/remotes/sprite/<sprite>/main`).
    public let ref: String
    /// Its value before (null: new).
    public let old: String?
    public let new: String
}

/// Brings a sprite's work home: for the workspace, each linked repo and every checked-out
/// submodule at any depth, it counts what the sprite holds (`InSpriteScript.inventory`),
/// fetches all committed work into refs that belong to that sprite alone, and lists what
/// could not come home. The layout, in each local repository (docs/sprite-refs.md):
///
/// - `refs/remotes/sprite/<sprite>/<branch>`: the sprite's branches (`git branch -r`,
///   `git log sprite/<sprite>/main`); `…/HEAD` for a detached HEAD;
/// - `refs/sprite/<sprite>/stash/<n>`: its stash entries, 0 the newest;
/// - `refs/sprite/<sprite>/tags/<tag>`: tags it made that you do not have;
/// - `refs/sprite/<sprite>/head`: its HEAD; `refs/sprite/<sprite>/worktree`: its work tree as it
///   was (HEAD, or a commit of its uncommitted changes on top), what `diff` and `apply` read;
/// - `refs/sprite/<sprite>/shipped`: what `up` last shipped (written by `up`).
///
/// Uncommitted changes travel only as that `worktree` commit: they stay what `down --destroy`
/// refuses over (until `apply` took them into your work tree), and what a forced destroy saves
/// in a salvage bundle.
struct Homecoming {
    let context: Context
    let shipper: Shipper
    var sprite: String { shipper.sprite }
    var api: any SpritesService { shipper.api }

    /// What one pass found.
    struct Report {
        var notes: [String] = []
        /// The refs that moved, as `git fetch` prints them (`   a1b2c3d..d4e5f6a  sprite/s/main`).
        var moved: [String] = []
        /// The same, for `--json`.
        var updates: [RefUpdate] = []
        /// What would be lost with the sprite, one line each.
        var atRisk: [String] = []
        /// Repositories in the sprite that hold something not at home.
        var unsafe: [String] = []
        /// What did not come home because a look or a fetch failed, one line each (also in
        /// `atRisk`): a parked sprite still holds it, but the user must hear of it.
        var failed: [String] = []
        /// One line per branch that brought commits you did not have.
        var fetched: [String] = []

        mutating func fail(_ line: String) {
            atRisk.append(line)
            failed.append(line)
        }

        /// Repositories that could not be looked at or fetched from.
        var failures: Int { failed.count }

        mutating func merge(_ other: Report) {
            for note in other.notes where !notes.contains(note) { notes.append(note) }
            fetched += other.fetched
            moved += other.moved
            updates += other.updates
            failed = other.failed
            atRisk = other.atRisk
            unsafe = other.unsafe
        }
    }

    static func branchRefs(_ sprite: String) -> String { "refs/remotes/sprite/\(sprite)/" }
    static func spriteRefs(_ sprite: String) -> String { "refs/sprite/\(sprite)/" }
    static func shippedRef(_ sprite: String) -> String { spriteRefs(sprite) + "shipped" }
    static func headRef(_ sprite: String) -> String { spriteRefs(sprite) + "head" }
    static func worktreeRef(_ sprite: String) -> String { spriteRefs(sprite) + "worktree" }

    /// One pass over every repository of the plan.
    func bringHome(_ plan: WorkspacePlan) -> Report {
        var report = Report()
        for repo in [plan.primary] + plan.linked {
            let label = repo.label
            do {
                try bringHome(repo, label: label, into: &report)
            } catch {
                let why = (error as? SpriteError)?.message ?? "\(error)"
                report.fail("\(label): the sprite's work could not be looked at: \(why)")
                report.unsafe.append(repo.spritePath)
            }
        }
        return report
    }

    /// One repository of the plan and its checked-out submodules at any depth.
    func bringHome(_ repo: RepoPlan, label: String, into report: inout Report) throws {
        let out = ScriptOutput(
            try shipper.remoteRun(
                InSpriteScript.inventory, [repo.spritePath],
                what: "looking at the work in \(repo.spritePath)"))
        guard out["state"] == "exists" else { return }
        for section in out.sections(startingAt: "repo") {
            let sub = section["repo"] ?? "."
            let top = sub == "."
            let where_ = top ? label : "\(label), submodule \(sub)"
            let spriteDir = top ? repo.spritePath : repo.spritePath + "/" + sub
            let localDir = top ? repo.localPath : repo.localPath + "/" + sub
            let risks = report.atRisk.count
            defer { if report.atRisk.count > risks { report.unsafe.append(spriteDir) } }
            // what a fetch cannot bring: it blocks a destroy, and a forced one saves it
            for risk in section.all("risk") { report.atRisk.append("\(where_): \(risk)") }
            for nested in section.all("nested") { report.unsafe.append(spriteDir + "/" + nested) }
            switch section["uncommitted"] {
            case nil, "shipped", "home": break
            case "unreadable":
                report.atRisk.append(
                    "\(where_): the uncommitted changes in \(spriteDir) could not be read "
                        + "(is a git command still running there?)")
            default:
                let files = Int(section["theirs"] ?? "").map { " (\(Self.count($0, "file")) of its own)" } ?? ""
                report.atRisk.append("\(where_): uncommitted changes in \(spriteDir)\(files)")
            }
            guard top || FileManager.default.fileExists(atPath: localDir + "/.git") else {
                // nowhere here to fetch into
                let commits = Int(section["unpushed"] ?? "") ?? 0
                let stashes = Int(section["stashes"] ?? "") ?? 0
                if commits > 0 || stashes > 0 {
                    report.atRisk.append(
                        "\(where_): \(Self.count(commits, "commit")) its remote lacks and "
                            + "\(Self.count(stashes, "stash entry", "stash entries")), and it is not checked "
                            + "out here (check it out: git submodule update --init -- \(sub))")
                }
                continue
            }
            do {
                try fetch(section, from: spriteDir, into: localDir, label: where_, into: &report)
            } catch {
                let why = (error as? SpriteError)?.message ?? "\(error)"
                report.fail("\(where_): its commits could not be fetched: \(why)")
            }
        }
    }

    /// Fetches one repository's committed work; says what moved and what is new in `report`.
    ///
    /// Home refs only move forward: a fetch never leaves an object unreachable at home. A ref
    /// that would move to a value that does not contain its old one, or that is in the way of
    /// a new one (`foo` at home, `foo/bar` in the sprite), keeps its old value under
    /// `refs/sprite/<sprite>/superseded/<time>/…` whenever no other ref reaches it; every
    /// update is also in a reflog (docs/sprite-refs.md).
    private func fetch(
        _ section: ScriptOutput, from spriteDir: String, into localDir: String, label: String,
        into report: inout Report
    ) throws {
        let local = try Repository.open(at: localDir)
        let branches = Self.branchRefs(sprite), own = Self.spriteRefs(sprite)
        let git = LocalGit(directory: localDir, environment: shipper.gitEnvironment)
        // where each thing of the sprite's goes: (ref in the sprite, ref here)
        var wanted: [(source: String, destination: String)] = section.all("heads").map {
            ("refs/heads/" + $0, branches + $0)
        }
        if section["head"] != nil { wanted.append(("HEAD", Self.headRef(sprite))) }
        if section["worktree"] != nil { wanted.append(("refs/git-sprite/worktree", Self.worktreeRef(sprite))) }
        // commits made on a detached HEAD are on no branch: they come home as sprite/<sprite>/HEAD
        if section["branch"] == nil && section["head"] != nil { wanted.append(("HEAD", branches + "HEAD")) }
        let stashes = Int(section["stashes"] ?? "") ?? 0
        for i in 0..<max(0, stashes) { wanted.append(("refs/git-sprite/stash/\(i)", own + "stash/\(i)")) }
        var newTags: [String] = []
        for line in section.all("tag") {
            let parts = line.split(separator: " ", maxSplits: 1).map(String.init)
            guard parts.count == 2, try local.resolve(reference: "refs/tags/" + parts[0])?.hex != parts[1] else {
                continue
            }
            newTags.append(parts[0])
            wanted.append(("refs/tags/" + parts[0], own + "tags/" + parts[0]))
        }
        for line in section.all("fetch") {
            let parts = line.split(separator: " ", maxSplits: 1).map(String.init)
            guard parts.count == 2, Self.safeRefPart(parts[1]) else { continue }
            // (a discarded commit you have here, your own history that up shipped once, stays out)
            if parts[1].hasPrefix("discarded/"),
                local.hasObject(ObjectID(hex: String(parts[1].dropFirst("discarded/".count))))
            {
                continue
            }
            wanted.append((parts[0], own + parts[1]))
        }
        // (nothing to fetch: a work tree whose .git is gone, said as a risk)
        guard !wanted.isEmpty else { return }
        let destinations = Set(wanted.map(\.destination))

        // the refs of this sprite here, as they are now
        let kept = own + "superseded/"
        let before = Dictionary(
            try (local.references(matching: branches + "*") + local.references(matching: own + "*"))
                .filter { !$0.name.hasPrefix(kept) && $0.name != Self.shippedRef(sprite) }
                .map { ($0.name, $0.target) }, uniquingKeysWith: { a, _ in a })
        let stamp = Self.stamp(context.clock.now())
        // where an old value is kept: a name no kept ref has yet (two fetches may share a second)
        func keep(_ ref: String, _ old: ObjectID, why: String) throws -> String {
            let rel =
                ref.hasPrefix(branches) ? "branches/" + ref.dropFirst(branches.count) : String(ref.dropFirst(own.count))
            var name = kept + stamp + "/" + rel
            var n = 1
            while let there = try local.resolve(reference: name), there != old {
                n += 1
                name = kept + stamp + "-\(n)/" + rel
            }
            try git.check(
                ["-c", "core.logAllRefUpdates=always", "update-ref", "-m", "git sprite: " + why, name, old.hex],
                what: "keeping the old \(ref)")
            return name
        }
        var superseded: [(ref: String, old: ObjectID)] = []
        // a ref in the way of a new one (a directory of refs against a ref) moves aside first
        for (ref, old) in before.sorted(by: { $0.key < $1.key })
        where !destinations.contains(ref)
            && destinations.contains(where: { $0.hasPrefix(ref + "/") || ref.hasPrefix($0 + "/") })
        {
            let name = try keep(ref, old, why: "moved aside for the sprite's new refs")
            try git.check(["update-ref", "-d", ref, old.hex], what: "moving \(ref) aside")
            report.notes.append(
                "\(label): \(Self.shortName(ref)) was in the way of the sprite's new refs; its "
                    + "\(old.short) is kept as \(name)")
        }

        for ref in StaleRefLocks.remove(destinations.sorted(), commonDir: local.commonDir) {
            report.notes.append("\(label): removed a lock a stopped git had left on \(ref)")
        }
        let refspecs = wanted.map { "+\($0.source):\($0.destination)" }
        var attempt = 0
        while true {
            attempt += 1
            let r = try git.run(
                [
                    // (submodules are fetched each from its own repository in the sprite: git's
                    // own on-demand fetch would ask their remotes here for commits only the sprite has)
                    "-c", "core.logAllRefUpdates=always", "fetch", "-q", "--no-tags", "--no-write-fetch-head",
                    "--recurse-submodules=no",
                    shipper.remote(spriteDir),
                ] + refspecs)
            if r.status == 0 { break }
            // one more try: a dropped connection, a sprite that was still waking
            if attempt < 2 {
                context.clock.sleep(1)
                continue
            }
            throw SpriteError(
                "fetching from \(spriteDir) failed twice (git said: \(LocalGit.reason(r.stderr))); run "
                    + "git sprite fetch again, or save everything in a bundle: git sprite down --destroy --force",
                detail: r.stderr)
        }

        // what moved to a value that does not contain the old one, and that nothing else here reaches
        let after = Dictionary(
            try (local.references(matching: branches + "*") + local.references(matching: own + "*"))
                .filter { !$0.name.hasPrefix(kept) }.map { ($0.name, $0.target) }, uniquingKeysWith: { a, _ in a })
        for (ref, old) in before.sorted(by: { $0.key < $1.key }) where destinations.contains(ref) && after[ref] != old {
            // views of the sprite's state as last fetched (its HEAD, its uncommitted changes)
            // simply follow it; what they showed before was never work of its own
            if Self.isView(ref, own: own) { continue }
            if try Self.reachable(old, in: git) { continue }
            superseded.append((ref, old))
        }
        for (ref, old) in superseded {
            let name = try keep(ref, old, why: "superseded by the sprite")
            report.notes.append(
                "\(label): \(Self.shortName(ref)) moved to a value that does not contain its old "
                    + "\(old.short), which is kept as \(name)")
        }

        var notes: [String] = []
        let prefix = label == RepoPlan.primaryLabel ? "" : " (\(label))"
        let moving = (try local.references(matching: branches + "*") + local.references(matching: own + "tags/*"))
            .map { ($0.name, $0.target) }
        for (ref, commit) in moving.sorted(by: { $0.0 < $1.0 }) where before[ref] != commit {
            let range = before[ref].map { "\($0.short)..\(commit.short)" } ?? "* [new]"
            report.updates.append(RefUpdate(repository: localDir, ref: ref, old: before[ref]?.hex, new: commit.hex))
            report.moved.append(
                "   " + range.padding(toLength: max(range.count, 17), withPad: " ", startingAt: 0) + "  "
                    + Self.shortName(ref) + prefix)
        }
        let home =
            try local.references(matching: "refs/heads/*").map(\.target)
            + local.references(matching: "refs/tags/*").map(\.target)
        for (ref, commit) in try local.references(matching: branches + "*") where before[ref] != commit {
            // only what is new to you is worth a line
            // (a history that ends where a shallow clone began cannot be counted: no line then)
            guard let count = try? local.countCommits(from: commit, hiding: [], hidingCommits: home), count > 0 else {
                continue
            }
            report.fetched.append(
                "\(label): fetched \(ref.dropFirst("refs/remotes/".count)), \(Self.count(count, "commit")) "
                    + "you do not have (\(commit.hex.prefix(12)))")
        }
        if stashes > 0 {
            notes.append(
                "\(label): \(Self.count(stashes, "stash entry", "stash entries")) came home as \(own)stash/0"
                    + (stashes > 1 ? "…\(stashes - 1)" : "") + " (apply one: git stash apply \(own)stash/0)")
        }
        for tag in newTags { notes.append("\(label): tag \(tag) came home as \(own)tags/\(tag)") }
        let discarded = destinations.filter { $0.hasPrefix(own + "discarded/") && before[$0] == nil }.count
        if discarded > 0 {
            notes.append(
                "\(label): the sprite's reflogs held commits none of its refs has (amended, reset or rebased "
                    + "away); \(Self.count(discarded, "line")) of them came home as \(own)discarded/<newest commit> "
                    + "(see them: git log --oneline --glob='\(own)discarded/*')")
        }
        // a remote of yours named `sprite` shares refs/remotes/sprite/ with the sprite's branches:
        // `git fetch --prune sprite` or `git remote remove sprite` would delete them
        if try local.remoteNames().contains("sprite") {
            notes.append(
                "\(label): your remote named sprite shares refs/remotes/sprite/ with the sprite's branches, "
                    + "which git fetch --prune sprite or git remote remove sprite would delete "
                    + "(rename it: git remote rename sprite OTHER)")
        }
        if let included = section["included"] {
            notes.append(
                "\(label): the sprite changed \(Self.count(Int(included) ?? 0, "file")) named by .spriteinclude; "
                    + "they came home as \(own)included (see them: git diff --stat \(Self.shippedRef(sprite)) "
                    + "\(own)included; take one: git show \(own)included:PATH > PATH)")
        }
        for note in notes where !report.notes.contains(note) { report.notes.append(note) }
    }
}
