import SpriteGit

/// What `git sprite up` would do, computed without touching anything remote.
public struct WorkspacePlan: Sendable {
    /// Where the sprite name came from.
    public enum NameSource: String, Sendable {
        case flag, config, recorded, branch, detached, unborn
    }

    public var spriteName: String
    public var nameSource: NameSource
    public var primary: RepoPlan
    public var linked: [RepoPlan]
    public var warnings: [String]
    /// Who the agent's commits say made them.
    public var identity = GitIdentity()
}

/// How a repository's code reaches the sprite.
public enum TransportMethod: String, Sendable {
    /// Cloned from its remote inside the sprite.
    case clone
    /// Cloned from its remote, then local-only commits pushed through the tunnel.
    case cloneAndTunnel = "clone+tunnel"
    /// The whole branch travels through the tunnel.
    case tunnel
    /// Nothing to ship (no commits yet).
    case none
}

/// One repository in the plan: the primary one or a linked one.
public struct RepoPlan: Sendable {
    public var mount: String?
    public var localPath: String
    public var spritePath: String
    public var branch: String?
    public var detached: Bool
    public var head: ObjectID?
    public var remoteName: String?
    /// The remote URL with credentials removed; never the raw URL.
    public var remoteURL: String?
    public var upstreamRef: String?
    public var ahead: Int?
    public var behind: Int?
    public var changes: ChangeCounts
    /// A merge, rebase, … stopped half-way: `up` does not ship a repository in that state.
    public var operation: OperationInProgress?
    public var transport: TransportMethod
    /// Commits the sprite cannot get from the remote (nil when the whole branch tunnels).
    public var localCommits: Int?
    public var transportReason: String
    public var submodules: [SubmodulePlan]
    /// Ignored files named to travel with the snapshot (`.spriteinclude`, `sprite.include`).
    public var included = IncludedFiles()

    /// Whether `up` builds a snapshot: uncommitted changes, or ignored files named to travel.
    public var hasSnapshot: Bool { !changes.isClean || !included.files.isEmpty }

    /// How messages name it: `this repository` or `linked repo '<mount>'`.
    public var label: String { mount.map { "linked repo '\($0)'" } ?? Self.primaryLabel }
    public static let primaryLabel = "this repository"
}

/// A submodule as it will be initialised in the sprite.
public struct SubmodulePlan: Sendable {
    public var name: String
    public var path: String
    public var spritePath: String
    /// The URL as written in `.gitmodules`, credentials removed.
    public var url: String?
    /// The URL after resolving relative forms against the superproject's remote.
    public var resolvedURL: String?
    public var commit: ObjectID?
    /// The local clone lacks the recorded commit: only the submodule's remote may have it.
    public var commitMissing: Bool
    public var initialized: Bool
    public var transport: TransportMethod
    public var transportReason: String
    public var submodules: [SubmodulePlan]
}
