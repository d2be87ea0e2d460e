import SpriteGit

/// `git sprite plan`: read everything local, decide what `up` would do.
public enum PlanWorkflow {
    public static func run(_ context: Context, nameFlag: String?) throws -> WorkspacePlan {
        let repo = try RepositoryLocator.primary(context)
        var flags: [String: (value: String, flag: String)] = [:]
        if let nameFlag { flags["name"] = (nameFlag, "--name") }
        let settings = try SettingsLoader(environment: context.environment, flags: flags, repository: repo).load()
        for warning in settings.warnings { context.terminal.warn(warning) }
        do {
            return try PlanBuilder(context: context, repository: repo, settings: settings).build()
        } catch let error as GitError {
            throw SpriteError("cannot read the repository", detail: error.description)
        }
    }
}
