import Foundation

/// The `.lock` files git left on refs of git-sprite's own: git holds a ref's lock for the
/// moment of the update and removes it when it ends or is stopped, but not when it dies before
/// it has set its handlers (or is killed outright: SIGKILL, a power cut). Such a lock failed
/// every fetch of that sprite from then on ("cannot lock ref … File exists").
enum StaleRefLocks {
    /// A lock older than this was left by a git that did not live to remove it.
    static let age: TimeInterval = 60

    /// Removes the stale lock of each of `refs` under `commonDir` and returns the refs whose
    /// lock went. Only names git could have made for these refs count: under `refs/`, no empty,
    /// `.` or `..` component (the names come from the sprite, which is not to reach anything
    /// else), and only regular files.
    static func remove(_ refs: [String], commonDir: String, now: Date = Date()) -> [String] {
        refs.filter { ref in
            let parts = ref.split(separator: "/", omittingEmptySubsequences: false)
            guard ref.hasPrefix("refs/"), !parts.contains(where: { $0.isEmpty || $0 == "." || $0 == ".." }) else {
                return false
            }
            let lock = commonDir + "/" + ref + ".lock"
            guard let attributes = try? FileManager.default.attributesOfItem(atPath: lock),
                attributes[.type] as? FileAttributeType == .typeRegular,
                let modified = attributes[.modificationDate] as? Date, now.timeIntervalSince(modified) > age
            else { return false }
            return (try? FileManager.default.removeItem(atPath: lock)) != nil
        }
    }
}
