import Foundation
import SpriteGit
import SpritesAPI

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
        /// What would be lost with the sprite, one line each.
        var atRisk: [String] = []
        /// Repositories in the sprite that hold something not at home.
        var unsafe: [String] = []
        /// Repositories that could not be looked at or fetched from.
        var failures = 0
        /// One line per branch that brought commits you did not have.
        var fetched: [String] = []

        mutating func merge(_ other: Report) {
            for note in other.notes where !notes.contains(note) { notes.append(note) }
            fetched += other.fetched
            moved += other.moved
            failures = other.failures
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
                report.atRisk.append("\(label): the sprite's work could not be looked at: \(why)")
                report.failures += 1
                report.unsafe.append(repo.spritePath)
            }
        }
        return report
    }

    private func bringHome(_ repo: RepoPlan, label: String, into report: inout Report) throws {
        let out = ScriptOutput(try shipper.remoteRun(InSpriteScript.inventory.argv([repo.spritePath]),
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
            switch section["uncommitted"] {
            case nil, "shipped", "home": break
            case "unreadable":
                report.atRisk.append("\(where_): the uncommitted changes in \(spriteDir) could not be read "
                                     + "(is a git command still running there?)")
            default: report.atRisk.append("\(where_): uncommitted changes in \(spriteDir)")
            }
            guard top || FileManager.default.fileExists(atPath: localDir + "/.git") else {
                // nowhere here to fetch into
                let commits = Int(section["unpushed"] ?? "") ?? 0
                let stashes = Int(section["stashes"] ?? "") ?? 0
                if commits > 0 || stashes > 0 {
                    report.atRisk.append("\(where_): \(Self.count(commits, "commit")) its remote lacks and "
                                         + "\(Self.count(stashes, "stash entry", "stash entries")), and it is not checked "
                                         + "out here (check it out: git submodule update --init -- \(sub))")
                }
                continue
            }
            do {
                try fetch(section, from: spriteDir, into: localDir, label: where_, into: &report)
            } catch {
                let why = (error as? SpriteError)?.message ?? "\(error)"
                report.atRisk.append("\(where_): its commits could not be fetched: \(why)")
                report.failures += 1
            }
        }
    }

    /// Fetches one repository's committed work; says what moved and what is new in `report`.
    private func fetch(_ section: ScriptOutput, from spriteDir: String, into localDir: String, label: String,
                       into report: inout Report) throws {
        let local = try Repository.open(at: localDir)
        let branches = Self.branchRefs(sprite), own = Self.spriteRefs(sprite)
        func sprites() throws -> [String: ObjectID] {
            Dictionary(try (local.references(matching: branches + "*") + local.references(matching: own + "tags/*"))
                .map { ($0.name, $0.target) }, uniquingKeysWith: { a, _ in a })
        }
        let before = try sprites()
        var refspecs = ["+refs/heads/*:\(branches)*"]
        if section["head"] != nil { refspecs.append("+HEAD:\(Self.headRef(sprite))") }
        if section["worktree"] != nil { refspecs.append("+refs/git-sprite/worktree:\(Self.worktreeRef(sprite))") }
        // commits made on a detached HEAD are on no branch: they come home as sprite/<sprite>/HEAD
        if section["branch"] == nil && section["head"] != nil { refspecs.append("+HEAD:\(branches)HEAD") }
        let stashes = Int(section["stashes"] ?? "") ?? 0
        if stashes > 0 { refspecs.append("+refs/git-sprite/stash/*:\(own)stash/*") }
        var newTags: [String] = []
        for line in section.all("tag") {
            let parts = line.split(separator: " ", maxSplits: 1).map(String.init)
            guard parts.count == 2, try local.resolve(reference: "refs/tags/" + parts[0])?.hex != parts[1] else { continue }
            newTags.append(parts[0])
            refspecs.append("+refs/tags/\(parts[0]):\(own)tags/\(parts[0])")
        }
        let git = LocalGit(directory: localDir, environment: shipper.gitEnvironment)
        let r = try git.run(["fetch", "-q", "--no-tags", "--no-write-fetch-head", shipper.remote(spriteDir)] + refspecs)
        guard r.status == 0 else { throw SpriteError(LocalGit.reason(r.stderr)) }

        var notes: [String] = []
        let after = try sprites()
        let prefix = label == RepoPlan.primaryLabel ? "" : " (\(label))"
        for (ref, commit) in after.sorted(by: { $0.key < $1.key }) where before[ref] != commit {
            let short = ref.hasPrefix("refs/remotes/") ? String(ref.dropFirst("refs/remotes/".count)) : ref
            let range = before[ref].map { "\($0.short)..\(commit.short)" } ?? "* [new]"
            report.moved.append("   " + range.padding(toLength: max(range.count, 17), withPad: " ", startingAt: 0) + "  " + short + prefix)
        }
        let home = try local.references(matching: "refs/heads/*").map(\.target)
            + local.references(matching: "refs/tags/*").map(\.target)
        for (ref, commit) in try local.references(matching: branches + "*") where before[ref] != commit {
            // only what is new to you is worth a line
            let count = try local.countCommits(from: commit, hiding: [], hidingCommits: home)
            guard count > 0 else { continue }
            report.fetched.append("\(label): fetched \(ref.dropFirst("refs/remotes/".count)), \(Self.count(count, "commit")) "
                         + "you do not have (\(commit.hex.prefix(12)))")
        }
        if stashes > 0 {
            notes.append("\(label): \(Self.count(stashes, "stash entry", "stash entries")) came home as \(own)stash/0"
                         + (stashes > 1 ? "…\(stashes - 1)" : "") + " (apply one: git stash apply \(own)stash/0)")
        }
        for tag in newTags { notes.append("\(label): tag \(tag) came home as \(own)tags/\(tag)") }
        for note in notes where !report.notes.contains(note) { report.notes.append(note) }
    }

    /// Writes everything the repositories at `paths` in the sprite hold (all refs, the stash
    /// entries and the uncommitted changes the inventory gave refs) into bundles under
    /// `directory`; returns the bundles' paths.
    func salvage(_ paths: [String], into directory: String) throws -> [String] {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
        var saved: [String] = []
        for path in paths {
            // gives stash entries and uncommitted changes their refs (again, if a pass did)
            _ = try shipper.remoteRun(InSpriteScript.inventory.argv([path]), what: "looking at the work in \(path)")
            let bundle = SpritePaths.state + "/salvage.bundle"
            _ = try shipper.remoteRun(["sh", "-c", #"cd "$1" && git bundle create -q "$2" --all"#, "bundle", path, bundle],
                                      what: "bundling \(path)")
            let data = try api.readFile(sprite, path: bundle)
            let name = path.dropFirst(SpritePaths.home.count + 1).replacingOccurrences(of: "/", with: "-") + ".bundle"
            let local = directory + "/" + name
            guard FileManager.default.createFile(atPath: local, contents: data, attributes: [.posixPermissions: 0o600]) else {
                throw SpriteError("could not write the salvage bundle \(local)")
            }
            saved.append(local)
        }
        return saved
    }

    /// The repositories in the sprite: the workspace and each linked repo that is there.
    func repositoriesInSprite() throws -> [String] {
        let out = try shipper.remoteRun(["sh", "-c", #"for d in "$1" "$2"/*; do [ -e "$d/.git" ] && echo "$d"; done; :"#,
                                         "list", SpritePaths.workspace, SpritePaths.repos],
                                        what: "listing the repositories")
        return out.split(separator: "\n").map(String.init)
    }

    static func count(_ n: Int, _ one: String, _ many: String? = nil) -> String {
        "\(n) \(n == 1 ? one : many ?? one + "s")"
    }
}
