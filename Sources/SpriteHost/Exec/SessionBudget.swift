import Foundation

/// How many exec sessions may run at once. A session holds a process in the sprite and, on
/// the host, its reader threads and scrollback until it ends; a TTY session with no client
/// runs until it exits, so without a cap a token holder could fill the host with them.
public struct SessionLimits: Sendable {
    public var perSprite: Int
    public var perHost: Int

    public init(perSprite: Int = 64, perHost: Int = 256) {
        (self.perSprite, self.perHost) = (perSprite, perHost)
    }
}

/// The host-wide count of running sessions, taken before a session starts and given back
/// when it ends.
final class SessionBudget: @unchecked Sendable {
    let limits: SessionLimits
    private let lock = NSLock()
    private var running = 0

    init(_ limits: SessionLimits) { self.limits = limits }

    /// Counts one more session of `sprite` (which has `running` already), or throws the
    /// refusal that names the limit and the way out.
    func take(sprite: String, running spriteRunning: Int) throws {
        lock.lock()
        defer { lock.unlock() }
        try refusal(sprite: sprite, running: spriteRunning)
        running += 1
    }

    /// Throws what `take` would throw now, taking nothing.
    func check(sprite: String, running spriteRunning: Int) throws {
        lock.lock()
        defer { lock.unlock() }
        try refusal(sprite: sprite, running: spriteRunning)
    }

    private func refusal(sprite: String, running spriteRunning: Int) throws {
        guard spriteRunning < limits.perSprite else {
            throw HostError(
                status: .conflict, code: "too_many_sessions",
                message: "sprite \(sprite) already runs \(spriteRunning) sessions, the most this host allows "
                    + "one sprite (--max-sessions-per-sprite); end one (list them: GET /v1/sprites/\(sprite)/exec)")
        }
        guard running < limits.perHost else {
            throw HostError(
                status: .conflict, code: "too_many_sessions",
                message: "this host already runs \(running) sessions, the most it allows (--max-sessions); "
                    + "end some, in any sprite")
        }
    }

    func give() {
        lock.lock()
        running -= 1
        lock.unlock()
    }
}
