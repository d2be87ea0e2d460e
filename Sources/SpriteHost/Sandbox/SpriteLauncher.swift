import CSpriteHost
import Foundation
import SpriteSync

#if canImport(Glibc)
    import Glibc
#endif

/// Starts a sprite's commands through its PID 1 (`sprite-enter init`, launch.c), which already
/// is all a command must be: in the sprite's namespaces and cgroups, its user, no capability,
/// the system-call filter. A fork and an exec there replace a `sprite-enter run` started from
/// the host, its eight namespace joins, three cgroup moves and the filter compiled again.
/// One thread reads PID 1's replies; the socket is PID 1's alone (sprite_launch.h).
final class SpriteLauncher: @unchecked Sendable {
    /// A command PID 1 started: its number here and its PID in the sprite.
    struct Started {
        let id: UInt32
        let pid: pid_t
    }

    /// An errno value PID 1 answered with.
    private struct Failure: Error {
        let code: Int32
        init(_ code: Int32) { self.code = code }
    }

    private final class Request: @unchecked Sendable {
        let onExit: @Sendable (Int32) -> Void
        let answered = DispatchSemaphore(value: 0)
        var answer: Result<Started, Failure>?
        /// Its caller stopped waiting: should PID 1 start it after all, it is killed.
        var abandoned = false
        init(onExit: @escaping @Sendable (Int32) -> Void) { self.onExit = onExit }
    }

    private struct State {
        var nextID: UInt32 = 1
        var requests: [UInt32: Request] = [:]
        /// PID 1 refused for good (what it would start would inherit limits a process of the
        /// sprite changed in it): commands start another way from then on.
        var refusing = false
        /// PID 1 is gone, or this object is: nothing more goes through the socket.
        var closed = false
        /// The reader closed the socket (under the lock): its number may name another file now.
        var socketClosed = false
    }

    private let socket: Int32
    private let state = Locked(State())
    /// Sends signals in order, waiting while PID 1's queue is full (it is slow then): a kill
    /// is never dropped, and never holds up the caller.
    private let signals = DispatchQueue(label: "launcher-signals")

    /// Takes the host's end of the pair whose other end PID 1 was given.
    init(socket: Int32) {
        self.socket = socket
        let thread = Thread { [state, socket, signals] in Self.readReplies(socket, state, signals) }
        thread.name = "launcher"
        thread.start()
    }

    deinit {
        // wakes the reader, which closes the socket once it has settled what was pending
        state.withLock { s in
            s.closed = true
            if !s.socketClosed { shutdown(socket, Int32(SHUT_RDWR)) }
        }
    }

    /// Starts `argv` in `directory` with `environment`, `stdio` as its descriptors 0, 1 and 2.
    /// `onExit` gets its wait status once it has ended (SIGKILL's when the sprite stopped under
    /// it). Nil when PID 1 does not start it (gone, refusing, a fork that failed, a command too
    /// large for one message): the caller starts it through `sprite-enter run`, which says why
    /// when it cannot either. Throws when PID 1 has not answered within `timeout`: it will not
    /// start the command after that (the request carries the deadline).
    func start(
        _ argv: [String], directory: String, environment: [String], stdio: [Int32], timeout: TimeInterval = 10,
        onExit: @escaping @Sendable (Int32) -> Void
    ) throws -> Started? {
        var body = [UInt8]()
        for text in [directory] + argv + environment {
            body += text.utf8
            body.append(0)
        }
        guard !argv.isEmpty, body.count <= Int(LAUNCH_MAX_REQUEST) else { return nil }
        let request = Request(onExit: onExit)
        // PID 1 refuses what it reads later than this; the wait here lasts a little longer,
        // so a start it did make is never taken for one it did not
        let deadline = launch_monotonic_ns() + UInt64(max(0, timeout - 2) * 1e9)
        let sent: UInt32? = state.withLock { s in
            guard !s.closed, !s.refusing else { return nil }
            let id = s.nextID
            s.nextID &+= 1
            var header = launch_header(
                kind: UInt32(LAUNCH_START), id: id, value: Int32(argv.count), count: UInt32(environment.count),
                deadline: deadline)
            let rc = body.withUnsafeBytes { b in
                stdio.withUnsafeBufferPointer { fds in
                    sprite_launch_send(socket, &header, b.baseAddress, UInt(b.count), fds.baseAddress, Int32(fds.count))
                }
            }
            guard rc == 0 else { return nil }
            s.requests[id] = request
            return id
        }
        guard sent != nil else { return nil }
        if request.answered.wait(timeout: .now() + timeout) == .timedOut {
            let late = state.withLock { _ -> Bool in
                if request.answer == nil { request.abandoned = true }
                return !request.abandoned
            }
            // answered in the meantime after all: take that answer
            if !late {
                throw HostError.internalError("the sprite's PID 1 did not start the command within \(Int(timeout)) s")
            }
        }
        switch state.withLock({ _ in request.answer }) {
        case .success(let started): return started
        case .failure, nil: return nil
        }
    }

