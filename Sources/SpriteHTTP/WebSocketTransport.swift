import CCurl
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// The connection a WebSocket's bytes go over: the upgrade request and every frame after it.
///
/// libcurl opens it where it is needed: TLS (`wss://`), or a proxy the environment names
/// (`http_proxy`, `all_proxy`, `ALL_PROXY`, which libcurl reads). A plain `ws://` or
/// `http+unix://` connection without a proxy is a socket opened here: loading libcurl and the
/// twenty libraries it brings, their initialisers and OpenSSL's configuration included, takes
/// 4–5 ms of every process that does it, a fifth of a local `git sprite exec` round trip.
final class WebSocketTransport {
    /// What one send or receive did.
    enum Step {
        /// This many bytes went (or came; 0: the peer closed).
        case moved(Int)
        /// Nothing now: wait for the socket.
        case again
        case failed(String)
    }

    /// libcurl's handle, which owns the socket; nil for a socket of our own.
    private let easy: CurlEasy?
    let socket: Int32

    private init(easy: CurlEasy?, socket: Int32) {
        self.easy = easy
        self.socket = socket
    }

    deinit {
        if easy == nil { Glibc.close(socket) }
    }

    /// Connects to `httpURL` (`http://`, `https://` or `http+unix://`), in at most `timeout`
    /// seconds; the socket is non-blocking.
    static func open(
        _ httpURL: String, timeout: Double, environment: [String: String] = proxyVariables()
    ) throws -> WebSocketTransport {
        // libcurl never sends a Unix socket's requests through a proxy
        if let (path, _) = UnixSocketURL.split(httpURL) {
            return WebSocketTransport(easy: nil, socket: try PlainSocket.connect(unix: path, timeout: timeout))
        }
        let proxied = ["http_proxy", "all_proxy", "ALL_PROXY"].contains { !(environment[$0] ?? "").isEmpty }
        if !proxied, httpURL.hasPrefix("http://"), let components = URLComponents(string: httpURL),
            let host = components.encodedHost
        {
            let socket = try PlainSocket.connect(host: host, port: components.port ?? 80, timeout: timeout)
            return WebSocketTransport(easy: nil, socket: socket)
        }
        return try openWithCurl(httpURL, timeout: timeout)
    }

    /// The variables that send a plain connection through a proxy, as libcurl reads them
    /// (getenv: the whole environment as a dictionary cost its first use, 0.15 ms of an exec).
    static func proxyVariables() -> [String: String] {
        var found: [String: String] = [:]
        for name in ["http_proxy", "all_proxy", "ALL_PROXY"] {
            if let value = getenv(name) { found[name] = String(cString: value) }
        }
        return found
    }

    /// A connection libcurl opened (TCP, TLS, a proxy's CONNECT tunnel) and hands over.
    private static func openWithCurl(_ httpURL: String, timeout: Double) throws -> WebSocketTransport {
        let easy = try CurlEasy()
        try easy.reset()
        try easy.target(httpURL)
        try easy.set(CURLOPT_CONNECT_ONLY, 1)
        // The upgrade is an HTTP/1.1 request we write ourselves. Left to its default, libcurl
        // offers h2 by ALPN; an edge that picks it leaves a connection on which libcurl 7.88's
        // curl_easy_recv feeds our bytes to nghttp2 with no stream set up, and crashes inside
        // libcurl. Offering http/1.1 alone means an edge either speaks it or refuses the TLS.
        try easy.set(CURLOPT_HTTP_VERSION, Int(CURL_HTTP_VERSION_1_1))
        // through a proxy, only a CONNECT tunnel carries the raw upgrade and frames written here
        try easy.set(CURLOPT_HTTPPROXYTUNNEL, 1)
        try easy.set(CURLOPT_CONNECTTIMEOUT_MS, Int(timeout * 1000))
        try easy.perform()
        var sock: curl_socket_t = -1
        try easy.check(
            git_sprite_curl_getinfo_socket(easy.handle, CURLINFO_ACTIVESOCKET, &sock),
            "curl_easy_getinfo(ACTIVESOCKET)")
        guard sock >= 0 else { throw WebSocketError.connectionLost("libcurl has no socket for the connection") }
        return WebSocketTransport(easy: easy, socket: sock)
    }

    /// Whether libcurl carries this connection (TLS or a proxy).
    var usesCurl: Bool { easy != nil }

    func send(_ bytes: UnsafeRawPointer, count: Int) -> Step {
        if let easy {
            var sent = 0
            let rc = git_sprite_curl_easy_send(easy.handle, bytes, count, &sent)
            return Self.step(rc, sent)
        }
        let n = Glibc.send(socket, bytes, count, Int32(MSG_NOSIGNAL))
        return n >= 0 ? .moved(n) : Self.step(errno: errno)
    }

    func receive(into bytes: UnsafeMutableRawPointer, count: Int) -> Step {
        if let easy {
            var got = 0
            let rc = git_sprite_curl_easy_recv(easy.handle, bytes, count, &got)
            return Self.step(rc, got)
        }
        let n = Glibc.recv(socket, bytes, count, 0)
        return n >= 0 ? .moved(n) : Self.step(errno: errno)
    }

    private static func step(_ rc: CURLcode, _ moved: Int) -> Step {
        if rc == CURLE_OK { return .moved(moved) }
        if rc == CURLE_AGAIN { return .again }
        return .failed(String(cString: git_sprite_curl_easy_strerror(rc)))
    }

