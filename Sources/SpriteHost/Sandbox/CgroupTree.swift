import Foundation
import SpriteSync

#if canImport(Glibc)
    import Glibc
#endif

/// Why resource limits cannot be enforced on this machine.
struct CgroupUnavailable: Error {
    let message: String
}

/// The cgroups sprite-host made for its sprites, under its own cgroup: one group per sprite with
/// a CPU quota (`cpus`), a memory limit (`ram_mb`) and a process limit. cgroup v1 (one directory
/// per controller) and v2 (one unified directory) are both handled.
final class CgroupTree: Sendable {
    /// Processes a sprite may have at once (a fork bomb stays inside its sprite).
    static let pidsLimit = 4096

    private enum Layout {
        /// controller → the host's directory for it
        case v1([String: String])
        case v2(String)
    }

    private let layout: Layout
    /// For the sprite object and `git sprite up --local`: what is enforced, and how.
    let summary: String
    /// Where the host moves itself on exit so that its own groups can go: the group it started
    /// in (v1), or the hierarchy's root (v2, whose inner groups may not hold processes).
    private let exitGroups: [String]

    private init(layout: Layout, summary: String, exitGroups: [String]) {
        self.layout = layout
        self.summary = summary
        self.exitGroups = exitGroups
    }

    static func make(hostID: String) -> Result<CgroupTree, CgroupUnavailable> {
        let name = "sprite-host-" + hostID.prefix(8)
        let membership = ProcFile.read("/proc/self/cgroup") ?? ""
        let mounts = ProcFile.read("/proc/self/mountinfo") ?? ""
        var v1Paths: [String: String] = [:]
        var v2Path: String?
        for line in membership.split(separator: "\n") {
            let parts = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
            guard parts.count == 3 else { continue }
            let path = outsideHostGroups(String(parts[2]))
            if parts[0] == "0" && parts[1].isEmpty { v2Path = path }
            for controller in parts[1].split(separator: ",") { v1Paths[String(controller)] = path }
        }
        var v1Mounts: [String: String] = [:]
        var v2Mount: String?
        for line in mounts.split(separator: "\n") {
            // id parent major:minor root mountpoint options ... - fstype source superoptions
            let halves = line.components(separatedBy: " - ")
            guard halves.count == 2 else { continue }
            let left = halves[0].split(separator: " "), right = halves[1].split(separator: " ")
            guard left.count >= 5, right.count >= 3 else { continue }
            let point = String(left[4])
            if right[0] == "cgroup2" { v2Mount = point }
            if right[0] == "cgroup" {
                for option in right[2].split(separator: ",") where ["cpu", "memory", "pids"].contains(String(option)) {
                    v1Mounts[String(option)] = point
                }
            }
        }
        if let cpu = v1Mounts["cpu"], let memory = v1Mounts["memory"],
            let cpuPath = v1Paths["cpu"], let memoryPath = v1Paths["memory"]
        {
            var dirs = ["cpu": cpu + cpuPath, "memory": memory + memoryPath]
            if let pids = v1Mounts["pids"], let pidsPath = v1Paths["pids"] { dirs["pids"] = pids + pidsPath }
            var made: [String: String] = [:]
            for (controller, dir) in dirs {
                sweep(parent: clean(dir), keeping: name)
                let base = clean(dir) + "/" + name
                // the host lives in a leaf of its own group: while it runs, the group is visibly taken
                guard claim(base) else {
                    if controller == "pids" { continue }
                    return .failure(
                        CgroupUnavailable(
                            message: "cannot create a \(controller) cgroup under \(clean(dir)): "
                                + String(cString: strerror(errno))))
                }
                made[controller] = base
            }
            let list = made.keys.sorted().joined(separator: ", ")
            let back = made.keys.compactMap { dirs[$0].map { clean($0) + "/cgroup.procs" } }
            return .success(CgroupTree(layout: .v1(made), summary: "cgroup v1 (\(list))", exitGroups: back))
        }
        if let mount = v2Mount, let path = v2Path {
            return makeV2(own: clean(mount + path), name: name, root: clean(mount))
        }
        return .failure(CgroupUnavailable(message: "no cgroup hierarchy with the cpu and memory controllers"))
    }

    /// cgroup v2 allows controllers only in groups without processes of their own: the host
    /// moves itself into a leaf (`<own>/<name>/host`) and puts sprites beside it.
    private static func makeV2(own: String, name: String, root: String) -> Result<CgroupTree, CgroupUnavailable> {
        sweep(parent: own, keeping: name)
        let base = own + "/" + name
        guard claim(base) else {
            return .failure(
                CgroupUnavailable(
                    message: "cannot create a cgroup under \(own) and move sprite-host into it: "
                        + String(cString: strerror(errno))))
        }
        for dir in [own, base] {
            guard write("+cpu +memory +pids\n", to: dir + "/cgroup.subtree_control") else {
                return .failure(CgroupUnavailable(message: "cannot delegate cpu, memory and pids below \(dir)"))
            }
        }
        return .success(
            CgroupTree(
                layout: .v2(base), summary: "cgroup v2 (cpu, memory, pids)",
                exitGroups: [root + "/cgroup.procs"]))
    }

    /// The group a host makes its own beside, never inside another host's: a host started by a
    /// process that lives in a host's leaf (`…/sprite-host-<id>/host`) would otherwise nest its
    /// groups there, one level deeper with each such start, and lose them when that host goes.
    static func outsideHostGroups(_ path: String) -> String {
        var parts = path.split(separator: "/", omittingEmptySubsequences: true)
        while parts.count >= 2, parts[parts.count - 1] == "host", parts[parts.count - 2].hasPrefix("sprite-host-") {
            parts.removeLast(2)
        }
        return "/" + parts.joined(separator: "/")
    }

