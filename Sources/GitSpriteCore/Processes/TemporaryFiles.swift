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

    /// Records a file of ours outside the temporary directory (a partial download beside its
    /// target) for the handlers to remove; `forget` once it is complete or gone.
    static func register(_ path: String) { git_sprite_temporary_add(path) }
    static func forget(_ path: String) { git_sprite_temporary_forget(path) }

    /// Writes `data` to a new file at `path`, readable by us alone from its first byte, in
    /// place. Foundation's `createFile` writes a hidden `.dat.nosync…` copy beside the file
    /// first, with the default mode (0644), renames it and only then sets the mode asked for:
    /// an interrupt left that copy, a patch of the sprite's changes readable by everyone, in the
    /// temporary directory (25.9 MB in an adversarial review's run). `replacing`: a file
    /// already there is removed first (a symlink there is removed, never followed); otherwise
    /// the path must be new. False when the file cannot be written (errno says why).
    static func writePrivately(_ data: Data, to path: String, replacing: Bool = false) -> Bool {
        if replacing { unlink(path) }
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard fd >= 0 else { return false }
        let written = data.withUnsafeBytes { raw -> Bool in
            var offset = 0
            while offset < raw.count {
                let n = write(fd, raw.baseAddress! + offset, raw.count - offset)
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { return false }
                offset += n
            }
            return true
        }
        let saved = errno
        guard close(fd) == 0, written else {
            unlink(path)
            errno = written ? errno : saved
            return false
        }
        return true
    }
}

/// Removes every temporary file not removed yet (and git's lock of it); async-signal-safe, for
/// a SIGINT handler.
public func removeTemporaryFiles() { git_sprite_remove_temporary_files() }
