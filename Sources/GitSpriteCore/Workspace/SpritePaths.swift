/// Where things live inside a sprite: the one place these paths are written.
public enum SpritePaths {
    /// The sprite user's home.
    public static let home = "/home/sprite"
    /// The primary repository.
    public static let workspace = home + "/workspace"
    /// Linked repositories, one directory per mount name.
    public static let repos = home + "/repos"
    /// git-sprite's own state in the sprite (agent supervisor, tmux socket, staging).
    public static let state = home + "/.git-sprite"
    /// Where a repository's first ship is assembled before it moves into place.
    public static let staging = state + "/staging"
    /// Bare mirrors of submodules that travel through the tunnel.
    public static let modules = state + "/modules"
}