    private static func step(errno code: Int32) -> Step {
        code == EAGAIN || code == EWOULDBLOCK || code == EINTR ? .again : .failed(String(cString: strerror(code)))
    }
}

/// Non-blocking TCP and Unix-socket connections, failing as libcurl's would (a `CurlError`
/// with its codes, so retries and messages do not depend on which opened the connection).
enum PlainSocket {
    static func connect(host rawHost: String, port: Int, timeout: Double) throws -> Int32 {
        let host = rawHost.hasPrefix("[") && rawHost.hasSuffix("]") ? String(rawHost.dropFirst().dropLast()) : rawHost
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        let rc = getaddrinfo(host, String(port), &hints, &list)
        guard rc == 0, let first = list else {
            throw CurlError(
                code: Int32(CURLE_COULDNT_RESOLVE_HOST.rawValue), function: "getaddrinfo",
                message: "Could not resolve host: \(host)")
        }
        defer { freeaddrinfo(first) }
        let deadline = Date().addingTimeInterval(timeout)
        var why = "Couldn't connect to server"
        var next: UnsafeMutablePointer<addrinfo>? = first
        while let info = next?.pointee {
            next = info.ai_next
            let fd = Glibc.socket(
                info.ai_family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue | SOCK_CLOEXEC.rawValue), 0)
            guard fd >= 0 else {
                why = String(cString: strerror(errno))
                continue
            }
            // as libcurl: an address with others after it gets half the time left, so one that
            // never answers (an IPv6 route that drops) leaves time for the next
            let last = info.ai_next == nil
            let until = last ? deadline : Date().addingTimeInterval(max(0, deadline.timeIntervalSinceNow) / 2)
            switch finish(fd, Glibc.connect(fd, info.ai_addr, info.ai_addrlen), deadline: until) {
            case .connected:
                var one: Int32 = 1
                setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
                return fd
            case .timedOut:
                Glibc.close(fd)
                why = "Timeout was reached"
                if last || deadline.timeIntervalSinceNow <= 0 {
                    throw CurlError(
                        code: Int32(CURLE_OPERATION_TIMEDOUT.rawValue), function: "connect",
                        message:
                            "Failed to connect to \(host) port \(port) after \(Int(timeout * 1000)) ms: Timeout was reached"
                    )
                }
            case .failed(let reason):
                Glibc.close(fd)
                why = reason
            }
        }
        throw CurlError(
            code: Int32(CURLE_COULDNT_CONNECT.rawValue), function: "connect",
            message: "Failed to connect to \(host) port \(port): \(why)")
    }

    static func connect(unix path: String, timeout: Double) throws -> Int32 {
        guard let address = UnixSocketAddress(path) else {
            throw CurlError(
                code: Int32(CURLE_COULDNT_CONNECT.rawValue), function: "connect",
                message: "Unix socket path too long: '\(path)'")
        }
        let fd = Glibc.socket(
            AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue | SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else {
            throw CurlError(
                code: Int32(CURLE_COULDNT_CONNECT.rawValue), function: "socket",
                message: String(cString: strerror(errno)))
        }
        // a Unix socket's connect does not go on in the background: EAGAIN is a full backlog
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            if address.connect(fd) == 0 { return fd }
            let code = errno
            if (code == EAGAIN || code == EINTR) && deadline.timeIntervalSinceNow > 0 {
                usleep(1_000)
                continue
            }
            Glibc.close(fd)
            throw CurlError(
                code: Int32(code == EAGAIN ? CURLE_OPERATION_TIMEDOUT.rawValue : CURLE_COULDNT_CONNECT.rawValue),
                function: "connect", message: "Failed to connect to \(path): \(String(cString: strerror(code)))")
        }
    }

    /// How a non-blocking TCP connect ended.
    private enum Connecting {
        case connected, timedOut
        case failed(String)

        static func failed(errno code: Int32) -> Connecting { .failed(String(cString: strerror(code))) }
    }

    /// Waits out a non-blocking TCP connect until `deadline`. Only a connect under way is
    /// waited for: an unconnected socket (EAGAIN: no local port left) polls writable with no
    /// error pending.
    private static func finish(_ fd: Int32, _ rc: Int32, deadline: Date) -> Connecting {
        if rc == 0 { return .connected }
        guard errno == EINPROGRESS || errno == EINTR else { return .failed(errno: errno) }
        while true {
            let left = deadline.timeIntervalSinceNow
            if left <= 0 { return .timedOut }
            var pfd = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
            let ready = poll(&pfd, 1, Int32(min(left * 1000 + 1, 60_000)))
            if ready < 0 && errno != EINTR { return .failed(errno: errno) }
            if ready <= 0 { continue }
            var error: Int32 = 0
            var length = socklen_t(MemoryLayout<Int32>.size)
            guard getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length) == 0 else { return .failed(errno: errno) }
            if error != 0 { return .failed(errno: error) }
            // connected means a peer: a hang-up with no error pending is not a connection
            var peer = sockaddr_storage()
            var peerLength = socklen_t(MemoryLayout<sockaddr_storage>.size)
            let named = withUnsafeMutablePointer(to: &peer) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getpeername(fd, $0, &peerLength) }
            }
            return named == 0 ? .connected : .failed(errno: ENOTCONN)
        }
    }
}
