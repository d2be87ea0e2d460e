import Foundation

extension Shipper {
    /// What is known of a repository before the lock is held: the snapshot of its uncommitted
    /// work, made while the lock's command is on its way, and the sprite's answer to the probe
    /// the lock ran (nil: look again).
    struct Prepared {
        var snapshot: (commit: String, tree: String)?
        var probe: Probe?
        /// The time each part took, for the repository's breakdown (`up -v`, `--json`).
        var phases: [(String, Double)] = []
    }

    /// The commit (and its tree) that carries the repository's uncommitted work, made in a
    /// temporary index; nil when there is none to ship (`--no-changes`, a clean work tree).
    func snapshot(of plan: RepoPlan, localPath: String) throws -> (commit: String, tree: String)? {
        guard !noChanges && plan.hasSnapshot else { return nil }
        return try LocalGit(directory: localPath, environment: gitEnvironment).snapshotCommit(
            submodules: plan.submodules.map(\.path), included: plan.included.files.map(\.path))
    }

    /// The probe's arguments after the path, for shipping `head` with a snapshot of `tree`.
    static func probeArguments(head: String, tree: String?) -> [String] { [tree ?? "none", head] }
}
