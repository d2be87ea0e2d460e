import Foundation
import SpritesAPI
import SpriteGit

/// `git sprite status` (this repository's sprites) and `git sprite ls --all`.
public enum StatusWorkflow {
    public static func run(_ context: Context, all: Bool) throws -> [StatusEntry] {
        let repo: Repository? = all ? nil : try RepositoryLocator.primary(context)
        let settings = try SettingsLoader(environment: context.environment, repository: repo).load()
        for warning in settings.warnings { context.terminal.warn(warning) }
        let connection = try Connection.make(settings: settings, context: context)
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
            // what the server says is shown as printable text only
            let clean = ServerText.oneLine
            return StatusEntry(name: clean(s.name), state: clean(s.status?.description ?? "unknown"), repo: r.map(clean),
                               branch: SpriteLabels.value("branch", in: labels).map(clean), createdAt: s.createdAt.map(clean))
        }
    }
}
