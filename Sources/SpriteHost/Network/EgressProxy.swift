import CSpriteHost
import Foundation
import SpriteSync

#if canImport(Glibc)
    import Glibc
#endif

/// The HTTP proxy of a `filtered` sprite. It listens on the sprite's own loopback (the
/// listener was opened inside the sprite's network namespace and handed to the host), so the
/// sprite reaches it although it has no route out; the host makes the outgoing connection
/// for the names the policy allows. `CONNECT host:port` (HTTPS, anything over TLS) and
/// absolute-form requests (`GET http://host/…`) are understood.
final class EgressProxy: Sendable {
    /// Test hook: addresses to use for a name instead of asking DNS.
    typealias Resolver = @Sendable (String) -> [String]?

    /// At most this many connections at once per sprite.
    static let connectionLimit = 64

    private let listener: Int32
    let port: Int
    private let policy: @Sendable () -> NetworkPolicy
    private let resolver: Resolver
    private struct State {
        var connections: Set<Int32> = []
        var stopped = false
    }
    private let state = Locked(State())

    init(listener: Int32, port: Int, policy: @escaping @Sendable () -> NetworkPolicy, resolver: @escaping Resolver) {
        self.listener = listener
        self.port = port
        self.policy = policy
        self.resolver = resolver
        let thread = Thread { [self] in acceptLoop() }
        thread.name = "egress-proxy"
        thread.start()
    }

    /// Ends every open connection (a new policy applies to connections made from now on).
    func dropConnections() {
        let open = state.withLock { $0.connections }
        for fd in open { shutdown(fd, Int32(SHUT_RDWR)) }
    }

    /// Closes the listener and every connection.
    func stop() {
        let open = state.withLock { s in
            s.stopped = true
            return s.connections
        }
        shutdown(listener, Int32(SHUT_RDWR))
        for fd in open { shutdown(fd, Int32(SHUT_RDWR)) }
    }

    private func acceptLoop() {
        while true {
            let fd = sprite_accept(listener)
            if fd < 0 {
                if errno == EINTR || errno == ECONNABORTED { continue }
                let done = state.withLock { $0.stopped }
                if done || errno == EBADF || errno == EINVAL { break }
                usleep(50_000)
                continue
            }
            let full = state.withLock { s in
                let refused = s.connections.count >= Self.connectionLimit || s.stopped
                if !refused { s.connections.insert(fd) }
                return refused
            }
            if full {
                close(fd)
                continue
            }
            let thread = Thread { [self] in
                serve(fd)
                state.withLock { _ = $0.connections.remove(fd) }
                close(fd)
            }
            thread.name = "egress-\(fd)"
            thread.start()
        }
        close(listener)
    }

    private func reply(_ fd: Int32, _ status: String, _ reason: String) {
        let text =
            "HTTP/1.1 \(status)\r\nContent-Type: text/plain\r\nConnection: close\r\nContent-Length: \(reason.utf8.count + 1)\r\n\r\n\(reason)\n"
        _ = Self.send(fd, Array(text.utf8))
    }

