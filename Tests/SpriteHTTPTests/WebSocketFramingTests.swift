import Foundation
import SpriteSync
import Testing

@testable import SpriteHTTP

#if canImport(Glibc)
    import Glibc
#endif

/// The RFC 6455 client against a scripted server on loopback: fragmented messages, frames
/// with 16- and 64-bit lengths, pings, and the close handshake.
@Suite("WebSocket framing")
struct WebSocketFramingTests {
    /// A one-connection server: answers the upgrade, then runs `script` on the socket.
    final class ScriptedServer: Sendable {
        let port: UInt16
        private let listener: Int32
        private let done = DispatchSemaphore(value: 0)

        init(reject: Bool = false, _ script: @escaping @Sendable (Int32) -> Void) throws {
            let l = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var addr = sockaddr_in()
            addr.sin_family = sa_family_t(AF_INET)
            addr.sin_addr.s_addr = inet_addr("127.0.0.1")
            addr.sin_port = 0
            var len = socklen_t(MemoryLayout<sockaddr_in>.size)
            _ = withUnsafePointer(to: &addr) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(l, $0, len) }
            }
            listen(l, 1)
            _ = withUnsafeMutablePointer(to: &addr) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(l, $0, &len) }
            }
            listener = l
            port = UInt16(bigEndian: addr.sin_port)
            Thread {
                let fd = accept(l, nil, nil)
                var request = [UInt8]()
                var byte: UInt8 = 0
                while read(fd, &byte, 1) == 1 {
                    request.append(byte)
                    if request.suffix(4) == [13, 10, 13, 10] { break }
                }
                let text = String(decoding: request, as: UTF8.self)
                let key =
                    text.split(separator: "\r\n").first { $0.lowercased().hasPrefix("sec-websocket-key:") }
                    .map { $0.split(separator: ":", maxSplits: 1)[1].trimmingCharacters(in: .whitespaces) } ?? ""
                let accept = Data(Digest.sha1(Array((key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").utf8)))
                    .base64EncodedString()
                let body = "{\"error\":\"nope\"}"
                let response =
                    reject
                    ? "HTTP/1.1 404 Not Found\r\nContent-Length: \(body.utf8.count)\r\n\r\n" + body
                    : "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                        + "Sec-WebSocket-Accept: \(accept)\r\nX-Sprite-Capabilities: signal\r\n\r\n"
                _ = response.withCString { write(fd, $0, strlen($0)) }
                script(fd)
                close(fd)
                self.done.signal()
            }.start()
        }

        deinit { close(listener) }
        func wait() { done.wait() }
    }

    /// An unmasked server frame.
    static func frame(fin: Bool = true, opcode: UInt8, _ payload: [UInt8]) -> [UInt8] {
        var f: [UInt8] = [(fin ? 0x80 : 0) | opcode]
        if payload.count < 126 {
            f.append(UInt8(payload.count))
        } else if payload.count <= 0xffff {
            f += [126, UInt8(payload.count >> 8), UInt8(payload.count & 0xff)]
        } else {
            f.append(127)
            for i in (0..<8).reversed() { f.append(UInt8(truncatingIfNeeded: payload.count >> (i * 8))) }
        }
        return f + payload
    }

    static func send(_ fd: Int32, _ bytes: [UInt8]) {
        var offset = 0
        while offset < bytes.count {
            // MSG_NOSIGNAL: a client that gave up must not kill the test process with SIGPIPE
            let n = bytes.withUnsafeBytes {
                Glibc.send(fd, $0.baseAddress! + offset, bytes.count - offset, Int32(MSG_NOSIGNAL))
            }
            if n <= 0 { return }
            offset += n
        }
    }

    /// Reads one masked client frame and returns (opcode, unmasked payload).
    static func readClientFrame(_ fd: Int32) -> (UInt8, [UInt8]) {
        func readN(_ n: Int) -> [UInt8] {
            var out = [UInt8](repeating: 0, count: n)
            var got = 0
            while got < n {
                let r = out.withUnsafeMutableBytes { read(fd, $0.baseAddress! + got, n - got) }
                if r <= 0 { return [] }
                got += r
            }
            return out
        }
        let h = readN(2)
        guard h.count == 2 else { return (0, []) }
        var len = Int(h[1] & 0x7f)
        if len == 126 {
            let e = readN(2)
            len = Int(e[0]) << 8 | Int(e[1])
        }
        if len == 127 { len = readN(8).reduce(0) { $0 << 8 | Int($1) } }
        let mask = readN(4)
        var payload = readN(len)
        for i in payload.indices { payload[i] ^= mask[i & 3] }
        return (h[0] & 0x0f, payload)
    }

    @Test func fragmentsLengthsPingsAndCloseFollowTheRFC() throws {
        let big = (0..<70_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        let pongPayload = Locked<[UInt8]>([])
        let echoed = Locked<[UInt8]>([])
        let closeCode = Locked<[UInt8]>([])
        let server = try ScriptedServer { fd in
            // a text message in three fragments, with a ping in between
            Self.send(fd, Self.frame(fin: false, opcode: 0x1, Array("hel".utf8)))
            Self.send(fd, Self.frame(opcode: 0x9, Array("are-you-there".utf8)))
            Self.send(fd, Self.frame(fin: false, opcode: 0x0, Array("lo, ".utf8)))
            Self.send(fd, Self.frame(opcode: 0x0, Array("world".utf8)))
            Self.send(fd, Self.frame(opcode: 0x2, Array(big[0..<300])))  // 16-bit length
            Self.send(fd, Self.frame(opcode: 0x2, big))  // 64-bit length
            let pong = Self.readClientFrame(fd)
            if pong.0 == 0xA { pongPayload.set(pong.1) }
            let echo = Self.readClientFrame(fd)
            if echo.0 == 0x2 { echoed.set(echo.1) }
            Self.send(fd, Self.frame(opcode: 0x8, [0x03, 0xE8] + Array("bye".utf8)))
            let close = Self.readClientFrame(fd)
            if close.0 == 0x8 { closeCode.set(close.1) }
        }
        let ws = try WebSocket.connect(
            url: "ws://127.0.0.1:\(server.port)/x", headers: [("Authorization", "Bearer t")],
            userAgent: "test", timeout: 5)
        #expect(ws.responseHeaders["x-sprite-capabilities"] == "signal")
        #expect(try ws.receive(timeout: 5) == .text("hello, world"))
        #expect(try ws.receive(timeout: 5) == .binary(Array(big[0..<300])))
        #expect(try ws.receive(timeout: 5) == .binary(big))
        try ws.send(binary: Array(big.reversed()))  // the client's 64-bit length path
        #expect(try ws.receive(timeout: 5) == .close(code: 1000, reason: "bye"))
        server.wait()
        #expect(pongPayload.value == Array("are-you-there".utf8))
        #expect(echoed.value == Array(big.reversed()))
        #expect(closeCode.value.prefix(2) == [0x03, 0xE8])
    }

    @Test func aRefusedUpgradeSurfacesItsStatusAndBody() throws {
        let server = try ScriptedServer(reject: true) { _ in }
        do {
            _ = try WebSocket.connect(url: "ws://127.0.0.1:\(server.port)/x", headers: [], userAgent: "t", timeout: 5)
            Issue.record("the handshake must fail")
        } catch WebSocketError.handshakeRejected(let status, _, let body) {
            #expect(status == 404)
            #expect(String(decoding: body, as: UTF8.self) == "{\"error\":\"nope\"}")
        }
        server.wait()
    }

    @Test func aQuietLineIsKeptAliveByPingsThatTheServerAnswers() throws {
        let pings = Locked(0)
        let server = try ScriptedServer { fd in
            // silent for three seconds (twice the silence limit), but answers every ping; then speaks
            let until = Date().addingTimeInterval(3)
            while Date() < until {
                var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
                guard poll(&pfd, 1, 50) > 0 else { continue }
                let (opcode, payload) = Self.readClientFrame(fd)
                if opcode == 0x9 {
                    pings.withLock { $0 += 1 }
                    Self.send(fd, Self.frame(opcode: 0xA, payload))
                }
            }
            Self.send(fd, Self.frame(opcode: 0x1, Array("still here".utf8)))
            _ = Self.readClientFrame(fd)
        }
        let ws = try WebSocket.connect(url: "ws://127.0.0.1:\(server.port)/x", headers: [], userAgent: "t", timeout: 5)
        ws.pingInterval = 0.2
        ws.deadAfter = 1.5
        #expect(try ws.receive(timeout: 10) == .text("still here"))
        try ws.close()
        server.wait()
        #expect(pings.value >= 5)
    }

    @Test func aServerThatStopsAnsweringIsGivenUpAfterTheSilenceLimit() throws {
        let server = try ScriptedServer { fd in
            // reads the pings but never answers, until the client goes away
            while true {
                let (opcode, _) = Self.readClientFrame(fd)
                if opcode == 0 { break }
            }
        }
        let ws = try WebSocket.connect(url: "ws://127.0.0.1:\(server.port)/x", headers: [], userAgent: "t", timeout: 5)
        ws.pingInterval = 0.1
        ws.deadAfter = 0.5
        let started = Date()
        do {
            _ = try ws.receive()
            Issue.record("a silent server must not hang the client")
        } catch WebSocketError.connectionLost(let why) {
            #expect(why.hasPrefix("no answer from the server for"))
        }
        #expect(Date().timeIntervalSince(started) < 5)
        withExtendedLifetime(ws) {}
    }

    /// A hostile or broken server: frame lengths with the top bit set or past the bound, a
    /// fragmented message past the bound, a frame cut short, invalid UTF-8. Each is an error
    /// (or, for UTF-8, replacement characters), never a trap and never a huge allocation.
    @Test(arguments: ["top-bit", "huge", "many-fragments", "truncated", "utf8"])
    func hostileFramesAreErrorsNotTraps(kind: String) throws {
        let server = try ScriptedServer { fd in
            switch kind {
            case "top-bit":
                Self.send(fd, [0x82, 127, 0x80, 0, 0, 0, 0, 0, 0, 1, 0xAA])
            case "huge":
                Self.send(fd, [0x82, 127, 0, 0, 0, 1, 0, 0, 0, 0])  // 4 GiB announced
            case "many-fragments":
                let chunk = [UInt8](repeating: 0x61, count: 1 << 20)
                Self.send(fd, Self.frame(fin: false, opcode: 0x2, chunk))
                for _ in 0..<80 { Self.send(fd, Self.frame(fin: false, opcode: 0x0, chunk)) }
            case "truncated":
                Self.send(fd, Array(Self.frame(opcode: 0x2, [UInt8](repeating: 1, count: 1000)).prefix(500)))
            default:
                Self.send(fd, Self.frame(opcode: 0x1, [0xff, 0xfe, 0x41, 0xc3]))
            }
            Thread.sleep(forTimeInterval: 0.3)
        }
        do {
            let ws = try WebSocket.connect(
                url: "ws://127.0.0.1:\(server.port)/x", headers: [], userAgent: "t", timeout: 5)
            let message = try ws.receive(timeout: 5)
            #expect(kind == "utf8")
            if case .text(let text) = message { #expect(text.contains("A")) } else { Issue.record("\(message)") }
        } catch let error as WebSocketError {
            #expect(kind != "utf8", "\(error)")
        }
        // the client is gone (its connection closed), so the server's last write ends
        server.wait()
    }
}
