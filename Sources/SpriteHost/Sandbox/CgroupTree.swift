import Foundation
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

    private init(layout: Layout, summary: String) {
        self.layout = layout
        self.summary = summary
    }

    static func make(hostID: String) -> Result<CgroupTree, CgroupUnavailable> {
        let name = "sprite-host-" + hostID.prefix(8)
        let membership = (try? String(contentsOfFile: "/proc/self/cgroup", encoding: .utf8)) ?? ""
        let mounts = (try? String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8)) ?? ""
        var v1Paths: [String: String] = [:]
        var v2Path: String?
        for line in membership.split(separator: "\n") {
            let parts = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
            guard parts.count == 3 else { continue }
            if parts[0] == "0" && parts[1].isEmpty { v2Path = String(parts[2]) }
            for controller in parts[1].split(separator: ",") { v1Paths[String(controller)] = String(parts[2]) }
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
           let cpuPath = v1Paths["cpu"], let memoryPath = v1Paths["memory"] {
            var dirs = ["cpu": cpu + cpuPath, "memory": memory + memoryPath]
            if let pids = v1Mounts["pids"], let pidsPath = v1Paths["pids"] { dirs["pids"] = pids + pidsPath }
            var made: [String: String] = [:]
            for (controller, dir) in dirs {
                let base = clean(dir) + "/" + name
                if mkdir(base, 0o755) != 0 && errno != EEXIST {
                    if controller == "pids" { continue }
                    return .failure(CgroupUnavailable(message: "cannot create a \(controller) cgroup under \(clean(dir)): "
                                                      + String(cString: strerror(errno))))
                }
                made[controller] = base
            }
            let list = made.keys.sorted().joined(separator: ", ")
            return .success(CgroupTree(layout: .v1(made), summary: "cgroup v1 (\(list))"))
        }
        if let mount = v2Mount, let path = v2Path {
            return makeV2(own: clean(mount + path), name: name)
        }
        return .failure(CgroupUnavailable(message: "no cgroup hierarchy with the cpu and memory controllers"))
    }

    /// cgroup v2 allows controllers only in groups without processes of their own: the host
    /// moves itself into a leaf (`<own>/<name>/host`) and puts sprites beside it.
    private static func makeV2(own: String, name: String) -> Result<CgroupTree, CgroupUnavailable> {
        let base = own + "/" + name
        let leaf = base + "/host"
        for dir in [base, leaf] where mkdir(dir, 0o755) != 0 && errno != EEXIST {
            return .failure(CgroupUnavailable(message: "cannot create a cgroup under \(own): " + String(cString: strerror(errno))))
        }
        guard write("\(getpid())\n", to: leaf + "/cgroup.procs") else {
            return .failure(CgroupUnavailable(message: "cannot move sprite-host into \(leaf)"))
        }
        for dir in [own, base] {
            guard write("+cpu +memory +pids\n", to: dir + "/cgroup.subtree_control") else {
                return .failure(CgroupUnavailable(message: "cannot delegate cpu, memory and pids below \(dir)"))
            }
        }
        return .success(CgroupTree(layout: .v2(base), summary: "cgroup v2 (cpu, memory, pids)"))
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

    /// Makes (or updates) the sprite's groups and returns the `cgroup.procs` files that a process
    /// writes to in order to join them.
    func prepare(sprite: String, cpus: Int, ramMB: Int) throws -> [String] {
        let quota = String(cpus * 100_000)
        let bytes = String(ramMB * 1024 * 1024)
        var procs: [String] = []
        func make(_ dir: String, _ settings: [(String, String)]) throws {
            if mkdir(dir, 0o755) != 0 && errno != EEXIST {
                throw HostError.internalError("cannot create the cgroup \(dir): \(String(cString: strerror(errno)))")
            }
            for (file, value) in settings where !Self.write(value + "\n", to: dir + "/" + file) {
                throw HostError.internalError("cannot set \(dir)/\(file) to \(value)")
            }
            procs.append(dir + "/cgroup.procs")
        }
        switch layout {
        case .v1(let dirs):
            if let cpu = dirs["cpu"] { try make(cpu + "/" + sprite, [("cpu.cfs_period_us", "100000"), ("cpu.cfs_quota_us", quota)]) }
            if let memory = dirs["memory"] { try make(memory + "/" + sprite, [("memory.limit_in_bytes", bytes)]) }
            if let pids = dirs["pids"] { try make(pids + "/" + sprite, [("pids.max", String(Self.pidsLimit))]) }
        case .v2(let base):
            try make(base + "/" + sprite, [("cpu.max", "\(quota) 100000"), ("memory.max", bytes),
                                           ("pids.max", String(Self.pidsLimit))])
        }
        return procs
    }

    /// Removes the sprite's groups (once its processes are gone).
    func remove(sprite: String) {
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
