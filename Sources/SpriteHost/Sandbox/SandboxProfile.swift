import Foundation

/// How one sprite is built: bubblewrap makes new user, mount, PID, IPC, UTS and network
/// namespaces from this profile alone (never from a view of the host's `/`), with the host's
/// system directories read-only, a private `/home/sprite`, `/tmp` and `/run`, a minimal `/dev`,
/// its own `/proc`, and `/.sprite` read-only. PID 1 is `sprite-enter init`; every command and
/// every file operation joins these namespaces later through `sprite-enter`.
struct SandboxProfile: Sendable {
    let name: String
    let layout: SpriteLayout
    let platform: HostPlatform
    /// The host user and group the sprite's uid/gid 1000 map to.
    let account: (uid: UInt32, gid: UInt32)
    /// The cgroup files the sandbox joins before it starts (resource limits; CgroupTree.prepare).
    let cgroups: [String]

    /// The sprite's user, inside.
    static let uid = 1000
    static let gid = 1000

    /// System directories shared read-only; nothing else of the host is visible (other users'
    /// homes, `/root`, `/tmp`, `/run`, `/mnt`, the host's own state).
    static let systemDirectories = [
        "usr", "etc", "opt", "var", "srv", "sys", "bin", "sbin", "lib", "lib32",
        "lib64", "libx32",
    ]
    /// Host temporary directories under the shared ones, the host's cgroup file system (which
    /// names every sprite of every host) and its virtual block devices (each sprite's disk is a
    /// loop device whose `loop/backing_file` is the host path of its image, with the sprite's
    /// name in it, seen from every sprite of every host on the machine), masked with an empty one.
    static let maskedDirectories = [
        "/var/tmp", "/var/run", "/var/lock", "/sys/fs/cgroup", "/sys/devices/virtual/block",
    ]

    /// The descriptors the holder is given: 3 receives bubblewrap's JSON (the PID of the
    /// sprite's PID 1), 4 receives "ready" from PID 1 once the sandbox is complete, 5 is PID 1's
    /// end of the socket on which the host asks it to start commands (`SpriteLauncher`).
    static let infoFD: Int32 = 3
    static let readyFD: Int32 = 4
    static let controlFD: Int32 = 5

    /// Where `sprite-enter become` puts the sprite's directories for bubblewrap (root only).
    static let stage = "/tmp"

    /// The holder's argv: (as root) drop to the sprite's host user, join its cgroups and stage
    /// its directories, then bubblewrap, then PID 1.
    func holderArgv() -> [String] {
        var args: [String] = []
        let staged = platform.runsAsRoot
        let home = staged ? Self.stage + "/home" : layout.home
        let tmp = staged ? Self.stage + "/tmp" : layout.tmp
        let system = staged ? Self.stage + "/system" : layout.system
        let initBinary = staged ? Self.stage + "/init" : platform.initBinary
        if staged {
            args += [platform.helper, "become", String(account.uid), String(account.gid)]
            for file in cgroups { args += ["--cgroup", file] }
            args += [
                "--stage", Self.stage, "--bind", layout.home, "home", "--bind", layout.tmp, "tmp",
                "--bind", layout.system, "system", "--bind", platform.initBinary, "init", "--",
            ]
        }
        // a cgroup namespace of its own: its cgroup paths name no other sprite (and the host's
        // cgroup file system is masked below)
        args += [
            platform.bwrap, "--unshare-user", "--unshare-pid", "--unshare-ipc", "--unshare-uts", "--unshare-net",
            "--unshare-cgroup-try",
            "--disable-userns", "--uid", String(Self.uid), "--gid", String(Self.gid), "--hostname", name,
        ]
        let fm = FileManager.default
        for dir in Self.systemDirectories {
            let path = "/" + dir
            if let target = try? fm.destinationOfSymbolicLink(atPath: path) {
                args += ["--symlink", target, path]
            } else if fm.fileExists(atPath: path) {
                args += ["--ro-bind", path, path]
            }
        }
        for path in Self.maskedDirectories where Self.isRealDirectory(path) { args += ["--tmpfs", path] }
        for path in platform.hidden where Self.isShared(path) {
            if Self.isRealDirectory(path) {
                args += ["--tmpfs", path]
            } else if fm.fileExists(atPath: path) {
                args += ["--ro-bind", "/dev/null", path]
            }
        }
        args += [
            "--proc", "/proc", "--dev", "/dev",
            "--tmpfs", "/home", "--bind", home, "/home/sprite", "--bind", tmp, "/tmp",
            "--tmpfs", "/run", "--tmpfs", "/root",
            "--ro-bind", system, "/.sprite", "--ro-bind", initBinary, SpriteLayout.initMountPoint,
        ]
        for (file, target) in SpriteLayout.etcFiles where Self.isRegularFile(target) {
            args += ["--ro-bind", system + "/etc/" + file, target]
        }
        args += [
            "--chdir", "/", "--die-with-parent", "--as-pid-1", "--info-fd", String(Self.infoFD), "--",
            SpriteLayout.initMountPoint, "init", String(Self.readyFD), String(Self.controlFD),
        ]
        return args
    }

    /// The environment of PID 1: nothing of the host's.
    static let holderEnvironment = ["PATH=/usr/bin:/bin", "HOME=/home/sprite", "LANG=C.UTF-8"]

    /// True when `path` lies under a system directory the sandbox shares.
    private static func isShared(_ path: String) -> Bool {
        let top = path.split(separator: "/").first.map(String.init) ?? ""
        return systemDirectories.contains(top)
    }

    private static func isRealDirectory(_ path: String) -> Bool {
        var isDir: ObjCBool = false
        let link = (try? FileManager.default.destinationOfSymbolicLink(atPath: path)) != nil
        return !link && FileManager.default.fileExists(atPath: path, isDirectory: &isDir) && isDir.boolValue
    }

    private static func isRegularFile(_ path: String) -> Bool {
        var isDir: ObjCBool = false
        let link = (try? FileManager.default.destinationOfSymbolicLink(atPath: path)) != nil
        return !link && FileManager.default.fileExists(atPath: path, isDirectory: &isDir) && !isDir.boolValue
    }
}
