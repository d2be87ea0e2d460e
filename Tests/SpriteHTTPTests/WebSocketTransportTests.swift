import Foundation
import Testing

@testable import SpriteHTTP

#if canImport(Glibc)
    import Glibc
#endif

/// The plain sockets a WebSocket opens without libcurl: a Unix socket as well as TCP, and
/// failures told as libcurl tells them (what retries and messages go by).
@Suite("WebSocket transport")
struct WebSocketTransportTests {
    /// A Unix socket listening at a fresh path, accepting one connection that echoes what it
    /// reads until the client closes.
    static func unixEcho() throws -> (path: String, done: DispatchSemaphore) {
        let path = FileManager.default.temporaryDirectory.path + "/ws-\(UUID().uuidString.prefix(8)).sock"
        let listener = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        try #require(listener >= 0)
        try #require(try #require(UnixSocketAddress(path)).bind(listener) == 0)
        try #require(listen(listener, 1) == 0)
        let done = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            let fd = accept(listener, nil, nil)
            var buffer = [UInt8](repeating: 0, count: 4096)
            while fd >= 0 {
                let n = read(fd, &buffer, buffer.count)
                if n <= 0 { break }
                _ = write(fd, buffer, n)
            }
            close(fd)
            close(listener)
            unlink(path)
            done.signal()
        }
        return (path, done)
    }

    @Test func aUnixSocketURLIsConnectedWithoutLibcurl() throws {
        let (path, done) = try Self.unixEcho()
        let url = UnixSocketURL.make(socket: path) + "/v1/sprites/x/exec"
        try Self.echoes(try WebSocketTransport.open(url, timeout: 5, environment: [:]))
        // the transport is gone, so its socket is closed: the echo ends
        #expect(done.wait(timeout: .now() + 5) == .success)
    }

    static func echoes(_ t: WebSocketTransport) throws {
        #expect(!t.usesCurl)
        let message = Array("hello".utf8)
        guard case .moved(5) = message.withUnsafeBytes({ t.send($0.baseAddress!, count: 5) }) else {
            Issue.record("the send did not go")
            return
        }
        var echoed: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 64)
        let deadline = Date().addingTimeInterval(5)
        while echoed.count < 5 && Date() < deadline {
            switch buffer.withUnsafeMutableBytes({ t.receive(into: $0.baseAddress!, count: $0.count) }) {
            case .moved(let n): echoed += buffer[..<n]
            case .again: usleep(1_000)
            case .failed(let why): Issue.record("\(why)")
            }
        }
        #expect(echoed == message)
    }

    /// A TCP socket bound to a free port of 127.0.0.1, listening with `backlog` when given.
    static func loopbackSocket(listening backlog: Int32? = nil) throws -> (fd: Int32, port: Int) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = in_addr_t(0x7f00_0001).bigEndian
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, length) == 0 && backlog.map { listen(fd, $0) == 0 } != false
                    ? getsockname(fd, $0, &length) : -1
            }
        }
        try #require(bound == 0)
        return (fd, Int(UInt16(bigEndian: address.sin_port)))
    }

    @Test func nothingListeningIsAConnectFailureAsLibcurlWouldSay() throws {
        // a port nothing listens on: bind one, learn it, close it
        let (probe, port) = try Self.loopbackSocket()
        close(probe)
        for url in [
            "http://127.0.0.1:\(port)/v1", UnixSocketURL.make(socket: "/nonexistent/sprite-host.sock") + "/v1",
        ] {
            do {
                _ = try WebSocketTransport.open(url, timeout: 5, environment: [:])
                Issue.record("\(url) connected")
            } catch let error as CurlError {
                #expect(error.isConnectFailure, "\(error)")
            }
        }
        do {
            _ = try PlainSocket.connect(host: "127.0.0.1", port: port, timeout: 5)
            Issue.record("a closed port connected")
        } catch let error as CurlError {
            #expect(error.message == "Failed to connect to 127.0.0.1 port \(port): Connection refused", "\(error)")
        }
        do {
            _ = try WebSocketTransport.open("http://no-such-host.invalid/v1", timeout: 5, environment: [:])
            Issue.record("an unresolvable name connected")
        } catch let error as CurlError {
            #expect(error.isConnectFailure, "\(error)")
            #expect(error.message.contains("no-such-host.invalid"))
        }
    }

    /// A listener whose queue is full drops the next SYN, so that connect goes on until the
    /// deadline: a timeout, told as libcurl tells it.
    @Test func aConnectThatNeverCompletesTimesOutAsLibcurlWouldSay() throws {
        let (listener, port) = try Self.loopbackSocket(listening: 0)
        defer { close(listener) }
        let first = try PlainSocket.connect(host: "127.0.0.1", port: port, timeout: 5)  // fills the queue
        defer { close(first) }
        do {
            let fd = try PlainSocket.connect(host: "127.0.0.1", port: port, timeout: 0.3)
            close(fd)
            Issue.record("a connect to a full queue completed")
        } catch let error as CurlError {
            #expect(error.code == 28, "CURLE_OPERATION_TIMEDOUT: \(error)")
            #expect(error.message == "Failed to connect to 127.0.0.1 port \(port) after 300 ms: Timeout was reached")
        }
    }

    @Test func aProxyOrTLSIsLeftToLibcurl() throws {
        // libcurl is asked (and reaches nothing): its own call failed, not the plain path's
        for (url, env) in [
            ("https://127.0.0.1:9/v1", [String: String]()),
            ("http://127.0.0.1:9/v1", ["all_proxy": "http://127.0.0.1:9"]),
        ] {
            do {
                _ = try WebSocketTransport.open(url, timeout: 2, environment: env)
                Issue.record("\(url) connected")
            } catch let error as CurlError {
                #expect(error.function == "curl_easy_perform", "\(url): \(error)")
            }
        }
        // the plain path says which call failed; a Unix socket is never proxied (libcurl does
        // not proxy one either), so a proxy in the environment leaves it plain
        for (url, env) in [
            ("http://127.0.0.1:9/v1", [String: String]()),
            (UnixSocketURL.make(socket: "/nonexistent/host.sock") + "/v1", ["http_proxy": "http://127.0.0.1:9"]),
        ] {
            do {
                _ = try WebSocketTransport.open(url, timeout: 2, environment: env)
                Issue.record("\(url) connected")
            } catch let error as CurlError {
                #expect(error.function == "connect", "\(url): \(error)")
            }
        }
    }
}
