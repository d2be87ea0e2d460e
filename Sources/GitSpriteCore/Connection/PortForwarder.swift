import Foundation
import SpriteSync
import SpritesAPI

#if canImport(Glibc)
    import Glibc
#endif

/// Local TCP ports carried to a sprite's own ports: a listener on 127.0.0.1 per forwarded
/// port; each connection to it gets a connection inside the sprite over the Sprites TCP proxy
/// (`WSS …/proxy`), and bytes are relayed both ways, each direction on a thread of its own,
/// until either side closes. Listeners and connections end with `stop()`.
final class PortForwarder: Sendable {
    private let connection: Connection
    private let sprite: String
    private let context: Context
    /// Where each forward is said (`forwarding localhost:3000 -> sprite:3000`).
    private let announce: @Sendable (String) -> Void
    private struct State {
        var listeners: [Int: Listener] = [:]
        /// Listeners for a remote port that has another since (`forward 8000:8080 9000:8080`):
        /// out of the table, which holds one per remote port, but stopped with the rest.
        var shadowed: [Listener] = []
        /// Remote ports being forwarded or about to be: an opening heard twice (from the
        /// stream and from `forwardWhatListens`) forwards once.
        var claimed: Set<Int> = []
        /// Whether the limit of automatic forwards has been said.
        var limitSaid = false
        var stopped = false
    }

    /// At most this many ports forwarded because the sprite listens on them: what runs in the
    /// sprite cannot make this machine listen on every free port it names.
    static let automaticLimit = 64
    private let state = Locked(State())

    /// One local listener and the remote port it forwards to.
    final class Listener: Sendable {
        let fd: Int32
        let local: Int
        let remote: Int
        let open = Locked(true)

        init(fd: Int32, local: Int, remote: Int) { (self.fd, self.local, self.remote) = (fd, local, remote) }
    }

    /// `announce`: where to say what is forwarded (default: a note on stderr).
    init(connection: Connection, sprite: String, context: Context, announce: (@Sendable (String) -> Void)? = nil) {
        (self.connection, self.sprite, self.context) = (connection, sprite, context)
        self.announce = announce ?? { context.terminal.note($0) }
    }

    /// Says a line on a terminal in raw mode (`attach`, `shell`), where a line ends in CR LF.
    static func rawTerminalLine(_ line: String) {
        writeAll(STDERR_FILENO, Data(("\r" + line + "\r\n").utf8))
    }

    /// Listens on 127.0.0.1:`local` (0: a free port) and forwards to `remote` in the sprite;
    /// returns the local port. Throws when the port cannot be had.
    @discardableResult
    func forward(local: Int, remote: Int) throws -> Int {
        let (fd, bound) = try Self.listen(local, remote: remote, sprite: sprite)
        let listener = Listener(fd: fd, local: bound, remote: remote)
        let kept = state.withLock { s in
            if !s.stopped {
                if let earlier = s.listeners[remote] { s.shadowed.append(earlier) }
                s.listeners[remote] = listener
            }
            return !s.stopped
        }
        if !kept {
            close(fd)
            return bound
        }
        let thread = Thread { [weak self] in self?.accept(listener) }
        thread.start()
        return bound
    }

    /// A port opened or closed in the sprite (`port_opened`/`port_closed`): forwarded from the
    /// same local port when it is free, else from a free one, and said so; a closed one stops.
    func handle(_ opened: Bool, _ port: Int, _ address: String?) {
        if opened {
            enum Verdict { case forward, known, overLimit }
            let verdict = state.withLock { s -> Verdict in
                if s.stopped || s.claimed.contains(port) || s.listeners[port] != nil { return .known }
                if s.claimed.count >= Self.automaticLimit {
                    defer { s.limitSaid = true }
                    return s.limitSaid ? .known : .overLimit
                }
                s.claimed.insert(port)
                return .forward
            }
            if verdict == .overLimit {
                say("not forwarding sprite:\(port), nor any more: \(Self.automaticLimit) ports are forwarded already")
            }
            guard verdict == .forward else { return }
            let local = (try? forward(local: port, remote: port)) ?? (try? forward(local: 0, remote: port))
            if let local { say("forwarding localhost:\(local) -> sprite:\(port)") }
            if local == nil { state.withLock { _ = $0.claimed.remove(port) } }
        } else if let existing = state.withLock({ s -> Listener? in
            s.claimed.remove(port)
            return s.listeners.removeValue(forKey: port)
        }) {
            shutdownListener(existing)
            say("stopped forwarding localhost:\(existing.local) (sprite:\(port) closed)")
        }
    }

