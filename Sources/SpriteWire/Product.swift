/// The version every binary of this project reports, and the API version sprite-host serves.
public enum Product {
    /// git-sprite, git-remote-sprite and sprite-host.
    public static let version = "0.1.0"
    /// The `Sprite-Version` sprite-host answers with (the Go SDK picks attach URLs by it).
    public static let apiVersion = "v" + version
}
