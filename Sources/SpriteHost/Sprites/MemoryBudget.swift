import Foundation
import SpriteSync

/// Memory admission: the memory limits (`ram_mb`) of the sprites running at once may add up to
/// a share of the host's memory (`--memory-share`, percent; 200 by default, because a limit is
/// a ceiling a sprite rarely reaches, not a reservation). A sprite that would go past it does
/// not start: the request that would have started it gets 409 with the figures. Only where
/// limits are enforced (cgroups, a root host): elsewhere a limit means nothing to add up.
final class MemoryBudget: Sendable {
    /// The most the running sprites' limits may add up to, in MiB.
    let totalMB: Int
    let sharePercent: Int
    let hostMB: Int
    /// Each running sprite's limit, in MiB.
    private let held = Locked<[String: Int]>([:])

    init(sharePercent: Int, hostMB: Int = MemoryBudget.hostMemoryMB()) {
        (self.sharePercent, self.hostMB) = (sharePercent, hostMB)
        totalMB = hostMB * sharePercent / 100
    }

    /// Counts `sprite`'s limit among the running ones, or throws why it cannot start.
    func admit(_ sprite: String, ramMB: Int) throws {
        try held.withLock { held in
            if held[sprite] != nil { return }
            let others = held.values.reduce(0, +)
            guard others + ramMB <= totalMB else {
                throw HostError(
                    status: .conflict, code: "insufficient_memory",
                    message: "sprite \(sprite) cannot start: it asks for \(ramMB) MB and the running sprites' "
                        + "limits already add up to \(others) MB of the \(totalMB) MB this host allows "
                        + "(\(sharePercent)% of its \(hostMB) MB, --memory-share); let one go cold "
                        + "(git sprite down) or give this one less memory")
            }
            held[sprite] = ramMB
        }
    }

    /// The sprite stopped: its limit no longer counts.
    func release(_ sprite: String) {
        held.withLock { _ = $0.removeValue(forKey: sprite) }
    }

    /// `MemTotal` of `/proc/meminfo`, in MiB.
    static func hostMemoryMB() -> Int {
        let info = ProcFile.read("/proc/meminfo") ?? ""
        let line = info.split(separator: "\n").first { $0.hasPrefix("MemTotal:") } ?? ""
        return (Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0) / 1024
    }
}