    /// Forwards the ports something in the sprite already listens on. The Sprites API reports
    /// ports as they open (`port_opened`); that a stream also reports those open before it
    /// started is not documented, so the sprite's own socket table is read once as well.
    /// `forwardWhatListens` beside the caller's stream: the sprite's answer cannot hold up the
    /// stream's own events (what opens from now on).
    func forwardWhatListensMeanwhile() {
        DispatchQueue.global().async { self.forwardWhatListens() }
    }

    private func forwardWhatListens() {
        // what the sprite prints is its own: kept to the first megabyte (the table of a
        // sprite with thousands of sockets is a fraction of that)
        let table = Locked(Data())
        let limit = 1 << 20
        _ = try? connection.liveClient().exec(
            sprite, ExecRequest(command: ["cat", "/proc/net/tcp", "/proc/net/tcp6"], directory: SpritePaths.home),
            input: nil, inputData: nil,
            stdout: { data in table.withLock { $0.append(data.prefix(max(0, limit - $0.count))) } }, stderr: { _ in })
        for port in ListeningPorts.parse(String(decoding: table.value, as: UTF8.self)) {
            handle(true, port, nil)
        }
    }

    /// Closes every listener; connections already relaying end as their sides close.
    func stop() {
        let all = state.withLock { s in
            s.stopped = true
            defer { (s.listeners, s.shadowed) = ([:], []) }
            return Array(s.listeners.values) + s.shadowed
        }
        for l in all { shutdownListener(l) }
    }

    /// The listeners now: local port for each remote port.
    var forwarded: [Int: Int] {
        state.value.listeners.mapValues(\.local)
    }

    private func shutdownListener(_ l: Listener) {
        let wasOpen = l.open.withLock { open in
            defer { open = false }
            return open
        }
        if wasOpen { Glibc.shutdown(l.fd, Int32(SHUT_RDWR)) }
    }

    private func say(_ line: String) { announce(line) }

    private func accept(_ listener: Listener) {
        defer { close(listener.fd) }
        while true {
            var pfd = pollfd(fd: listener.fd, events: Int16(POLLIN), revents: 0)
            let ready = poll(&pfd, 1, 500)
            guard listener.open.value else { return }
            guard ready > 0 else { continue }
            let client = Glibc.accept(listener.fd, nil, nil)
            if client < 0 {
                if errno == EINTR || errno == EAGAIN || errno == ECONNABORTED { continue }
                return
            }
            _ = fcntl(client, F_SETFD, FD_CLOEXEC)
            Thread { [weak self] in self?.carry(client, to: listener.remote) }.start()
        }
    }

    /// One connection: the proxy first (a refusal closes the local side at once), then both
    /// directions until one ends.
    private func carry(_ client: Int32, to port: Int) {
        let proxy: ProxyConnection
        do {
            proxy = try connection.liveClient().openProxy(sprite, host: "localhost", port: port)
        } catch {
            // the proxy's own refusal says it best (nothing listens, the policy); others translated
            let why: String
            if case APIError.http(let f) = error, f.method == "WS" {
                why = f.message
            } else {
                why = (connection.translate(error) as? SpriteError)?.message ?? "\(error)"
            }
            say("sprite:\(port): \(why)")
            close(client)
            return
        }
        let done = DispatchGroup()
        done.enter()
        let lastFromSprite = Locked(Date())
        // sprite -> here
        Thread { [weak self] in
            do {
                while let bytes = try proxy.receive() {
                    lastFromSprite.withLock { $0 = Date() }
                    if !Self.sendAll(client, bytes) { break }
                }
                Glibc.shutdown(client, Int32(SHUT_WR))
            } catch {
                // a broken relay is never passed on as a clean end: the local side is reset, so
                // the program reading it sees the response was cut, not a short one
                self?.say("sprite:\(port): the connection broke (\(error))")
                var reset = linger(l_onoff: 1, l_linger: 0)
                setsockopt(client, SOL_SOCKET, SO_LINGER, &reset, socklen_t(MemoryLayout<linger>.size))
                // (wakes the reader below without a FIN; its close then sends the reset)
                Glibc.shutdown(client, Int32(SHUT_RD))
            }
            done.leave()
        }.start()
        // here -> sprite
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        var ended = false
        while true {
            let n = read(client, &buffer, buffer.count)
            if n < 0 && errno == EINTR { continue }
            ended = n == 0
            if n <= 0 { break }
            if (try? proxy.send(Array(buffer[0..<n]))) == nil { break }
        }
        // a client that ended its side (shutdown(SHUT_WR), `nc -N`) still reads the reply: the
        // proxy has no half-close, so the sprite's side is closed once it has ended or said
        // nothing for `halfClosedGrace` (closed at once, the reply was thrown away)
        // (the grace counts from the half-close at the earliest: a connection idle before it
        // was closed at once, its reply lost; a review)
        if ended { lastFromSprite.withLock { $0 = Date() } }
        while ended && done.wait(timeout: .now() + 0.25) == .timedOut {
            if Date().timeIntervalSince(lastFromSprite.withLock { $0 }) > Self.halfClosedGrace { break }
        }
        proxy.close()
        done.wait()
        close(client)
    }

