import Foundation
import SpriteGit
import SpritesAPI

/// What `up` does when the sprite has work of its own in the way of what it ships: a push the
/// sprite refuses, uncommitted changes, commits on no branch. It never moves such work out of
/// reach: it brings it home first, or leaves that repository as it is, and says which.
extension Shipper {
    enum PushOutcome {
        case landed
        /// The sprite refused, for a reason that is the user's to settle (the note says how);
        /// with `fetchHome`, once the sprite's work has come home.
        case refused(note: String, fetchHome: Bool = false)
    }

    /// Brings the sprite's work in `repo` home as `git sprite fetch` does (every branch, the
    /// detached HEAD, stash entries and tags, old values kept under `superseded/`), before
    /// `up` leaves something of the sprite's in place; returns what it says, or fails when
    /// something could not come home (nothing was moved in the sprite: a re-run starts over).
    func bringHomeFirst(_ repo: RepoPlan) throws -> [String] {
        var report = Homecoming.Report()
        try Homecoming(context: context, shipper: self).bringHome(repo, label: repo.label, into: &report)
        if let failure = report.failed.first {
            throw SpriteError(
                "fetching the sprite's work failed: \(failure)",
                hints: ["run git sprite up again; git sprite fetch brings the sprite's work home on its own"])
        }
        // what no fetch could bring (a submodule not checked out here, uncommitted changes) is
        // said as `fetch` says it: it stays in the sprite, which `up` left as it was
        return report.notes + report.atRisk.map { "still only in the sprite: " + $0 }
    }

    /// Pushes through the tunnel. A refusal from the sprite (`git push --porcelain`) becomes
    /// a note: its branch has commits this side lacks (fetched into `sprite/<branch>` for the
    /// user to merge), or its work tree has uncommitted changes. A fresh staging repository
    /// cannot refuse: any failure there, and any other failure, is an error.
    func push(
        _ git: LocalGit, _ refspecs: [String], to target: Target, branch: String, label: String
    ) throws -> PushOutcome {
        let r = try git.run(["push", "-q", "--porcelain", "--atomic", remote(target.dir)] + refspecs)
        if r.status == 0 { return .landed }
        let refusal = PushRefusal(porcelain: r.stdout)
        if !target.staged && refusal == .rejected {
            // fetched as `git sprite fetch` does: an old value of that ref is kept, never lost
            let home = "sprite/\(sprite)/\(branch)"
            return .refused(
                note: "\(label): the sprite's \(branch) has commits you do not have; they are now in "
                    + "refs/remotes/\(home). Reconcile with: git merge \(home), then git sprite up",
                fetchHome: true)
        }
        if !target.staged && refusal == .remoteRejected {
            // changes made in the sprite between the look and the push
            return .refused(note: keptTheSpritesChanges(label: label, path: target.dir, moving: branch))
        }
        throw SpriteError(
            "pushing \(label) through the tunnel failed: \(LocalGit.reason(r.stderr))",
            hints: ["run git sprite up again; add -v to see each request"], detail: r.stderr)
    }

    /// What `up` says when it leaves a repository alone because the sprite changed files in it.
    /// (The commands it names say which sprite: `up --name` may ship to another than the branch's.)
    func keptTheSpritesChanges(label: String, path: String, moving: String) -> String {
        let named = shellQuote(sprite)
        return "\(label): left as it is: the sprite has uncommitted changes in \(path) that you do not have, and "
            + "shipping your \(moving) could overwrite them. Bring them home first (git sprite down \(named)), or "
            + "commit them there (git sprite exec \(named) -- git -C \(path) commit -am wip), then run git sprite up again"
    }
}
