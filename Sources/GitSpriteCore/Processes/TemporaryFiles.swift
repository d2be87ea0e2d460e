import CTerminal
import Foundation

/// Paths for files of ours in the temporary directory (a temporary index, a patch, a pattern
/// file), removed when done or when Ctrl-C ends the command: its handler `_exit`s, so no
/// `defer` runs, and each interrupted `up` left a copy of the index in /tmp.
enum TemporaryFiles {
    /// A new path, `prefix` and a UUID, recorded for `removeTemporaryFiles()`.
    static func make(_ prefix: String, suffix: String = "") -> String {
        let path = FileManager.default.temporaryDirectory.path + "/" + prefix + UUID().uuidString + suffix
        git_sprite_temporary_add(path)
        return path
    }

    /// Removes the file and forgets it.
    static func remove(_ path: String) {
        try? FileManager.default.removeItem(atPath: path)
        git_sprite_temporary_forget(path)
    }
}

/// Removes every temporary file not removed yet (and git's lock of it); async-signal-safe, for
/// a SIGINT handler.
public func removeTemporaryFiles() { git_sprite_remove_temporary_files() }
