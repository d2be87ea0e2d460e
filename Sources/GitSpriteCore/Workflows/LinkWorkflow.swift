import SpriteGit

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
                     ("spritePath", .string(SpritePaths.repos + "/" + $0.mount))])
        })
    }
}
