import Foundation
import SpriteSync
import SpriteWire

/// What an attached client receives from a session.
enum SessionEvent: Sendable {
    case output(OutputStream, Data)
    case exit(Int32)

    var weight: Int {
        if case .output(_, let d) = self { return d.count }
        return 0
    }
}

/// One client's view of a session. The owner's channel applies back-pressure to the process
/// (its output waits for the owner to read); a client that attached later and falls 8 MiB
/// behind is disconnected instead, so it cannot hold up the owner.
final class SessionSubscription: Sendable {
    let key = UUID()
    let owner: Bool
    let channel: BoundedChannel<SessionEvent>

    init(owner: Bool) {
        self.owner = owner
        channel = BoundedChannel(limit: owner ? 1 << 20 : 8 << 20) { $0.weight }
    }

    /// The next event, or nil when the session ended or this client was dropped.
    func next() async -> SessionEvent? { await channel.next() }
}

/// One running command (Sprites API): its process, its scrollback, and the clients
/// attached to it. The id is the process id as a decimal string (with a suffix in the rare
/// case that it names a session still listed: `SpriteRuntime.startSession`).
final class ExecSession: Sendable {
    let command: String
    let workdir: String
    let tty: Bool
    let created = Date()
    private struct State {
        var id = ""
        var lastActivity = Date()
        var process: SpawnedProcess?
        var exitCode: Int32?
        var scrollback: [(OutputStream, Data)] = []
        var scrollbackBytes = 0
        var subscribers: [UUID: SessionSubscription] = [:]
        var detachKill: DispatchWorkItem?
        /// Counts attaches: a SIGKILL planned while nobody was attached is for that time alone
        /// (one planned before a re-attach killed the process after the next detach, early).
        var attaches = 0
    }
    private let state = Locked(State())
    var id: String { state.withLock { $0.id } }

    /// Gives the session another id before anyone has seen it (the runtime's table had one).
    func rename(_ id: String) {
        state.withLock { $0.id = id }
    }
    var lastActivity: Date { state.withLock { $0.lastActivity } }
    var process: SpawnedProcess? { state.withLock { $0.process } }
    var exitCode: Int32? { state.withLock { $0.exitCode } }
    /// How long the process may run with no client attached; nil = forever.
    let maxRunAfterDisconnect: TimeInterval?
    static let scrollbackLimit = 256 * 1024

    init(command: String, workdir: String, tty: Bool, maxRunAfterDisconnect: TimeInterval?) {
        self.command = command
        self.workdir = workdir
        self.tty = tty
        self.maxRunAfterDisconnect = maxRunAfterDisconnect
    }

    /// Starts the process; `onExit` runs after the last output was delivered.
    func start(_ request: SpawnRequest, onExit: @escaping @Sendable (ExecSession, Int32) -> Void) throws {
        let p = try SpawnedProcess(
            request,
            onOutput: { [weak self] stream, data in self?.emit(stream, data) },
            onExit: { [weak self] code in
                guard let self else { return }
                self.exited(code)
                onExit(self, code)
            })
        state.withLock { s in
            s.process = p
            s.id = String(p.pid)
        }
    }

    /// Called on the process's output thread: keeps the scrollback, and hands the chunk to
    /// every client, waiting for owners that are behind.
    private func emit(_ stream: OutputStream, _ data: Data) {
        let targets = state.withLock { s in
            s.lastActivity = Date()
            s.scrollback.append((stream, data))
            s.scrollbackBytes += data.count
            while s.scrollbackBytes > Self.scrollbackLimit, !s.scrollback.isEmpty {
                s.scrollbackBytes -= s.scrollback.removeFirst().1.count
            }
            return Array(s.subscribers.values)
        }
        for t in targets {
            if t.owner {
                t.channel.send(.output(stream, data))
            } else if !t.channel.trySend(.output(stream, data)) {
                unsubscribe(t.key)
            }
        }
    }

    private func exited(_ code: Int32) {
        let targets = state.withLock { s in
            s.exitCode = code
            s.detachKill?.cancel()
            let taken = Array(s.subscribers.values)
            s.subscribers.removeAll()
            return taken
        }
        for t in targets {
            // an owner gets the exit even when it is behind; a dropped client gets nothing
            if t.owner { t.channel.send(.exit(code)) } else { _ = t.channel.trySend(.exit(code)) }
            t.channel.finish()
        }
    }

    /// Attaches a client: the scrollback so far (when `replay`), then live events, atomically.
    func subscribe(replay: Bool, owner: Bool) -> SessionSubscription {
        let sub = SessionSubscription(owner: owner)
        // the exit code when the session has ended already (then `sub` is not kept)
        let ended = state.withLock { s -> Int32? in
            if replay {
                if tty {
                    let joined = s.scrollback.reduce(into: Data()) { $0.append($1.1) }
                    if !joined.isEmpty { _ = sub.channel.trySend(.output(.stdout, joined)) }
                } else {
                    for (stream, d) in s.scrollback { _ = sub.channel.trySend(.output(stream, d)) }
                }
            }
            if let code = s.exitCode { return code }
            s.subscribers[sub.key] = sub
            s.attaches += 1
            s.detachKill?.cancel()
            s.detachKill = nil
            return nil
        }
        if let code = ended {
            _ = sub.channel.trySend(.exit(code))
            sub.channel.finish()
        }
        return sub
    }

    /// Detaches a client; with nobody left, the process keeps running for
    /// `maxRunAfterDisconnect` (forever when nil), then is ended (`endLeftAlone`).
    func unsubscribe(_ key: UUID) {
        state.withLock { s in
            let removed = s.subscribers.removeValue(forKey: key)
            removed?.channel.cancel()
            let nobody = s.subscribers.isEmpty
            if nobody, s.exitCode == nil, !tty, removed != nil {
                // nobody can send more input: let the process see end-of-file now
                s.process?.closeStdin()
            }
            if nobody, s.exitCode == nil, removed != nil, let limit = maxRunAfterDisconnect {
                // (runs later, on another thread: it takes the lock itself)
                let item = DispatchWorkItem { [weak self] in self?.endLeftAlone() }
                s.detachKill = item
                DispatchQueue.global().asyncAfter(deadline: .now() + limit, execute: item)
            }
        }
    }

    /// Ends a process nobody came back for: a terminal's is sent what a closed terminal sends
    /// (SIGHUP: an interactive shell ignores SIGTERM, and kept running for good), any SIGTERM,
    /// and what still runs `killAfter` later, with nobody attached again, SIGKILL.
    private func endLeftAlone() {
        if tty { process?.signal(SIGHUP) }
        process?.signal(SIGTERM)
        let attaches = state.withLock { $0.attaches }
        DispatchQueue.global().asyncAfter(deadline: .now() + Self.killAfter) { [weak self] in
            guard let self,
                self.state.withLock({ $0.exitCode == nil && $0.subscribers.isEmpty && $0.attaches == attaches })
            else { return }
            self.process?.signal(SIGKILL)
        }
    }

    static let killAfter: TimeInterval = 10

    func touch() {
        state.withLock { $0.lastActivity = Date() }
    }

    /// The session list entry of `GET /v1/sprites/{name}/exec`.
    var entry: ExecSessionEntry {
        state.withLock { s in
            ExecSessionEntry(
                id: s.id, command: command, workdir: workdir, created: Timestamp.format(created),
                lastActivity: Timestamp.format(s.lastActivity), isActive: !s.subscribers.isEmpty, tty: tty)
        }
    }
}
