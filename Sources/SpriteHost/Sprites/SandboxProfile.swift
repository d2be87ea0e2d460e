import Foundation

/// How a sprite's processes are confined: bubblewrap with the host's system directories
/// read-only, a private `/home/sprite`, `/tmp` and `/.sprite`, and no network under `block-all`.
struct SandboxProfile: Sendable {
    let layout: SpriteLayout
    let blockNetwork: Bool
    let bwrap: String
    /// True when the command runs inside the sprite's namespaces (`nsenter`), whose `/proc`
    /// already shows only the sprite's processes.
    var inSpriteNamespace = false

    /// System directories shared read-only; everything else of the host stays invisible
    /// (other users' homes, `/root`, `/tmp`, `/run` sockets, the host's own state).
    static let systemDirectories = ["usr", "etc", "opt", "var", "srv", "sys", "bin", "sbin", "lib", "lib32",
                                    "lib64", "libx32"]

    /// bwrap's arguments, then `--`, then the command. Spawn it with the sprite's environment.
    func argv(command: [String], directory: String) -> [String] {
        var args = [bwrap]
        for name in Self.systemDirectories {
            let path = "/" + name
            if let target = try? FileManager.default.destinationOfSymbolicLink(atPath: path) {
                args += ["--symlink", target, path]
            } else if FileManager.default.fileExists(atPath: path) {
                args += ["--ro-bind", path, path]
            }
        }
        args += ["--dev-bind", "/dev", "/dev"] + (inSpriteNamespace ? ["--ro-bind", "/proc", "/proc"] : ["--proc", "/proc"])
        args += [
                 "--tmpfs", "/home", "--bind", layout.home, "/home/sprite",
                 "--bind", layout.tmp, "/tmp", "--bind", layout.dot, "/.sprite",
                 "--tmpfs", "/root"]
        if blockNetwork { args.append("--unshare-net") }
        // the environment reaches the command through bwrap's own environment (the process
        // is spawned with exactly `environment`), never as arguments anyone can read in ps
        args += ["--die-with-parent", "--chdir", directory, "--"]
        return args + command
    }
}

/// Where a sprite's state lives under the host root.
struct SpriteLayout: Sendable {
    let dir: String

    var home: String { dir + "/home" }
    var tmp: String { dir + "/tmp" }
    var dot: String { dir + "/dot" }
    var checkpoints: String { dir + "/checkpoints" }
    var record: String { dir + "/sprite.json" }

    func create() throws {
        for d in [home, tmp, dot, dot + "/logs/services", dot + "/policy", checkpoints] {
            try FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
        }
    }

    /// Maps a sprite path (`/home/sprite/x`, `/tmp/y`, `/.sprite/z`) to the host, refusing any
    /// path that escapes through `..` or a symlink. Relative paths resolve against `base`.
    func hostPath(for spritePath: String, base: String = "/home/sprite") throws -> (host: String, sprite: String) {
        let joined = spritePath.hasPrefix("/") ? spritePath : base + "/" + spritePath
        var parts: [Substring] = []
        for part in joined.split(separator: "/") {
            if part == "." || part.isEmpty { continue }
            if part == ".." { if !parts.isEmpty { parts.removeLast() }; continue }
            parts.append(part)
        }
        let clean = "/" + parts.joined(separator: "/")
        let roots: [(String, String)] = [("/home/sprite", home), ("/tmp", tmp), ("/.sprite", dot)]
        for (prefix, hostRoot) in roots where clean == prefix || clean.hasPrefix(prefix + "/") {
            let host = hostRoot + clean.dropFirst(prefix.count)
            try ensureInside(host, root: hostRoot, shown: clean)
            return (host, clean)
        }
        throw HostError.fs(.forbidden, "EACCES", "path is outside the sprite's writable file system", path: clean)
    }

    /// Resolves symlinks of the longest existing prefix and checks it stays under `root`.
    private func ensureInside(_ host: String, root: String, shown: String) throws {
        var existing = host
        var suffix: [String] = []
        while !FileManager.default.fileExists(atPath: existing) && existing != root {
            let url = URL(fileURLWithPath: existing)
            suffix.insert(url.lastPathComponent, at: 0)
            existing = url.deletingLastPathComponent().path
        }
        let resolved = URL(fileURLWithPath: existing).resolvingSymlinksInPath().path
        let resolvedRoot = URL(fileURLWithPath: root).resolvingSymlinksInPath().path
        guard resolved == resolvedRoot || resolved.hasPrefix(resolvedRoot + "/") else {
            throw HostError.fs(.forbidden, "EACCES", "path escapes the sprite", path: shown)
        }
    }
}
