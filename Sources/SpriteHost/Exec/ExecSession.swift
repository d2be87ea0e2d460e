import Foundation

/// What an attached client receives from a session.
enum SessionEvent: Sendable {
    case output(OutputStream, Data)
    case exit(Int32)
}

/// One running command (`sprites-api.md` §3.10): its process, its scrollback, and the clients
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
    private var subscribers: [UUID: AsyncStream<SessionEvent>.Continuation] = [:]
    private var attached = 0
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
    func start(argv: [String], environment: [String], rows: UInt16, cols: UInt16,
               onExit: @escaping @Sendable (ExecSession, Int32) -> Void) throws {
        let p = try SpawnedProcess(
            argv: argv, environment: environment, directory: nil, tty: tty, rows: rows, cols: cols,
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
        for t in targets { t.yield(.output(stream, data)) }
    }

    private func exited(_ code: Int32) {
        lock.lock()
        exitCode = code
        detachKill?.cancel()
        let targets = Array(subscribers.values)
        subscribers.removeAll()
        lock.unlock()
        for t in targets {
            t.yield(.exit(code))
            t.finish()
        }
    }

    /// Attaches a client: the scrollback so far (when `replay`), then live events, atomically.
    func subscribe(replay: Bool) -> (UUID, AsyncStream<SessionEvent>) {
        let key = UUID()
        var continuation: AsyncStream<SessionEvent>.Continuation!
        let stream = AsyncStream<SessionEvent>(bufferingPolicy: .unbounded) { continuation = $0 }
        lock.lock()
        if replay {
            if tty {
                let joined = scrollback.reduce(into: Data()) { $0.append($1.1) }
                if !joined.isEmpty { continuation.yield(.output(.stdout, joined)) }
            } else {
                for (s, d) in scrollback { continuation.yield(.output(s, d)) }
            }
        }
        if let code = exitCode {
            lock.unlock()
            continuation.yield(.exit(code))
            continuation.finish()
            return (key, stream)
        }
        subscribers[key] = continuation
        attached += 1
        detachKill?.cancel()
        detachKill = nil
        lock.unlock()
        return (key, stream)
    }

    /// Detaches a client; with nobody left, the process keeps running for
    /// `maxRunAfterDisconnect` (forever when nil), then gets SIGTERM.
    func unsubscribe(_ key: UUID) {
        lock.lock()
        let removed = subscribers.removeValue(forKey: key)
        if removed != nil { attached -= 1 }
        removed?.finish()
        if attached == 0, exitCode == nil, !tty {
            // nobody can send more input: let the process see end-of-file now
            process?.closeStdin()
        }
        if attached == 0, exitCode == nil, let limit = maxRunAfterDisconnect {
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

    /// The session list entry of §3.10.
    var json: [String: Any] {
        lock.lock()
        defer { lock.unlock() }
        return ["id": id, "command": command, "workdir": workdir, "created": Timestamp.format(created),
                "last_activity": Timestamp.format(lastActivity), "bytes_per_second": 0,
                "is_active": attached > 0, "tty": tty]
    }
}
