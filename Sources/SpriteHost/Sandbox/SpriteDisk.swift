import Foundation
import SpriteSync

#if canImport(Glibc)
    import Glibc
#endif

/// A sprite's own file system, sized by `config.storage_gb`, as the real service gives each
/// sprite a persistent ext4 disk: a sparse ext4 image (`<sprite>/disk.img`, holding only what
/// is written: `discard` gives deleted blocks back) loop-mounted at `<sprite>/disk`, where the
/// sprite's home and /tmp live. Writing past the size fails with ENOSPC inside the sprite; the
/// host's disk is not touched. Needs root (loop devices, `mount`); otherwise, and for sprites
/// made before disks existed, storage is not limited and the sprite object says so.
struct SpriteDisk: Sendable {
    let image: String
    let mountPoint: String

    init(spriteDirectory dir: String) {
        image = dir + "/disk.img"
        mountPoint = dir + "/disk"
    }

    var exists: Bool { access(image, F_OK) == 0 }

    /// Why this host cannot give sprites disks, or nil when it can.
    static func unavailable(runsAsRoot: Bool) -> String? {
        guard runsAsRoot else { return "sprite-host does not run as root" }
        guard access("/dev/loop-control", R_OK | W_OK) == 0 else {
            return "/dev/loop-control is not accessible (no loop devices)"
        }
        guard mkfs != nil else { return "mkfs.ext4 is not installed (apt-get install e2fsprogs)" }
        guard access("/bin/mount", X_OK) == 0, access("/bin/umount", X_OK) == 0 else { return "mount is not installed" }
        return nil
    }

    private static let mkfs: String? = ["/usr/sbin/mkfs.ext4", "/sbin/mkfs.ext4"].first { (path: String) in
        access(path, X_OK) == 0
    }

    /// Makes the image: sparse, `gigabytes` GiB, its root directory the sprite's host user's.
    /// Inode tables and the journal are left for the kernel to treat as unused rather than
    /// written out (the image stays a few MiB until the sprite writes).
    func create(gigabytes: Int, owner: (uid: UInt32, gid: UInt32)) throws {
        guard let mkfs = Self.mkfs else { throw HostError.internalError("mkfs.ext4 is not installed") }
        let fd = open(image, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard fd >= 0 else {
            throw HostError.internalError("cannot create \(image): \(String(cString: strerror(errno)))")
        }
        let sized = ftruncate(fd, off_t(gigabytes) << 30) == 0
        close(fd)
        guard sized else {
            unlink(image)
            throw HostError.internalError("cannot size the sprite's disk image")
        }
        do {
            try Self.run(
                mkfs,
                [
                    "-q", "-F", "-m", "0", "-E",
                    "lazy_itable_init=1,lazy_journal_init=1,root_owner=\(owner.uid):\(owner.gid)", image,
                ])
        } catch {
            unlink(image)
            throw error
        }
    }

    /// Whether the image is mounted at its mount point (a host that was killed leaves it so).
    var isMounted: Bool {
        let mounts = ProcFile.read("/proc/self/mountinfo") ?? ""
        let point = Self.escaped(mountPoint)
        return mounts.split(separator: "\n").contains { line in
            line.split(separator: " ", maxSplits: 5).dropFirst(4).first.map(String.init) == point
        }
    }

    /// Mounts the image unless it is already. `noinit_itable`: the kernel does not zero inode
    /// tables in the background (that would write gigabytes into the sparse image).
    func mount() throws {
        if isMounted { return }
        try FileManager.default.createDirectory(atPath: mountPoint, withIntermediateDirectories: true)
        chmod(mountPoint, 0o700)
        try Self.run(
            "/bin/mount", ["-t", "ext4", "-o", "loop,nosuid,nodev,discard,noinit_itable", "--", image, mountPoint])
    }

    /// Unmounts it (lazily when something still holds it: it goes once that ends).
    func unmount() {
        guard isMounted else { return }
        if (try? Self.run("/bin/umount", ["--", mountPoint])) == nil {
            try? Self.run("/bin/umount", ["-l", "--", mountPoint])
        }
    }

    /// Unmounts and deletes the image, with everything the sprite wrote.
    func destroy() {
        unmount()
        unlink(image)
        rmdir(mountPoint)
    }

    /// `/proc/self/mountinfo` writes spaces, tabs, newlines and backslashes as octal escapes.
    private static func escaped(_ path: String) -> String {
        var out = ""
        for c in path.unicodeScalars {
            switch c {
            case " ": out += "\\040"
            case "\t": out += "\\011"
            case "\n": out += "\\012"
            case "\\": out += "\\134"
            default: out.unicodeScalars.append(c)
            }
        }
        return out
    }

    private static func run(_ program: String, _ args: [String]) throws {
        let (status, detail) = try SpawnedProcess.runToEnd(
            SpawnRequest(
                argv: [program] + args,
                environment: ["PATH=/usr/sbin:/usr/bin:/sbin:/bin"],
                directory: "/"))
        guard status == 0 else {
            throw HostError.internalError("\((program as NSString).lastPathComponent) failed: \(detail)")
        }
    }
}
