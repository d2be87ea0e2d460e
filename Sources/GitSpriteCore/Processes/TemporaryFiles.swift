import CTerminal
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Paths for files of ours in the temporary directory (a temporary index, a patch, a pattern
/// file), removed when done or when Ctrl-C ends the command: its handler `_exit`s, so no
/// `defer` runs, and each interrupted `up` left a copy of the index in /tmp.
enum TemporaryFiles {
    /// A new path, `prefix` and a UUID, recorded for `removeTemporaryFiles()`.
    /// It is in this process's own directory there (0700): a copy of the index, which git
    /// rewrites through a lock made 0644, listed the repository's every path to any user of a
    /// shared /tmp while `up` ran (an adversarial review).
    static func make(_ prefix: String, suffix: String = "") -> String {
        let temporary = FileManager.default.temporaryDirectory.path
        let directory = git_sprite_private_directory(temporary).map { String(cString: $0) } ?? temporary
        let path = directory + "/" + prefix + UUID().uuidString + suffix
        git_sprite_temporary_add(path)
        return path
    }

    /// Removes the file and forgets it.
    static func remove(_ path: String) {
        try? FileManager.default.removeItem(atPath: path)
        git_sprite_temporary_forget(path)
    }

    /// A name beside `target` for its contents while they are written (`NAME.git-sprite-` and
    /// 8 hex digits), renamed onto `target` once whole: a write cut short never leaves a
    /// partial file under the target's name.
    /// A name too long to carry the suffix is shortened first (whole characters), so that any
    /// name a filesystem allows (255 bytes) can be written.
    static func beside(_ target: String) -> String {
        let suffix = ".git-sprite-" + UUID().uuidString.prefix(8)
        let slash = target.lastIndex(of: "/").map { target.index(after: $0) } ?? target.startIndex
        var name = String(target[slash...])
        while name.utf8.count + suffix.utf8.count > 255 { name.removeLast() }
        return String(target[..<slash]) + name + suffix
    }

    /// Records a file of ours outside the temporary directory (a partial download beside its
    /// target) for the handlers to remove; `forget` once it is complete or gone.
    static func register(_ path: String) { git_sprite_temporary_add(path) }
    /// A directory the handlers take away only when it is empty (never a symlink in its place).
    static func registerDirectory(_ path: String) { git_sprite_temporary_add_directory(path) }
    static func forget(_ path: String) { git_sprite_temporary_forget(path) }

    /// A new file at `path` (relative to `directory`, an open one), readable by us alone from its
    /// first byte, open for writing: its descriptor, or -1 (errno says why). Never through a
    /// symlink, never over a file.
    static func createPrivately(_ path: String, in directory: Int32 = AT_FDCWD) -> Int32 {
        openat(directory, path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
    }

    /// Writes `data` to a new file at `path`, readable by us alone from its first byte.
    /// Foundation's `createFile` writes a hidden `.dat.nosync…` copy beside the file first,
    /// with the default mode (0644), renames it and only then sets the mode asked for: an
    /// interrupt left that copy, a patch of the sprite's changes readable by everyone, in the
    /// temporary directory (25.9 MB in an adversarial review's run). Without `replacing` the
    /// path must be new, and the file is written in place. With it (a salvage bundle, the
    /// leftovers: the only copy of work about to be destroyed) it is written beside its name,
    /// made durable, and renamed over whatever is there (a symlink there is replaced, never
    /// followed): an interrupt (the partial file is removed) or a crash never leaves a
    /// truncated file under the name. False when the file cannot be written (errno says why).
    static func writePrivately(_ data: Data, to path: String, replacing: Bool = false) -> Bool {
        guard replacing else { return write(data, toNew: path, durably: false) }
        let partial = beside(path)
        register(partial)
        defer { forget(partial) }
        guard write(data, toNew: partial, durably: true) else { return false }
        guard rename(partial, path) == 0 else {
            let saved = errno
            unlink(partial)
            errno = saved
            return false
        }
        // the rename itself made durable too
        let directory = open((path as NSString).deletingLastPathComponent, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if directory >= 0 {
            fsync(directory)
            close(directory)
        }
        return true
    }

    private static func write(_ data: Data, toNew path: String, durably: Bool) -> Bool {
        let fd = createPrivately(path)
        guard fd >= 0 else { return false }
        let written = data.withUnsafeBytes { raw -> Bool in
            var offset = 0
            while offset < raw.count {
                let n = Glibc.write(fd, raw.baseAddress! + offset, raw.count - offset)
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { return false }
                offset += n
            }
            return true
        }
        let saved = errno
        guard written, !durably || fsync(fd) == 0, close(fd) == 0 else {
            let failed = written ? errno : saved
            close(fd)
            unlink(path)
            errno = failed
            return false
        }
        return true
    }
}

/// Removes every temporary file not removed yet (and git's lock of it); async-signal-safe, for
/// a SIGINT handler.
public func removeTemporaryFiles() { git_sprite_remove_temporary_files() }
