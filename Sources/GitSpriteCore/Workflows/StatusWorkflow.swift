import Foundation
import SpritesAPI
import SpriteGit

/// One row of `git sprite status` / `ls`.
public struct SpriteStatus: Sendable {
    public var name: String
    public var state: String
    public var repo: String?
    public var branch: String?
    public var createdAt: String?

    public var json: JSON {
        .object([("name", .string(name)), ("state", .string(state)), ("repo", .optional(repo)),
                 ("branch", .optional(branch)), ("createdAt", .optional(createdAt))])
    }
}

/// `git sprite status` (this repository's sprites) and `git sprite ls --all`.
public enum StatusWorkflow {
    public static func run(_ context: Context, all: Bool) throws -> [SpriteStatus] {
        let repo: Repository? = all ? nil : try RepositoryLocator.primary(context)
        let settings = try SettingsLoader(environment: context.environment, repository: repo).load()
        for warning in settings.warnings { context.terminal.warn(warning) }
        let connection = try Connection(settings: settings, context: context)
        var repoName: String?
        if let repo {
            let plan = PlanBuilder(context: context, repository: repo, settings: settings)
            repoName = plan.repositoryID()
        }
        let sprites = try connection.perform { try $0.listSprites() }
        return sprites.compactMap { s in
            let labels = s.labels ?? []
            guard labels.contains(SpriteLabels.marker) else { return nil }
            let r = SpriteLabels.value("repo", in: labels)
            if let repoName, r != repoName { return nil }
            return SpriteStatus(name: s.name, state: s.status ?? "unknown", repo: r,
                                branch: SpriteLabels.value("branch", in: labels), createdAt: s.createdAt)
        }
    }
}
