import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Work on a sprite's files that the host does for it (checkpoint copies, restores, removal)
/// runs in a sandbox of its own, as the sprite's host user, with only the directories it
/// works on mounted. A link among the sprite's files can then only lead to another file of
/// those directories: never to a host file, whatever the sprite planted or swapped meanwhile.
struct MaintenanceSandbox {
    let runtime: SpriteRuntime

    /// `cp -a` (modes, links and times kept) of `source` into `target`, or of its contents
    /// into an existing `target`.
    func copy(from source: String, to target: String, contentsOnly: Bool = false) throws {
        if !contentsOnly {
            try FileManager.default.createDirectory(atPath: target, withIntermediateDirectories: true)
            chown(target, runtime.account.uid, runtime.account.gid)
            chmod(target, 0o700)
        }
        try run(
            ["/usr/bin/cp", "-a", "--", "/work/from/.", "/work/to/"], binds: [(source, "from"), (target, "to")],
            what: "copying the sprite's files")
    }

    /// Empties `directory` (it stays).
    func empty(_ directory: String) throws {
        // write permission back first: a read-only directory (a Go module cache) would not empty
        try run(
            ["/bin/sh", "-c", "chmod -R u+rwX /work/dir 2>/dev/null; find /work/dir -mindepth 1 -delete"],
            binds: [(directory, "dir")], what: "removing the sprite's files")
    }

    /// Removes `directory` and everything in it.
    func remove(_ directory: String) throws {
        var st = stat()
        guard lstat(directory, &st) == 0 else { return }
        try empty(directory)
        rmdir(directory)
    }

    private func run(_ command: [String], binds: [(String, String)], what: String) throws {
        let platform = runtime.platform
        var argv: [String] = []
        var mounts: [(String, String)] = binds.map { ($0.0, "/work/" + $0.1) }
        if platform.runsAsRoot {
            argv += [
                platform.helper, "become", String(runtime.account.uid), String(runtime.account.gid),
                "--stage", SandboxProfile.stage,
            ]
            for (source, name) in binds { argv += ["--bind", source, name] }
            argv.append("--")
            mounts = binds.map { (SandboxProfile.stage + "/" + $0.1, "/work/" + $0.1) }
        }
        argv += [platform.bwrap, "--unshare-all", "--die-with-parent", "--ro-bind", "/usr", "/usr", "--tmpfs", "/work"]
        for dir in ["bin", "sbin", "lib", "lib64"] {
            if let link = try? FileManager.default.destinationOfSymbolicLink(atPath: "/" + dir) {
                argv += ["--symlink", link, "/" + dir]
            } else if FileManager.default.fileExists(atPath: "/" + dir) {
                argv += ["--ro-bind", "/" + dir, "/" + dir]
            }
        }
        for (source, target) in mounts { argv += ["--bind", source, target] }
        argv += ["--"] + command
        let (status, detail) = try SpawnedProcess.runToEnd(
            SpawnRequest(
                argv: argv, environment: ["PATH=/usr/bin:/bin"],
                directory: "/"))
        guard status == 0 else {
            throw HostError.internalError("\(what) failed: \(detail)")
        }
    }
}
