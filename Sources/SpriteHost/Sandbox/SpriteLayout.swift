import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Where a sprite's state lives under the host root:
///
///     <root>/sprites/<name>/home         /home/sprite      the sprite's, writable
///                          /tmp          /tmp              the sprite's, writable
///                          /disk.img                       its own ext4 file system (`SpriteDisk`),
///                          /disk/home, /disk/tmp           mounted at disk/, then home and tmp are there
///                          /system       /.sprite          the host's, read-only inside:
///                             policy/network.json, logs/services/*.log, api.sock, etc/*
///                          /checkpoints                    never visible inside
///                          /sprite.json                    never visible inside
///
/// The host writes only in `system` (which the sprite cannot change) and in `checkpoints`;
/// everything it does in `home` and `tmp` happens inside the sprite (`SpriteFiles`).
struct SpriteLayout: Sendable {
    let dir: String
    /// The sprite's own file system, when it has one (`SpriteDisk`): `home` and `tmp` are then
    /// on it, at `disk/home` and `disk/tmp`.
    let disk: SpriteDisk?

    init(dir: String) {
        self.dir = dir
        let disk = SpriteDisk(spriteDirectory: dir)
        self.disk = disk.exists ? disk : nil
    }

    var home: String { (disk.map { $0.mountPoint } ?? dir) + "/home" }
    var tmp: String { (disk.map { $0.mountPoint } ?? dir) + "/tmp" }
    var system: String { dir + "/system" }
    var checkpoints: String { dir + "/checkpoints" }
    var record: String { dir + "/sprite.json" }
    var policyFile: String { system + "/policy/network.json" }
    var serviceLogs: String { system + "/logs/services" }
    var apiSocket: String { system + "/api.sock" }

    /// Where PID 1 (`sprite-enter init`) is mounted inside the sprite.
    static let initMountPoint = "/.sprite/bin/init"
    /// Files of the sprite's own `/etc` (name in `system/etc` → path inside).
    static let etcFiles = [
        ("passwd", "/etc/passwd"), ("group", "/etc/group"), ("hosts", "/etc/hosts"),
        ("resolv.conf", "/etc/resolv.conf"),
    ]

    /// Makes the directories with their owners: `home`, `tmp` and `checkpoints` belong to the
    /// sprite's host user; `system` and the sprite directory itself to the host.
    func create(name: String, owner: (uid: UInt32, gid: UInt32)) throws {
        let fm = FileManager.default
        // never the host's disk in place of the sprite's own: no disk mounted, no sprite
        try disk?.mount()
        for d in [dir, home, tmp, checkpoints, system + "/policy", serviceLogs, system + "/etc", system + "/bin"] {
            try fm.createDirectory(atPath: d, withIntermediateDirectories: true)
        }
        chmod(dir, 0o700)
        for d in [home, tmp, checkpoints] {
            var st = stat()
            // a sprite made by an earlier version (its files the host's) becomes its user's
            if lstat(d, &st) == 0, st.st_uid != owner.uid { Self.chownTree(d, owner) }
            chmod(d, 0o700)
        }
        for d in [system, system + "/policy", system + "/logs", serviceLogs, system + "/etc", system + "/bin"] {
            chmod(d, 0o755)
        }
        try writeSystemFile("bin/init", "")
        try writeSystemFile(
            "etc/passwd",
            """
            root:x:0:0:root:/root:/bin/bash
            sprite:x:1000:1000:sprite:/home/sprite:/bin/bash
            nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin

            """)
        try writeSystemFile("etc/group", "root:x:0:\nsprite:x:1000:\nnogroup:x:65534:\n")
        try writeSystemFile(
            "etc/hosts", "127.0.0.1\tlocalhost\n127.0.1.1\t\(name)\n::1\tlocalhost ip6-localhost ip6-loopback\n")
        if !fm.fileExists(atPath: system + "/etc/resolv.conf") { try writeSystemFile("etc/resolv.conf", "") }
        if !fm.fileExists(atPath: policyFile) { try writeSystemFile("policy/network.json", "{\"rules\":[]}\n") }
    }

    /// Gives a tree to `owner` without following links (no process of the sprite runs while
    /// its sandbox is being built, so nothing can swap a directory for a link meanwhile).
    private static func chownTree(_ path: String, _ owner: (uid: UInt32, gid: UInt32)) {
        var st = stat()
        guard lstat(path, &st) == 0 else { return }
        lchown(path, owner.uid, owner.gid)
        guard (st.st_mode & S_IFMT) == S_IFDIR else { return }
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? [] {
            chownTree(path + "/" + entry, owner)
        }
    }

    /// Writes a host-owned file under `system` in place (a bind mount inside the sprite keeps
    /// showing the same inode), mode 0644. The sprite cannot write there, so no link of its
    /// making can redirect this write; O_NOFOLLOW makes that hold even if it somehow could.
    func writeSystemFile(_ relative: String, _ text: String) throws {
        let path = system + "/" + relative
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw HostError.internalError("cannot write \(path): \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }
        let bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            guard n > 0 else { throw HostError.internalError("cannot write \(path)") }
            offset += n
        }
        fchmod(fd, 0o644)
    }
}
