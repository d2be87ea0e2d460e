import Foundation
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
/// attached to it. The id is the process id as a decimal string.
final class ExecSession: @unchecked Sendable {
    let command: String
    let workdir: String
    let tty: Bool
    let created = Date()
    private(set) var id = ""
    private(set) var lastActivity = Date()
    private(set) var process: SpawnedProcess?
    private(set) var exitCode: Int32?
    private var scrollback: [(OutputStream, Data)] = []
    private var scrollbackBytes = 0
    private var subscribers: [UUID: SessionSubscription] = [:]
    private var detachKill: DispatchWorkItem?
    /// How long the process may run with no client attached; nil = forever.
    let maxRunAfterDisconnect: TimeInterval?
    private let lock = NSLock()
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
        lock.lock()
        process = p
        id = String(p.pid)
        lock.unlock()
    }

    /// Called on the process's output thread: keeps the scrollback, and hands the chunk to
    /// every client, waiting for owners that are behind.
    private func emit(_ stream: OutputStream, _ data: Data) {
        lock.lock()
        lastActivity = Date()
        scrollback.append((stream, data))
        scrollbackBytes += data.count
        while scrollbackBytes > Self.scrollbackLimit, !scrollback.isEmpty {
            scrollbackBytes -= scrollback.removeFirst().1.count
        }
        let targets = Array(subscribers.values)
        lock.unlock()
        for t in targets {
            if t.owner {
                t.channel.send(.output(stream, data))
            } else if !t.channel.trySend(.output(stream, data)) {
                unsubscribe(t.key)
            }
        }
    }

    private func exited(_ code: Int32) {
        lock.lock()
        exitCode = code
        detachKill?.cancel()
        let targets = Array(subscribers.values)
        subscribers.removeAll()
        lock.unlock()
        for t in targets {
            // an owner gets the exit even when it is behind; a dropped client gets nothing
            if t.owner { t.channel.send(.exit(code)) } else { _ = t.channel.trySend(.exit(code)) }
            t.channel.finish()
        }
    }

    /// Attaches a client: the scrollback so far (when `replay`), then live events, atomically.
    func subscribe(replay: Bool, owner: Bool) -> SessionSubscription {
        let sub = SessionSubscription(owner: owner)
        lock.lock()
        if replay {
            if tty {
                let joined = scrollback.reduce(into: Data()) { $0.append($1.1) }
                if !joined.isEmpty { _ = sub.channel.trySend(.output(.stdout, joined)) }
            } else {
                for (s, d) in scrollback { _ = sub.channel.trySend(.output(s, d)) }
            }
        }
        if let code = exitCode {
            lock.unlock()
            _ = sub.channel.trySend(.exit(code))
            sub.channel.finish()
            return sub
        }
        subscribers[sub.key] = sub
        detachKill?.cancel()
        detachKill = nil
        lock.unlock()
        return sub
    }

    /// Detaches a client; with nobody left, the process keeps running for
    /// `maxRunAfterDisconnect` (forever when nil), then gets SIGTERM.
    func unsubscribe(_ key: UUID) {
        lock.lock()
        let removed = subscribers.removeValue(forKey: key)
        removed?.channel.cancel()
        let nobody = subscribers.isEmpty
        if nobody, exitCode == nil, !tty, removed != nil {
            // nobody can send more input: let the process see end-of-file now
            process?.closeStdin()
        }
        if nobody, exitCode == nil, removed != nil, let limit = maxRunAfterDisconnect {
            let item = DispatchWorkItem { [weak self] in self?.process?.signal(SIGTERM) }
            detachKill = item
            DispatchQueue.global().asyncAfter(deadline: .now() + limit, execute: item)
        }
        lock.unlock()
    }

    func touch() {
        lock.lock()
        lastActivity = Date()
        lock.unlock()
    }

    /// The session list entry of `GET /v1/sprites/{name}/exec`.
    var entry: ExecSessionEntry {
        lock.lock()
        defer { lock.unlock() }
        return ExecSessionEntry(
            id: id, command: command, workdir: workdir, created: Timestamp.format(created),
            lastActivity: Timestamp.format(lastActivity), isActive: !subscribers.isEmpty, tty: tty)
    }
}
