import Foundation
import SpritesAPI
import SpriteGit

/// Labels git-sprite puts on its sprites so `status` can find them (DESIGN.md §5).
public enum SpriteLabels {
    public static let marker = "git-sprite"

    public static func make(repo: String, branch: String?) -> [String] {
        var labels = [marker, "repo=" + repo]
        if let branch { labels.append("branch=" + branch) }
        return labels
    }

    /// Whether the labels mark a sprite that git-sprite made for this repository.
    static func belongs(_ labels: [String]?, to repoID: String) -> Bool {
        let labels = labels ?? []
        return labels.contains(marker) && value("repo", in: labels) == repoID
    }

    static func value(_ key: String, in labels: [String]) -> String? {
        labels.first { $0.hasPrefix(key + "=") }.map { String($0.dropFirst(key.count + 1)) }
    }
}
