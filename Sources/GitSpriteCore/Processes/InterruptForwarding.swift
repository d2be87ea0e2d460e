import CTerminal
import Foundation
import SpriteSync
import SpritesAPI

/// Ctrl-C while `git sprite exec` runs a command without a terminal is for that command: it is
/// passed on (in-band where the service says it takes signals, `X-Sprite-Capabilities: signal`,
/// else through the session's kill), the command stops as it would here, and its status (130
/// for most) comes back as ours. git-sprite used to end at once, and the command ran on in the
/// sprite until the service's grace after a disconnect ended it. A second Ctrl-C ends
/// git-sprite as usual. (On a terminal, `-t`, Ctrl-C is a byte the sprite's terminal turns into
/// SIGINT.)
final class InterruptForwarding: @unchecked Sendable {
    private let client: any SpritesService
    private let sprite: String
    private let stream = Locked<ExecStream?>(nil)
    private let done = Locked(false)

    init(client: any SpritesService, sprite: String) {
        (self.client, self.sprite) = (client, sprite)
    }

    /// Called with the stream once it is open: from then on Ctrl-C goes to the command (before
    /// it, there is nothing to stop but us).
    func opened(_ exec: ExecStream) {
        stream.set(exec)
        // (retained for the thread until `stop` has waited for it)
        let context = Unmanaged.passRetained(self).toOpaque()
        let started = git_sprite_start_forwarding(
            { context in
                guard let context else { return }
                Unmanaged<InterruptForwarding>.fromOpaque(context).takeUnretainedValue().pass()
            }, context)
        if started != 0 {
            stream.set(nil)
            Unmanaged<InterruptForwarding>.fromOpaque(context).release()
        }
    }

    /// Ends the forwarding and waits for its thread; Ctrl-C ends us again.
    func stop() {
        guard stream.value != nil else { return }
        done.set(true)
        git_sprite_stop_forwarding()
        Unmanaged.passUnretained(self).release()
    }

    private func pass() {
        guard let exec = stream.value else { return }
        if exec.capabilities.contains("signal") {
            try? exec.signal("INT")
            return
        }
        // through the session's kill, which needs the session's id: the service says it first
        // thing, but a Ctrl-C may come before it
        var session = exec.sessionID
        for _ in 0..<100 where session == nil && !done.value {
            usleep(20_000)
            session = exec.sessionID
        }
        guard let session, let client = client as? SpritesClient else { return }
        // the timeout is how long the service waits before it escalates to SIGKILL (0s: at once):
        // the longest it takes, so that a command that cleans up on SIGINT may take its time,
        // as here (this request ends when the command does)
        _ = try? client.kill(sprite, session: session, signal: "INT", timeout: "3600s")
    }
}

/// For the SIGINT handler, first: whether Ctrl-C went to a command in the sprite (the handler
/// then returns without ending us); async-signal-safe.
public func passInterruptToTheSprite() -> Bool { git_sprite_pass_interrupt() != 0 }
