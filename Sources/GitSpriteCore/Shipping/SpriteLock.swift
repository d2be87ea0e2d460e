import Foundation
import SpriteSync
import SpritesAPI

/// One `up` at a time per sprite. The lock lives in the sprite: `flock` on a file there, held
/// by a command whose stdin is a pipe of this process. It is released when `release()` closes
/// the pipe, or when this process dies: the server ends a disconnected command within a second
/// (`max_run_after_disconnect`), and a host restart ends every command. So a run killed at any
/// moment never leaves a lock behind, and no timing decides who holds it.
final class SpriteLock: @unchecked Sendable {
    static let path = SpritePaths.state + "/up.lock"
    /// How long a run waits for another to finish before it gives up.
    static let wait = 300

    /// No run held this lock before: nothing can have been shipped to the sprite yet.
    private(set) var first = false
    private let feed = Pipe()
    private let ended = DispatchSemaphore(value: 0)

    private init() {}

    /// Takes the lock of `shipper`'s sprite, waiting while another run holds it.
    static func acquire(
        _ shipper: Shipper, terminal: Terminal, identity: GitIdentity = GitIdentity()
    ) throws -> SpriteLock {
        let lock = SpriteLock()
        let state = Locked((locked: false, first: false, waiting: false, status: Int32?.none, error: Error?.none))
        let changed = DispatchSemaphore(value: 0)
        let request = ExecRequest(
            command: InSpriteScript.lock.argv([
                path, String(wait), SpritePaths.staging,
                identity.name ?? "", identity.email ?? "",
            ]),
            directory: SpritePaths.home, stdin: true, maxRunAfterDisconnect: "1s")
        let api = shipper.api, sprite = shipper.sprite
        let input = lock.feed.fileHandleForReading
        let thread = Thread {
            do {
                let status = try shipper.untilReady {
                    try api.exec(
                        sprite, request, input: input, inputData: nil,
                        stdout: { data in
                            let text = String(decoding: data, as: UTF8.self)
                            state.withLock {
                                if text.contains("waiting") { $0.waiting = true }
                                if text.contains("locked") {
                                    $0.locked = true
                                    $0.first = text.contains("locked first")
                                }
                            }
                            shipper.readiness.set(true)
                            changed.signal()
                        }, stderr: { _ in })
                }
                state.withLock { $0.status = status }
            } catch {
                state.withLock { $0.error = error }
            }
            changed.signal()
            lock.ended.signal()
        }
        thread.start()
        var said = false
        while true {
            changed.wait()
            let now = state.value
            if now.locked {
                lock.first = now.first
                return lock
            }
            if now.waiting && !said {
                terminal.note(
                    "note: another git sprite up is shipping to \(sprite); waiting for it (at most \(wait / 60) minutes)"
                )
                said = true
            }
            if let error = now.error { throw error }
            if let status = now.status {
                throw SpriteError(
                    status == 75
                        ? "another git sprite up has been shipping to \(sprite) for \(wait / 60) minutes"
                        : "could not take the lock in the sprite (exit \(status))",
                    hints: ["wait for it to finish, then run git sprite up again"])
            }
        }
    }

    /// Lets the next run go: the command holding the lock reads end of input and exits.
    func release() {
        try? feed.fileHandleForWriting.close()
        _ = ended.wait(timeout: .now() + 10)
    }
}
