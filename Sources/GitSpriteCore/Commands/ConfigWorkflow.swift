import SpriteGit

/// `git sprite config`: works inside a repository (its config) or outside (global config).
public enum ConfigWorkflow {
    public static func load(_ context: Context) throws -> Settings {
        var repo: Repository?
        do {
            repo = try RepositoryLocator.primary(context)
        } catch let error as SpriteError
            where error.status == .notARepository
            && error.message.hasPrefix("not a git repository")
        {
            repo = nil
        }
        let settings = try SettingsLoader(environment: context.environment, repository: repo).load()
        for warning in settings.warnings { context.terminal.warn(warning) }
        return settings
    }
}