    private func serve(_ client: Int32) {
        // the request head: at most 16 KiB, within 30 s
        var head = [UInt8]()
        var buf = [UInt8](repeating: 0, count: 4096)
        let deadline = Date().addingTimeInterval(30)
        while !Self.containsBlankLine(head) {
            guard head.count < 16384, deadline.timeIntervalSinceNow > 0,
                sprite_wait_readable(client, Int32(deadline.timeIntervalSinceNow * 1000)) > 0
            else {
                return reply(client, "400 Bad Request", "incomplete request")
            }
            let n = read(client, &buf, buf.count)
            if n <= 0 { return }
            head += buf[0..<n]
        }
        guard let end = Self.headEnd(head),
            let firstLine = String(bytes: head[..<(head.firstIndex(of: 0x0a) ?? head.endIndex)], encoding: .utf8)?
                .trimmingCharacters(in: .whitespacesAndNewlines)
        else {
            return reply(client, "400 Bad Request", "malformed request")
        }
        let parts = firstLine.split(separator: " ")
        guard parts.count == 3 else { return reply(client, "400 Bad Request", "malformed request line") }
        let method = String(parts[0]), target = String(parts[1]), version = String(parts[2])
        var host: String, port: Int
        var forward: [UInt8]
        if method == "CONNECT" {
            guard let (h, p) = Self.splitHostPort(target, defaultPort: nil) else {
                return reply(client, "400 Bad Request", "CONNECT needs host:port")
            }
            (host, port) = (h, p)
            forward = Array(head[end...])
        } else {
            guard target.lowercased().hasPrefix("http://"),
                let url = URLComponents(string: target), let h = url.host
            else {
                return reply(client, "400 Bad Request", "only CONNECT and http:// requests are proxied")
            }
            host = h
            port = url.port ?? 80
            var path = url.percentEncodedPath.isEmpty ? "/" : url.percentEncodedPath
            if let q = url.percentEncodedQuery { path += "?" + q }
            // the origin gets an origin-form request line and no proxy headers
            let rest = String(decoding: head[(head.firstIndex(of: 0x0a).map { $0 + 1 } ?? end)..<end], as: UTF8.self)
            let kept = rest.components(separatedBy: "\r\n").filter { !$0.lowercased().hasPrefix("proxy-") }
            forward =
                Array(("\(method) \(path) \(version)\r\n" + kept.joined(separator: "\r\n")).utf8) + Array(head[end...])
        }
        guard (1...65535).contains(port) else { return reply(client, "400 Bad Request", "bad port") }
        let (allowed, why) = policy().allows(host: host)
        guard allowed else { return reply(client, "403 Forbidden", why) }
        let upstream: Int32
        switch connect(host: host, port: port) {
        case .success(let fd): upstream = fd
        case .failure(let error): return reply(client, error.status, error.reason)
        }
        defer { close(upstream) }
        if method == "CONNECT" {
            guard Self.send(client, Array("HTTP/1.1 200 Connection established\r\n\r\n".utf8)) else { return }
        }
        if !forward.isEmpty, !Self.send(upstream, forward) { return }
        relay(client, upstream)
    }

    private struct ConnectError: Error {
        let status: String
        let reason: String
    }

