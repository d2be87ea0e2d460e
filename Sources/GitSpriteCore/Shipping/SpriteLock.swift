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

    /// The first look at a repository, run by the lock's own command once it is held, so it
    /// costs no round trip of its own. `arguments` are the probe's after the path; they are
    /// asked for while the lock's command is on its way (making them may take a while).
    struct Probe {
        let path: String
        let arguments: () throws -> [String]
    }

    /// No run held this lock before: nothing can have been shipped to the sprite yet.
    private(set) var first = false
    /// What the probe the lock ran found; nil when none ran or it failed (look again).
    private(set) var probed: Shipper.Probe?
    private let feed = Pipe()
    private let heard = Locked(Heard())
    /// Signalled whenever the command says something, and once it has ended.
    private let changed = DispatchSemaphore(value: 0)
    private let ended = DispatchSemaphore(value: 0)
    private let released = Locked(false)
    /// Asked for by `ask`: the command waits for `go`.
    private let gated: Bool
    /// `go` was written: the command may hold the lock.
    private let wentAhead = Locked(false)
    /// The sprite whose lock this is.
    let sprite: String
    private static let script = Data(InSpriteScript.probe.text.utf8)

    private init(sprite: String, gated: Bool) {
        self.sprite = sprite
        self.gated = gated
    }

    /// What the lock's command has said so far.
    private struct Heard {
        var pending = ""
        var waiting = false
        var locked = false
        var first = false
        /// This attempt runs the probe: the lock is not taken before its answer.
        var probing = false
        var probeLines: [String] = []
        var probeStatus: Int32?
        var status: Int32?
        var error: Error?

        mutating func hear(_ text: String) {
            pending += text
            while let newline = pending.firstIndex(of: "\n") {
                let line = String(pending[..<newline])
                pending = String(pending[pending.index(after: newline)...])
                if !locked {
                    if line == "waiting" { waiting = true }
                    if line == "locked" || line == "locked first" { (locked, first) = (true, line == "locked first") }
                } else if probing, probeStatus == nil {
                    if line.hasPrefix("probed=") {
                        probeStatus = Int32(line.dropFirst(7)) ?? -1
                    } else {
                        probeLines.append(line)
                    }
                }
            }
        }

        var held: Bool { locked && (!probing || probeStatus != nil) }
    }

    /// Takes the lock of `shipper`'s sprite, waiting while another run holds it; with `probe`,
    /// the lock's command looks at that repository once the lock is held.
    static func acquire(
        _ shipper: Shipper, terminal: Terminal, identity: GitIdentity = GitIdentity(), probe: Probe? = nil
    ) throws -> SpriteLock {
        let lock = SpriteLock(sprite: shipper.sprite, gated: false)
        lock.start(shipper, identity: identity, probePath: probe?.path)
        return try lock.held(probe: probe, terminal: terminal)
    }

    /// Asks for the lock of a sprite before it is known to be this repository's (while it is
    /// looked up), so that a re-run spends no round trip of its own on it. The command waits
    /// for `go` before it touches anything (it makes no file, takes no lock, writes no
    /// identity): `proceed` once the sprite is found to be this repository's, else `release()`.
    /// It is not retried: a sprite that cannot take it yet is locked again the usual way.
    static func ask(_ shipper: Shipper, identity: GitIdentity = GitIdentity(), probePath: String?) -> SpriteLock {
        let lock = SpriteLock(sprite: shipper.sprite, gated: true)
        lock.start(shipper, identity: identity, probePath: probePath)
        return lock
    }

    /// The sprite is this repository's: the lock asked for by `ask` is taken. nil when its
    /// command could not run (the caller takes the lock with `acquire`); `probe` must look at
    /// the path given to `ask`.
    func proceed(probe: Probe?, terminal: Terminal) throws -> SpriteLock? {
        // failed before `go`: the command never had it, so it holds nothing
        let failedBefore = heard.value.error != nil
        do {
            if !failedBefore {
                wentAhead.set(true)
                try feed.fileHandleForWriting.write(contentsOf: Data("go\n".utf8))
            }
            return try held(probe: probe, terminal: terminal)
        } catch {
            release()
            // the command never ran, or never had `go`: the lock is taken the usual way. A
            // stream lost after `go` is not retried (as a command already heard from is not):
            // the command may still hold the lock, and a second would wait for it.
            guard let failure = heard.value.error as? APIError else { throw error }
            if failedBefore { return nil }
            if case .http = failure { return nil }
            throw error
        }
    }

    /// Runs the lock's command on a thread of its own; `gated`, it waits for `go` first and is
    /// not retried (a retried command has lost its input: it takes the lock without looking).
    private func start(_ shipper: Shipper, identity: GitIdentity, probePath: String?) {
        let base = [Self.path, String(Self.wait), SpritePaths.staging, identity.name ?? "", identity.email ?? ""]
        let (api, sprite, input) = (shipper.api, shipper.sprite, feed.fileHandleForReading)
        let (heard, changed, ended) = (heard, changed, ended)
        let (script, gated) = (Self.script, gated)
        Thread {
            var attempt = 0
            func once() throws -> Int32 {
                attempt += 1
                let probing = probePath != nil && attempt == 1
                heard.withLock { $0 = Heard(probing: probing) }
                let argv =
                    base + (probing ? [String(script.count), probePath ?? ""] : ["", ""]) + (gated ? ["gated"] : [])
                let request = ExecRequest(
                    command: InSpriteScript.lock.argv(argv), directory: SpritePaths.home, stdin: true,
                    maxRunAfterDisconnect: "1s")
                return try api.exec(
                    sprite, request, input: input, inputData: nil,
                    stdout: { data in
                        heard.withLock { $0.hear(String(decoding: data, as: UTF8.self)) }
                        shipper.readiness.set(true)
                        changed.signal()
                    }, stderr: { _ in })
            }
            do {
                let status = try gated ? once() : shipper.untilReady(once)
                heard.withLock { $0.status = status }
            } catch {
                heard.withLock { $0.error = error }
            }
            changed.signal()
            ended.signal()
        }.start()
    }

    /// Gives the started command its probe and waits until the lock is held.
    private func held(probe: Probe?, terminal: Terminal) throws -> SpriteLock {
        if let probe {
            // the script first, then its arguments when they are known
            do {
                try feed.fileHandleForWriting.write(contentsOf: Self.script)
                let line = try probe.arguments().joined(separator: " ") + "\n"
                try feed.fileHandleForWriting.write(contentsOf: Data(line.utf8))
            } catch {
                release()
                throw error
            }
        }
        var said = false
        while true {
            changed.wait()
            let now = heard.value
            if now.held {
                first = now.first
                let answer = now.probeLines.joined(separator: "\n")
                if now.probeStatus == 0, ScriptOutput(answer)["state"] != nil {
                    probed = Shipper.parseProbe(answer)
                }
                return self
            }
            if now.waiting && !said {
                terminal.note(
                    "note: another git sprite up is shipping to \(sprite); waiting for it (at most \(Self.wait / 60) minutes)"
                )
                said = true
            }
            if let error = now.error { throw error }
            if let status = now.status {
                throw SpriteError(
                    status == 75
                        ? "another git sprite up has been shipping to \(sprite) for \(Self.wait / 60) minutes"
                        : "could not take the lock in the sprite (exit \(status))",
                    hints: ["wait for it to finish, then run git sprite up again"])
            }
        }
    }

    /// Lets the next run go: the command holding the lock reads end of input and exits, and is
    /// waited for (at most 10 s). A command that never had `go` exits having done nothing, and
    /// is not waited for. Once; later calls return.
    func release() {
        let already = released.withLock { done in
            defer { done = true }
            return done
        }
        guard !already else { return }
        try? feed.fileHandleForWriting.close()
        if !gated || wentAhead.value { _ = ended.wait(timeout: .now() + 10) }
    }
}
