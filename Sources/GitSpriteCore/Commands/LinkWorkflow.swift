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

    /// How `link --json` shows a link (it prints an array of them).
    public struct Output: Sendable, Codable {
        public let mount, path, stored, spritePath: String

        public init(_ link: Link) {
            (mount, path, stored, spritePath) = (
                link.mount, link.path, link.storedPath, SpritePaths.repos + "/" + link.mount
            )
        }
    }
}
