import Foundation
import SpriteGit
import SpritesAPI

/// `git sprite down`: stop the agent, bring the sprite's commits home, then park the sprite
/// or destroy it. Destroying never loses work silently: it is refused while the sprite holds
/// uncommitted changes, or commits that could not be fetched, unless `--force`.
public enum DownWorkflow {
    public static func run(_ context: Context, sprite argument: String?, destroy: Bool, force: Bool) throws -> [String] {
        let target = try SpriteTarget(context, sprite: argument)
        let (repo, settings, name) = (target.repository, target.settings, target.name)
        let destroying = destroy || settings.autoDestroy
        return try target.connection.perform { api in
            guard let sprite = try api.getSprite(name) else { throw target.missing }
            let builder = repo.map { PlanBuilder(context: context, repository: $0, settings: settings) }
            let ours = builder.map { SpriteLabels.belongs(sprite.labels, to: $0.repositoryID()) } ?? false
            // whose sprite it is is known before anything of it is touched
            if destroying && !ours && !force {
                throw SpriteError("not destroying \(name): it holds work that is not on your machine",
                                  hints: ["\(name) was not made by this repository, so its commits cannot be fetched from here",
                                          "or destroy it anyway: git sprite down --destroy --force"])
            }
            // then the agent stops, so it adds nothing between the look and the end
            try Agent.stop(api, sprite: name)
            var notes: [String] = []
            var atRisk: [String] = []
            if let builder, ours {
                do {
                    let plan = try builder.build()
                    let shipper = Shipper(context: context, connection: target.connection, sprite: name,
                                          settings: settings, noChanges: true)
                    for repoPlan in [plan.primary] + plan.linked {
                        try bringHome(repoPlan, shipper: shipper, notes: &notes, atRisk: &atRisk)
                    }
                } catch where error is GitError || (error as? SpriteError)?.status == .failure {
                    // a linked repo gone from this machine must not keep the agent running
                    let why = (error as? SpriteError)?.message ?? "\(error)"
                    context.terminal.warn("nothing was fetched from the sprite: \(why)")
                    atRisk.append("the sprite's commits could not be fetched: \(why)")
                }
            } else if destroying {
                atRisk.append("\(name) was not made by this repository, so its commits cannot be fetched from here")
            }
            guard destroying else {
                return notes + ["stopped the agent; \(name) is parked and hibernates when idle "
                                + "(delete it: git sprite down --destroy)"]
            }
            if !atRisk.isEmpty && !force {
                throw SpriteError("not destroying \(name): it holds work that is not on your machine",
                                  hints: atRisk + [
                                    "commit it in the sprite (git sprite exec -- git commit -am wip) and run this "
                                        + "again: commits are fetched home first",
                                    "or destroy it anyway: git sprite down --destroy --force",
                                  ])
            }
            try api.deleteSprite(name)
            if let repo, let branch = try? repo.head().branchName {
                try? repo.unsetLocalConfig("branch.\(branch).sprite")
            }
            return notes + ["destroyed \(name)"]
        }
    }

    /// Fetches every branch of the sprite's copy (and a detached HEAD) into
    /// `refs/remotes/sprite/*`, and records what would be lost with the sprite: uncommitted
    /// changes that are not the snapshot `up` brought, or commits that could not be fetched.
    static func bringHome(_ plan: RepoPlan, shipper: Shipper, notes: inout [String], atRisk: inout [String]) throws {
        let label = plan.mount.map { "linked repo '\($0)'" } ?? "this repository"
        let state = try shipper.probe(plan.spritePath)
        guard state.exists else { return }
        let git = LocalGit(directory: plan.localPath, environment: shipper.gitEnvironment)
        let before = remoteRefs(git)
        var refspecs = ["+refs/heads/*:refs/remotes/sprite/*"]
        // commits made on a detached HEAD are on no branch: they come home as sprite/detached
        if state.branch == nil && state.head != nil { refspecs.append("+HEAD:refs/remotes/sprite/detached") }
        let fetch = try git.run(["fetch", "-q", shipper.remote(plan.spritePath)] + refspecs)
        if fetch.status != 0 {
            atRisk.append("\(label): its commits could not be fetched: \(LocalGit.reason(fetch.stderr))")
        } else {
            for (ref, commit) in remoteRefs(git).sorted(by: { $0.key < $1.key }) where before[ref] != commit {
                // only what is new to you is worth a line
                let count = Int((try? git.run(["rev-list", "--count", commit, "--not", "HEAD"]))?.stdout ?? "") ?? 0
                guard count > 0 else { continue }
                notes.append("\(label): fetched \(ref.dropFirst("refs/remotes/".count)), \(count) commit"
                             + "\(count == 1 ? "" : "s") you do not have (\(commit.prefix(12)))")
            }
        }
        if let dirty = state.dirtyTree, dirty != state.shippedSnapshot {
            atRisk.append("\(label): uncommitted changes in \(plan.spritePath)")
        }
    }

    static func remoteRefs(_ git: LocalGit) -> [String: String] {
        let out = (try? git.run(["for-each-ref", "--format=%(refname) %(objectname)", "refs/remotes/sprite/"]))?.stdout ?? ""
        var refs: [String: String] = [:]
        for line in out.split(separator: "\n") {
            let parts = line.split(separator: " ")
            if parts.count == 2 { refs[String(parts[0])] = String(parts[1]) }
        }
        return refs
    }
}
