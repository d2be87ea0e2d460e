import CTerminal
import Foundation
import SpriteSync
import SpritesAPI

/// Ctrl-C while `git sprite exec` runs a command without a terminal is for that command: it is
/// passed on (in-band where the service says it takes signals, `X-Sprite-Capabilities: signal`,
/// else through the session's kill), the command stops as it would here, and its status (130
/// for most) comes back as ours. git-sprite used to end at once, and the command ran on in the
/// sprite until the service's grace after a disconnect ended it. A second Ctrl-C ends
/// git-sprite as usual. SIGTERM, SIGHUP and SIGQUIT end git-sprite, but the command gets the
/// same signal first. (On a terminal, `-t`, Ctrl-C is a byte the sprite's terminal turns into
/// SIGINT.)
///
/// Forwarding starts before the request: the service may start the command before its answer
/// reaches us, and a Ctrl-C during the handshake that ended us then left the command running
/// until that grace ended it. Such a Ctrl-C waits for the stream (saying so after a second),
/// and ends us as usual when none comes; a second Ctrl-C ends us at once.
final class InterruptForwarding: @unchecked Sendable {
    private let client: any SpritesService
    private let sprite: String
    private let stream = Locked<ExecStream?>(nil)
    private let done = Locked(false)
    private let running = Locked(false)
    private let interrupted = Locked(false)

    /// Whether a Ctrl-C went to the command.
    var passedInterrupt: Bool { interrupted.value }

    init(client: any SpritesService, sprite: String) {
        (self.client, self.sprite) = (client, sprite)
    }

    /// From now until `stop`, Ctrl-C (and the signals that end us) are for the command.
    func start() {
        // (retained for the thread until `stop` has waited for it)
        let context = Unmanaged.passRetained(self).toOpaque()
        let started = git_sprite_start_forwarding(
            { context, sig in
                guard let context else { return }
                Unmanaged<InterruptForwarding>.fromOpaque(context).takeUnretainedValue().pass(sig)
            }, context)
        if started == 0 {
            running.set(true)
        } else {
            Unmanaged<InterruptForwarding>.fromOpaque(context).release()
        }
    }

    /// Called with the stream once it is open.
    func opened(_ exec: ExecStream) {
        stream.set(exec)
    }

    /// Ends the forwarding and waits for its thread (a moment); Ctrl-C ends us again. A
    /// thread still inside a session kill (the service's kill lasts until the command ends,
    /// and a stream that dropped meanwhile left `exec` waiting for it for up to the kill's hour)
    /// keeps its reference and ends with the process.
    func stop() {
        guard running.value else { return }
        done.set(true)
        let ended = git_sprite_stop_forwarding(2000) == 0
        running.set(false)
        if ended { Unmanaged.passUnretained(self).release() }
    }

    private func pass(_ sig: Int32) {
        // the stream opens, or the request fails and `stop` comes: in milliseconds, or seconds
        // when the sprite wakes from cold or the machine is loaded (a bound of 5 s ended us
        // under CI's load, and the command never got its Ctrl-C); past the request's own limit,
        // the Ctrl-C is ours
        var found = awaiting(seconds: 1) { self.stream.value }
        if found == nil && !done.value {
            if sig == SIGINT {
                let note = "note: Ctrl-C goes to the command once it has started; press it again to quit now\n"
                _ = note.withCString { write(STDERR_FILENO, $0, strlen($0)) }
            }
            found = awaiting(seconds: Self.handshakeLimit) { self.stream.value }
        }
        guard let exec = found else {
            if sig == SIGINT { git_sprite_end_by_interrupt() }
            return
        }
        let name = Self.names[sig] ?? "INT"
        if sig == SIGINT { interrupted.set(true) }
        if exec.capabilities.contains("signal") {
            try? exec.signal(name)
            return
        }
        // through the session's kill, which needs the session's id: the service says it first
        // thing, but a Ctrl-C may come before it
        guard let session = awaiting(seconds: 2, { exec.sessionID }), let client = client as? SpritesClient
        else { return }
        // the timeout is how long the service waits before it escalates to SIGKILL (0s: at once):
        // the longest it takes, so that a command that cleans up on SIGINT may take its time,
        // as here (this request ends when the command does)
        _ = try? client.kill(sprite, session: session, signal: name, timeout: "3600s")
    }

    /// `value` once it is there, looked at every 20 ms for up to `seconds`, or until `stop`.
    private func awaiting<T>(seconds: Double, _ value: () -> T?) -> T? {
        var found = value()
        for _ in 0..<Int(seconds * 50) where found == nil && !done.value {
            usleep(20_000)
            found = value()
        }
        return found
    }

    /// Past the WebSocket handshake's own limit (30 s).
    private static let handshakeLimit = 40.0

    private static let names: [Int32: String] = [SIGINT: "INT", SIGTERM: "TERM", SIGHUP: "HUP", SIGQUIT: "QUIT"]
}

/// For the SIGINT handler, first: whether Ctrl-C went to a command in the sprite (the handler
/// then returns without ending us); async-signal-safe.
public func passInterruptToTheSprite() -> Bool { git_sprite_pass_interrupt() != 0 }

/// For the handlers of the signals that end us: the command in the sprite gets `sig` first
/// (waited for up to a second); async-signal-safe.
func passTerminationToTheSprite(_ sig: Int32) {
    _ = git_sprite_pass_termination(sig, 1000)
}
