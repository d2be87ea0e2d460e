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
            throw unreadable(error)
        }
    }

    /// libgit2 could not read something the plan needs (a damaged HEAD, a ref or branch name
    /// git itself would refuse): its own words, and where to look.
    static func unreadable(_ error: GitError) -> SpriteError {
        SpriteError(
            "cannot read the repository: \(error.message)",
            hints: [
                "see what git makes of it: git status; repair or remove the file it names, "
                    + "or check the branch out again"
            ],
            detail: error.description)
    }
}