    /// How long the sprite's side of a connection whose client ended its own may stay silent
    /// before it is closed.
    static let halfClosedGrace: TimeInterval = 5

    static func sendAll(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return false }
            offset += n
        }
        return true
    }

    /// A listening socket on 127.0.0.1:`port` and the port it got. A port something here
    /// listens on at [::1] alone is in use too: `localhost` names both, and taking its IPv4 half
    /// handed connections meant for that service to whatever listens in the sprite (an
    /// adversarial review: a local service on [::1]:6543, the sprite opens 6543, `--auto` took
    /// it). A port the system chooses (`port` 0) is held to the same rule: another is asked
    /// for while the chosen one stays bound, so the system cannot hand it back. `remote` and
    /// `sprite` are for the hints; `heldOnIPv6` is for tests.
    static func listen(
        _ port: Int, remote: Int, sprite: String, heldOnIPv6: (Int) -> Bool = inUseOnIPv6Loopback
    ) throws -> (Int32, Int) {
        var held: [Int32] = []
        defer { held.forEach { close($0) } }
        while true {
            var (fd, got, why) = bindLoopback(port)
            if fd >= 0 && heldOnIPv6(got) {
                if port == 0 && held.count < 32 {
                    held.append(fd)
                    continue
                }
                close(fd)
                (fd, why) = (-1, "it is in use on [::1]")
            }
            guard fd >= 0 else {
                let target = shellQuote(sprite)
                throw SpriteError(
                    "cannot listen on localhost:\(port): \(why)",
                    hints: [
                        "choose another local port: git sprite forward \(target) OTHER:\(remote)",
                        "or let the system choose one: git sprite forward \(target) 0:\(remote)",
                    ],
                    status: .failure)
            }
            return (fd, got)
        }
    }

    /// A socket listening on 127.0.0.1:`port` and the port it got, or -1 and why not.
    private static func bindLoopback(_ port: Int) -> (fd: Int32, port: Int, why: String) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue | SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return (-1, port, "cannot open a socket: \(String(cString: strerror(errno)))") }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ok = withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { p -> Bool in
                bind(fd, p, length) == 0 && Glibc.listen(fd, 128) == 0 && getsockname(fd, p, &length) == 0
            }
        }
        guard ok else {
            let why = errno == EADDRINUSE ? "it is in use" : String(cString: strerror(errno))
            close(fd)
            return (-1, port, why)
        }
        return (fd, Int(UInt16(bigEndian: addr.sin_port)), "")
    }

    /// Whether something listens on [::1]:`port` (or on every IPv6 address): a bind there
    /// fails. Without IPv6 nothing can.
    static func inUseOnIPv6Loopback(_ port: Int) -> Bool {
        let fd = socket(AF_INET6, Int32(SOCK_STREAM.rawValue | SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        setsockopt(fd, Int32(IPPROTO_IPV6), IPV6_V6ONLY, &one, socklen_t(MemoryLayout<Int32>.size))
        var addr = sockaddr_in6()
        addr.sin6_family = sa_family_t(AF_INET6)
        addr.sin6_port = in_port_t(UInt16(port).bigEndian)
        addr.sin6_addr = in6addr_loopback
        let bound = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in6>.size)) == 0
            }
        }
        return !bound && errno == EADDRINUSE
    }
}
