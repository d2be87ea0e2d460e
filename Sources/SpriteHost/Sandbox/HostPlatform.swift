import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// What this machine gives sprite-host to build sandboxes with, found once at start.
struct HostPlatform: Sendable {
    /// This host's id (persisted in the state root).
    let id: String
    let bwrap: String
    /// `sprite-enter`, next to `sprite-host`: the single-threaded program that enters sprites.
    let helper: String
    /// A copy of `sprite-enter` in the state root (the build or install directory may not be
    /// readable by a sprite's host user): it becomes PID 1 of each sprite.
    let initBinary: String
    /// sprite-host runs as root: each sprite then gets a host user of its own.
    let runsAsRoot: Bool
    let stateRoot: String
    /// Host files that must never be visible in a sprite even when they lie under a system
    /// directory the sandbox shares (the state root, the token file).
    let hidden: [String]
    /// `slirp4netns`, which gives `allow-all` sprites the outside world without the host's loopback.
    let slirp: String?
    /// Why `allow-all` has no outbound network here, when it has none.
    let slirpUnavailable: String?
    /// cgroups, when sprite-host may use them.
    let cgroups: CgroupTree?
    let cgroupsUnavailable: String?
    /// Why sprites get no disk of their own here (`SpriteDisk`), when they get none.
    let disksUnavailable: String?

    /// Host users of sprites when the host runs as root: `uidBase + slot`, one per sprite.
    static let uidBase: UInt32 = 1_500_000_000

    static func detect(root: String, tokenFile: String?, limitsResources: Bool) throws -> HostPlatform {
        let fm = FileManager.default
        guard let bwrap = ["/usr/bin/bwrap", "/usr/local/bin/bwrap"].first(where: { fm.isExecutableFile(atPath: $0) })
        else {
            throw HostError.internalError("bubblewrap (bwrap) is not installed; install it: apt-get install bubblewrap")
        }
        let me = (try? fm.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        let helper = (me as NSString).deletingLastPathComponent + "/sprite-enter"
        guard fm.isExecutableFile(atPath: helper) else {
            throw HostError.internalError("\(helper) is missing: sprite-enter is installed next to sprite-host")
        }
        let runsAsRoot = geteuid() == 0
        chmod(root, 0o700)
        let lib = root + "/lib"
        try fm.createDirectory(atPath: lib, withIntermediateDirectories: true)
        chmod(lib, 0o755)
        let initBinary = lib + "/sprite-init"
        try installCopy(of: helper, at: initBinary)

        var id =
            (try? String(contentsOfFile: root + "/host-id", encoding: .utf8))?
            .trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
        if id.isEmpty {
            id = UUID().uuidString.lowercased()
            try id.write(toFile: root + "/host-id", atomically: true, encoding: .utf8)
        }
        let slirpPath = ["/usr/bin/slirp4netns", "/usr/local/bin/slirp4netns"].first { fm.isExecutableFile(atPath: $0) }
        var slirpUnavailable: String?
        if slirpPath == nil {
            slirpUnavailable = "slirp4netns is not installed (apt-get install slirp4netns)"
        } else if access("/dev/net/tun", R_OK | W_OK) != 0 {
            slirpUnavailable = "/dev/net/tun is not accessible to \(runsAsRoot ? "root" : "this user")"
        }
        let cgroups: CgroupTree?
        let cgroupsUnavailable: String?
        switch limitsResources ? CgroupTree.make(hostID: id) : .failure(.init(message: "turned off for this host")) {
        case .success(let tree): (cgroups, cgroupsUnavailable) = (tree, nil)
        case .failure(let why): (cgroups, cgroupsUnavailable) = (nil, why.message)
        }
        return HostPlatform(
            id: id, bwrap: bwrap, helper: helper, initBinary: initBinary, runsAsRoot: runsAsRoot, stateRoot: root,
            hidden: [root] + (tokenFile.map { [$0] } ?? []),
            slirp: slirpUnavailable == nil ? slirpPath : nil, slirpUnavailable: slirpUnavailable,
            cgroups: cgroups, cgroupsUnavailable: cgroupsUnavailable,
            disksUnavailable: SpriteDisk.unavailable(runsAsRoot: runsAsRoot))
    }

    /// Copies `source` to `target` (mode 0755) unless an identical copy is already there.
    private static func installCopy(of source: String, at target: String) throws {
        guard let data = FileManager.default.contents(atPath: source) else {
            throw HostError.internalError("cannot read \(source)")
        }
        if FileManager.default.contents(atPath: target) == data { return }
        let temp = target + ".\(getpid()).tmp"
        guard FileManager.default.createFile(atPath: temp, contents: data, attributes: [.posixPermissions: 0o755])
        else {
            throw HostError.internalError("cannot write \(temp)")
        }
        guard rename(temp, target) == 0 else {
            unlink(temp)
            throw HostError.internalError("cannot install \(target): \(String(cString: strerror(errno)))")
        }
    }

    /// The host user and group a sprite's processes and files are, outside the sprite.
    func account(slot: Int) -> (uid: UInt32, gid: UInt32) {
        runsAsRoot ? (Self.uidBase + UInt32(slot), Self.uidBase + UInt32(slot)) : (geteuid(), getegid())
    }
}