    /// Sends `signal` to the process group of a command while it runs.
    func signal(_ id: UInt32, _ signal: Int32) {
        Self.send(signal, to: id, socket, state, signals)
    }

    private static func send(
        _ signal: Int32, to id: UInt32, _ socket: Int32, _ state: Locked<State>, _ queue: DispatchQueue
    ) {
        queue.async {
            let deadline = Date().addingTimeInterval(30)
            while Date() < deadline {
                let failure: Int32? = state.withLock { s in
                    // ended, or PID 1 gone: nothing left to signal
                    guard !s.closed, s.requests[id] != nil else { return nil }
                    var header = launch_header(
                        kind: UInt32(LAUNCH_SIGNAL), id: id, value: signal, count: 0, deadline: 0)
                    return sprite_launch_send(socket, &header, nil, 0, nil, 0) == 0 ? nil : errno
                }
                guard failure == EAGAIN else { return }
                _ = sprite_wait_writable(socket, 100)
            }
        }
    }

    private static func readReplies(_ socket: Int32, _ state: Locked<State>, _ signals: DispatchQueue) {
        var header = launch_header()
        while sprite_launch_receive(socket, &header) == 1 {
            let id = header.id
            switch Int32(header.kind) {
            case LAUNCH_STARTED:
                let abandoned = state.withLock { s -> Bool in
                    guard let r = s.requests[id] else { return false }
                    r.answer = .success(Started(id: id, pid: header.value))
                    r.answered.signal()
                    return r.abandoned
                }
                // started after its caller gave up (PID 1 read it just before the deadline and
                // the answer was slow): it must not run on unseen
                if abandoned { send(SIGKILL, to: id, socket, state, signals) }
            case LAUNCH_FAILED:
                state.withLock { s in
                    guard let r = s.requests.removeValue(forKey: id) else { return }
                    if header.value == EPERM { s.refusing = true }
                    r.answer = .failure(Failure(header.value))
                    r.answered.signal()
                }
            case LAUNCH_EXITED:
                let request = state.withLock { $0.requests.removeValue(forKey: id) }
                if let request, !request.abandoned { request.onExit(header.value) }
            default:
                break
            }
        }
        // PID 1 is gone, and with it every process of the sprite (the kernel kills a PID
        // namespace with its init), or this launcher was let go because the sprite stopped
        let pending = state.withLock { s in
            s.closed = true
            s.socketClosed = true
            close(socket)
            let pending = s.requests.values
            s.requests = [:]
            return Array(pending)
        }
        for r in pending {
            let started = state.withLock { _ -> Bool in
                if r.answer == nil { r.answer = .failure(Failure(ESRCH)) }
                return (try? r.answer?.get()) != nil
            }
            r.answered.signal()
            if started && !r.abandoned { r.onExit(SIGKILL) }
        }
    }
}
