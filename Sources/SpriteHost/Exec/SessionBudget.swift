import Foundation
import SpriteSync

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
final class SessionBudget: Sendable {
    let limits: SessionLimits
    /// Sessions running across the host.
    private let running = Locked(0)

    init(_ limits: SessionLimits) { self.limits = limits }

    /// Counts one more session of `sprite` (which has `running` already), or throws the
    /// refusal that names the limit and the way out.
    func take(sprite: String, running spriteRunning: Int) throws {
        try running.withLock { running in
            try refusal(sprite: sprite, running: spriteRunning, hostRunning: running)
            running += 1
        }
    }

    /// Throws what `take` would throw now, taking nothing.
    func check(sprite: String, running spriteRunning: Int) throws {
        try refusal(sprite: sprite, running: spriteRunning, hostRunning: running.value)
    }

    private func refusal(sprite: String, running spriteRunning: Int, hostRunning running: Int) throws {
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
        running.withLock { $0 -= 1 }
    }
}
