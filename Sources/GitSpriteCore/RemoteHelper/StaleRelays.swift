import Foundation
import SpriteSync

#if canImport(Glibc)
    import Glibc
#endif

extension HelperRelay {
    /// Where relays are made: `git-sprite-relay.XXXXXX` directories in the temporary directory.
    static let directoryPrefix = "git-sprite-relay."

    /// Removes the relay directories of this user's earlier processes that were killed before
    /// they could (every other exit, Ctrl-C's included, removes its own): a directory of this
    /// user's, untouched for `age` seconds, whose socket no process has bound any more. A relay
    /// still serving is bound (the kernel's table of Unix sockets names it) and is left alone.
    static func removeStale(
        in temporary: String = FileManager.default.temporaryDirectory.path, olderThan age: TimeInterval = 600,
        now: Date = Date()
    ) {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: temporary) else { return }
        let relays = names.filter { $0.hasPrefix(directoryPrefix) }
        guard !relays.isEmpty else { return }
        // without the kernel's table nothing can be told apart: nothing is removed
        guard let table = ProcFile.read("/proc/net/unix") else { return }
        // each relay's socket as it was bound, and resolved (the temporary directory may be
        // named through a link, differently by that process and this one)
        var bound = Set<String>()
        for path in boundSocketPaths(table) where path.contains("/" + directoryPrefix) {
            bound.insert(path)
            if let real = resolved(String(path.dropLast("/relay".count))) { bound.insert(real + "/relay") }
        }
        for name in relays {
            let directory = temporary + "/" + name
            var st = stat()
            guard lstat(directory, &st) == 0, st.st_mode & S_IFMT == S_IFDIR, st.st_uid == getuid(),
                now.timeIntervalSince1970 - TimeInterval(st.st_mtim.tv_sec) > age
            else { continue }
            let socket = directory + "/relay"
            guard !bound.contains(socket), !bound.contains((resolved(directory) ?? directory) + "/relay") else {
                continue
            }
            var socketStat = stat()
            // only the socket a relay leaves behind; a directory holding anything else stays
            if lstat(socket, &socketStat) == 0, socketStat.st_mode & S_IFMT == S_IFSOCK { unlink(socket) }
            rmdir(directory)
        }
    }

    private static func resolved(_ path: String) -> String? {
        guard let real = realpath(path, nil) else { return nil }
        defer { free(real) }
        return String(cString: real)
    }

    /// The paths of the Unix sockets bound in this network namespace (`/proc/net/unix`: the
    /// path is what follows the seventh field).
    static func boundSocketPaths(_ table: String? = ProcFile.read("/proc/net/unix")) -> Set<String> {
        var paths = Set<String>()
        for line in (table ?? "").split(separator: "\n").dropFirst() {
            let fields = line.split(separator: " ", maxSplits: 7, omittingEmptySubsequences: true)
            if fields.count == 8 { paths.insert(String(fields[7])) }
        }
        return paths
    }
}
