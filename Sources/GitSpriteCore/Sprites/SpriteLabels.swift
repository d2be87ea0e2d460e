import Foundation
import SpriteGit
import SpritesAPI

/// A repository as git-sprite tells it from others: `name` (folded, shared by every
/// repository called the same) and `root`, the start of its history's first-parent chain
/// (shared by the clones of one history only). Nil for a repository without commits.
public struct RepositoryIdentity: Sendable, Equatable {
    public let name: String
    public let root: String?
}

/// Labels git-sprite puts on its sprites: `git-sprite`, `repo=<name>` (what
/// `status` lists by), `root=<root>` (what ownership is decided by) and `branch=<branch>`.
public enum SpriteLabels {
    public static let marker = "git-sprite"

    public static func make(_ identity: RepositoryIdentity, branch: String?, expires: Date? = nil) -> [String] {
        var labels = [marker, "repo=" + identity.name]
        if let root = identity.root { labels.append("root=" + root) }
        if let branch { labels.append("branch=" + branch) }
        if let expires { labels.append("expires=" + String(Int(expires.timeIntervalSince1970))) }
        return labels
    }

    /// When a sprite expires (`up --ttl`): the later of its `expires=` label and the branch's
    /// `branch.<b>.spriteExpires` (a re-run with a new --ttl can only record it here).
    static func expiry(_ labels: [String], branch: String?, repo: Repository?) -> Date? {
        let label = value("expires", in: labels).flatMap(Double.init)
        let config = branch.flatMap { b in try? repo?.config().allValues(of: "branch.\(b).spriteExpires").last }
            .flatMap(Double.init)
        return [label, config].compactMap { $0 }.max().map(Date.init(timeIntervalSince1970:))
    }

    /// Whether the labels mark a sprite that git-sprite made for this repository: the same
    /// name and the same root. A sprite made before roots were recorded is judged by its name.
    static func belongs(_ labels: [String]?, to identity: RepositoryIdentity) -> Bool {
        let labels = labels ?? []
        guard labels.contains(marker), value("repo", in: labels) == identity.name else { return false }
        guard let recorded = value("root", in: labels) else { return true }
        return recorded == identity.root
    }

    static func value(_ key: String, in labels: [String]) -> String? {
        labels.first { $0.hasPrefix(key + "=") }.map { String($0.dropFirst(key.count + 1)) }
    }
}
