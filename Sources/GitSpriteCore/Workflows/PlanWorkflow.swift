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

/// `git sprite link` / `unlink`.
public enum LinkWorkflow {
    public static func list(_ context: Context) throws -> [Link] {
        try LinkStore(repository: RepositoryLocator.primary(context)).links()
    }

    public static func add(_ context: Context, path: String, mount: String?) throws -> Link {
        try LinkStore(repository: RepositoryLocator.primary(context)).add(path: path, as: mount, context)
    }

    public static func remove(_ context: Context, mount: String) throws -> Link {
        try LinkStore(repository: RepositoryLocator.primary(context)).remove(mount: mount)
    }

    public static func json(_ links: [Link]) -> JSON {
        .array(links.map {
            .object([("mount", .string($0.mount)), ("path", .string($0.path)), ("stored", .string($0.storedPath)),
                     ("spritePath", .string(PlanBuilder.reposPath + "/" + $0.mount))])
        })
    }
}

/// `git sprite config`: works inside a repository (its config) or outside (global config).
public enum ConfigWorkflow {
    public static func load(_ context: Context) throws -> Settings {
        var repo: Repository?
        do {
            repo = try RepositoryLocator.primary(context)
        } catch let error as SpriteError where error.status == .notARepository
                    && error.message.hasPrefix("not a git repository") {
            repo = nil
        }
        let settings = try SettingsLoader(environment: context.environment, repository: repo).load()
        for warning in settings.warnings { context.terminal.warn(warning) }
        return settings
    }
}
