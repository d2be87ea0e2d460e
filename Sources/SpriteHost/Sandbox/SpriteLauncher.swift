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
    /// A command PID 1 started: its PID in the sprite and as the host sees it.
    struct Started {
        let id: UInt32
        let pid: pid_t
        let hostPID: pid_t?
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
        init(onExit: @escaping @Sendable (Int32) -> Void) { self.onExit = onExit }
    }

    private struct State {
        var nextID: UInt32 = 1
        var requests: [UInt32: Request] = [:]
        /// PID 1 is gone or the channel broke: nothing more goes through it.
        var closed = false
        /// The reader closed the socket (under the lock): its number may name another file now.
        var socketClosed = false
    }

    private let socket: Int32
    private let state = Locked(State())

    /// Takes the host's end of the pair whose other end PID 1 was given.
    init(socket: Int32) {
        self.socket = socket
        let thread = Thread { [state, socket] in Self.readReplies(socket, state) }
        thread.name = "launcher"
        thread.start()
    }

    deinit {
        hangUp()
    }

    /// Wakes the reader, which closes the socket once it has settled what was pending.
    private func hangUp() {
        state.withLock { s in
            s.closed = true
            if !s.socketClosed { shutdown(socket, Int32(SHUT_RDWR)) }
        }
    }

    var isOpen: Bool { state.withLock { !$0.closed } }

    /// Starts `argv` in `directory` with `environment`, `stdio` as its descriptors 0, 1 and 2.
    /// `onExit` gets its wait status once it has ended (SIGKILL's when the sprite stopped under
    /// it). Nil when PID 1 cannot take it (gone, too large a command, its queue full): the
    /// caller goes through `sprite-enter run` instead. Waits at most `timeout` for PID 1.
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
        let sent: UInt32? = state.withLock { s in
            guard !s.closed else { return nil }
            let id = s.nextID
            s.nextID &+= 1
            var header = launch_header(
                kind: UInt32(LAUNCH_START), id: id, value: Int32(argv.count), count: UInt32(environment.count))
            let rc = body.withUnsafeBytes { b in
                stdio.withUnsafeBufferPointer { fds in
                    sprite_launch_send(socket, &header, b.baseAddress, UInt(b.count), fds.baseAddress, Int32(fds.count))
                }
            }
            guard rc == 0 else { return nil }
            s.requests[id] = request
            return id
        }
        guard let id = sent else { return nil }
        if request.answered.wait(timeout: .now() + timeout) == .timedOut {
            // PID 1 does not answer: it takes nothing more (what it may still start is ended
            // with the sprite)
            hangUp()
            throw HostError.internalError("the sprite's PID 1 did not start the command")
        }
        switch state.withLock({ _ in request.answer }) {
        case .success(let started): return started
        case .failure(let error) where error.code == ESRCH: return nil
        case .failure(let error):
            throw HostError.internalError(
                "cannot start \(argv[0]) in the sprite: \(String(cString: strerror(error.code)))")
        case nil: return nil
        }
    }

    /// Sends `signal` to the process group of a command while it runs.
    func signal(_ id: UInt32, _ signal: Int32) {
        state.withLock { s in
            guard !s.closed, s.requests[id] != nil else { return }
            var header = launch_header(kind: UInt32(LAUNCH_SIGNAL), id: id, value: signal, count: 0)
            _ = sprite_launch_send(socket, &header, nil, 0, nil, 0)
        }
    }

    private static func readReplies(_ socket: Int32, _ state: Locked<State>) {
        var header = launch_header()
        var fd: Int32 = -1
        while sprite_launch_receive(socket, &header, &fd) == 1 {
            let id = header.id
            switch Int32(header.kind) {
            case LAUNCH_STARTED:
                let hostPID = fd >= 0 ? sprite_pidfd_pid(fd) : -1
                if fd >= 0 { close(fd) }
                state.withLock { s in
                    guard let r = s.requests[id] else { return }
                    r.answer = .success(Started(id: id, pid: header.value, hostPID: hostPID > 0 ? hostPID : nil))
                    r.answered.signal()
                }
            case LAUNCH_FAILED:
                if fd >= 0 { close(fd) }
                state.withLock { s in
                    guard let r = s.requests.removeValue(forKey: id) else { return }
                    r.answer = .failure(Failure(header.value))
                    r.answered.signal()
                }
            case LAUNCH_EXITED:
                if fd >= 0 { close(fd) }
                let request = state.withLock { $0.requests.removeValue(forKey: id) }
                request?.onExit(header.value)
            default:
                if fd >= 0 { close(fd) }
            }
        }
        // PID 1 is gone, so is every process of the sprite: the kernel killed them with it
        let pending = state.withLock { s in
            s.closed = true
            s.socketClosed = true
            close(socket)
            let pending = s.requests.values
            s.requests = [:]
            return Array(pending)
        }
        for r in pending {
            if state.withLock({ _ in r.answer }) == nil {
                state.withLock { _ in r.answer = .failure(Failure(ESRCH)) }
                r.answered.signal()
            } else {
                r.onExit(SIGKILL)
            }
        }
    }
}
