import Foundation
import SpriteGit

extension Repository {
    /// Sets `key` in the repository's own config file (`.git/config`), or removes it when
    /// `value` is nil; a file another git holds locked, or one that died mid-write left locked
    /// (every git that writes the config fails until the lock goes), is said as the user can act
    /// on it.
    func writeLocalConfig(_ key: String, _ value: String?) throws {
        do {
            if let value { try setLocalConfig(key, to: value) } else { try unsetLocalConfig(key) }
        } catch let error as GitError where error.isLocked {
            let lock = commonDir + "/config.lock"
            throw SpriteError(
                "could not write \(key): \(lock) exists",
                hints: ["when no git is running here, remove it and run the command again"])
        }
    }
}