    /// Resolves `host` and connects to the first address that may be reached (never a
    /// loopback, link-local, multicast or unspecified one), within 10 s.
    private func connect(host: String, port: Int) -> Result<Int32, ConnectError> {
        var candidates: [(Int32, [UInt8])] = []  // family, sockaddr bytes
        if let fixed = resolver(host) {
            for text in fixed { if let a = Self.address(text, port: port) { candidates.append(a) } }
        } else {
            var hints = addrinfo()
            hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
            var list: UnsafeMutablePointer<addrinfo>?
            guard getaddrinfo(host, String(port), &hints, &list) == 0 else {
                return .failure(ConnectError(status: "502 Bad Gateway", reason: "cannot resolve \(host)"))
            }
            defer { freeaddrinfo(list) }
            var p = list
            while let info = p?.pointee {
                if let addr = info.ai_addr {
                    let bytes = [UInt8](UnsafeRawBufferPointer(start: addr, count: Int(info.ai_addrlen)))
                    candidates.append((info.ai_family, bytes))
                }
                p = info.ai_next
            }
        }
        let reachable = candidates.filter { !Self.isForbidden($0) }
        guard !reachable.isEmpty else {
            return .failure(
                ConnectError(
                    status: "403 Forbidden",
                    reason: "\(host) resolves only to addresses a sprite may not reach"))
        }
        for (family, bytes) in reachable {
            let fd = socket(family, Int32(SOCK_STREAM.rawValue | SOCK_CLOEXEC.rawValue | SOCK_NONBLOCK.rawValue), 0)
            guard fd >= 0 else { continue }
            let rc = bytes.withUnsafeBytes { raw -> Int32 in
                guard let base = raw.baseAddress else { return -1 }
                return Glibc.connect(fd, base.assumingMemoryBound(to: sockaddr.self), socklen_t(bytes.count))
            }
            if rc == 0 || (errno == EINPROGRESS && sprite_wait_writable(fd, 10_000) > 0) {
                var err: Int32 = 0
                var len = socklen_t(MemoryLayout<Int32>.size)
                getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len)
                if err == 0 {
                    _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK)
                    return .success(fd)
                }
            }
            close(fd)
        }
        return .failure(ConnectError(status: "502 Bad Gateway", reason: "cannot connect to \(host):\(port)"))
    }

    /// Copies both ways until either side closes.
    private func relay(_ a: Int32, _ b: Int32) {
        var fds = [pollfd(fd: a, events: Int16(POLLIN), revents: 0), pollfd(fd: b, events: Int16(POLLIN), revents: 0)]
        var buf = [UInt8](repeating: 0, count: 32 * 1024)
        var open = [true, true]
        while open[0] || open[1] {
            for i in 0..<2 { fds[i].events = open[i] ? Int16(POLLIN) : 0 }
            let rc = poll(&fds, 2, 300_000)
            if rc < 0 && errno == EINTR { continue }
            if rc <= 0 { return }  // an idle tunnel is closed after five minutes
            for i in 0..<2 where open[i] && fds[i].revents != 0 {
                let from = fds[i].fd, to = fds[1 - i].fd
                let n = read(from, &buf, buf.count)
                if n <= 0 {
                    open[i] = false
                    shutdown(to, Int32(SHUT_WR))
                    continue
                }
                if !Self.send(to, Array(buf[0..<n])) { return }
            }
        }
    }

    private static func send(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return false }
            offset += n
        }
        return true
    }

    private static func containsBlankLine(_ bytes: [UInt8]) -> Bool { headEnd(bytes) != nil }

    /// The index after the blank line that ends the head.
    private static func headEnd(_ bytes: [UInt8]) -> Int? {
        guard bytes.count >= 4 else { return nil }
        for i in 3..<bytes.count
        where bytes[i] == 0x0a && bytes[i - 1] == 0x0d && bytes[i - 2] == 0x0a && bytes[i - 3] == 0x0d {
            return i + 1
        }
        return nil
    }

    static func splitHostPort(_ text: String, defaultPort: Int?) -> (String, Int)? {
        var host = text
        var port = defaultPort
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { return nil }
            host = String(text[text.index(after: text.startIndex)..<close])
            let rest = text[text.index(after: close)...]
            if rest.hasPrefix(":") { port = Int(rest.dropFirst()) }
        } else if let colon = text.lastIndex(of: ":") {
            host = String(text[..<colon])
            port = Int(text[text.index(after: colon)...])
        }
        guard let port, !host.isEmpty else { return nil }
        return (host, port)
    }

    private static func address(_ text: String, port: Int) -> (Int32, [UInt8])? {
        var v4 = sockaddr_in()
        if inet_pton(AF_INET, text, &v4.sin_addr) == 1 {
            v4.sin_family = sa_family_t(AF_INET)
            v4.sin_port = in_port_t(UInt16(port).bigEndian)
            return (AF_INET, withUnsafeBytes(of: v4) { Array($0) })
        }
        var v6 = sockaddr_in6()
        if inet_pton(AF_INET6, text, &v6.sin6_addr) == 1 {
            v6.sin6_family = sa_family_t(AF_INET6)
            v6.sin6_port = in_port_t(UInt16(port).bigEndian)
            return (AF_INET6, withUnsafeBytes(of: v6) { Array($0) })
        }
        return nil
    }

    /// Loopback, unspecified, link-local and multicast addresses (and IPv4 mapped into IPv6).
    static func isForbidden(_ address: (Int32, [UInt8])) -> Bool {
        let (family, bytes) = address
        if family == AF_INET, bytes.count >= 8 {
            return isForbiddenV4(Array(bytes[4..<8]))
        }
        if family == AF_INET6, bytes.count >= 24 {
            let a = Array(bytes[8..<24])
            if a[0..<10].allSatisfy({ $0 == 0 }) && a[10] == 0xff && a[11] == 0xff {
                return isForbiddenV4(Array(a[12..<16]))
            }
            if a[0..<15].allSatisfy({ $0 == 0 }) { return true }  // :: and ::1
            if a[0] == 0xfe && (a[1] & 0xc0) == 0x80 { return true }  // fe80::/10
            if a[0] == 0xff { return true }  // multicast
            return false
        }
        return true
    }

    private static func isForbiddenV4(_ a: [UInt8]) -> Bool {
        a[0] == 127 || a[0] == 0 || (a[0] == 169 && a[1] == 254) || a[0] >= 224
    }
}