    private static func clean(_ path: String) -> String {
        var p = path
        while p.hasSuffix("/") && p.count > 1 { p.removeLast() }
        return p
    }

    @discardableResult
    private static func write(_ text: String, to path: String) -> Bool {
        let fd = open(path, O_WRONLY | O_CLOEXEC)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        return text.withCString { Glibc.write(fd, $0, strlen($0)) } == text.utf8.count
    }

    /// A sprite's group beside the host's leaf: prefixed, so that no sprite name (`host`)
    /// names the leaf the host itself runs in, whose limits would then be that sprite's.
    private static func group(_ sprite: String) -> String { "sprite-" + sprite }

    /// Makes (or updates) the sprite's groups and returns the files a process writes `0` to in
    /// order to join them. In v1 that is `tasks`, which moves the writing thread alone (every
    /// writer is single-threaded sprite-enter): a write to `cgroup.procs` moves a whole
    /// thread group under a lock whose first taking waits for an RCU grace period, 9-26 ms on
    /// one exec in five here (bench/RESULTS.md). v2 has only `cgroup.procs`.
    func prepare(sprite: String, cpus: Int, ramMB: Int) throws -> [String] {
        let sprite = Self.group(sprite)
        let quota = String(cpus * 100_000)
        let bytes = String(ramMB * 1024 * 1024)
        var procs: [String] = []
        let join: String
        switch layout {
        case .v1: join = "/tasks"
        case .v2: join = "/cgroup.procs"
        }
        func make(_ dir: String, _ settings: [(String, String)]) throws {
            if mkdir(dir, 0o755) != 0 && errno != EEXIST {
                throw HostError.internalError("cannot create the cgroup \(dir): \(String(cString: strerror(errno)))")
            }
            for (file, value) in settings where !Self.write(value + "\n", to: dir + "/" + file) {
                throw HostError.internalError("cannot set \(dir)/\(file) to \(value)")
            }
            procs.append(dir + join)
        }
        switch layout {
        case .v1(let dirs):
            if let cpu = dirs["cpu"] {
                try make(cpu + "/" + sprite, [("cpu.cfs_period_us", "100000"), ("cpu.cfs_quota_us", quota)])
            }
            if let memory = dirs["memory"] { try make(memory + "/" + sprite, [("memory.limit_in_bytes", bytes)]) }
            if let pids = dirs["pids"] { try make(pids + "/" + sprite, [("pids.max", String(Self.pidsLimit))]) }
        case .v2(let base):
            try make(
                base + "/" + sprite,
                [
                    ("cpu.max", "\(quota) 100000"), ("memory.max", bytes),
                    ("pids.max", String(Self.pidsLimit)),
                ])
        }
        return procs
    }

    /// Makes `base` and its `host` leaf and moves the host there. Another host's sweep may take
    /// a group that has no process yet, so a vanished directory is made again.
    private static func claim(_ base: String) -> Bool {
        for _ in 0..<5 {
            guard mkdir(base, 0o755) == 0 || errno == EEXIST else { return false }
            guard mkdir(base + "/host", 0o755) == 0 || errno == EEXIST else {
                if errno == ENOENT { continue }
                return false
            }
            if write("\(getpid())\n", to: base + "/host/cgroup.procs") { return true }
            if errno != ENOENT { return false }
        }
        return false
    }

    /// Removes the groups of hosts that are gone: a `sprite-host-*` group beside ours whose
    /// `host` leaf holds no process (or that has no leaf, as groups of older hosts) loses every
    /// group inside it that holds no process. The kernel refuses to remove a group with a
    /// process in it, so nothing that runs is touched.
    private static func sweep(parent: String, keeping own: String) {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: parent) else { return }
        for name in names where name.hasPrefix("sprite-host-") && name != own {
            let dir = parent + "/" + name
            let leaf = (try? String(contentsOfFile: dir + "/host/cgroup.procs", encoding: .utf8)) ?? ""
            guard leaf.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else { continue }
            removeTree(dir)
        }
    }

    /// Removes `dir` and the groups inside it, deepest first, as far as the kernel lets it.
    private static func removeTree(_ dir: String) {
        if let names = try? FileManager.default.contentsOfDirectory(atPath: dir) {
            for name in names {
                var st = stat()
                let path = dir + "/" + name
                if lstat(path, &st) == 0, st.st_mode & S_IFMT == S_IFDIR { removeTree(path) }
            }
        }
        rmdir(dir)
    }

    /// On the host's way out, once every sprite has stopped: the host leaves its leaf and
    /// removes all its groups. What cannot go (a process that would not die) stays for the
    /// next host's sweep.
    func removeAll() {
        for procs in exitGroups { Self.write("\(getpid())\n", to: procs) }
        switch layout {
        case .v1(let all): all.values.forEach(Self.removeTree)
        case .v2(let base): Self.removeTree(base)
        }
    }

    /// Removes the sprite's groups (once its processes are gone).
    func remove(sprite: String) {
        let sprite = Self.group(sprite)
        let dirs: [String]
        switch layout {
        case .v1(let all): dirs = all.values.map { $0 + "/" + sprite }
        case .v2(let base): dirs = [base + "/" + sprite]
        }
        for dir in dirs {
            for _ in 0..<50 where rmdir(dir) != 0 && errno == EBUSY { usleep(20_000) }
        }
    }
}
