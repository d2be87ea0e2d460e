import CCurl
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A WebSocket message as the application sees it (fragments already joined).
public enum WebSocketMessage: Equatable, Sendable {
    case text(String)
    case binary([UInt8])
    /// The peer closed the connection with this code (1005 when it sent none).
    case close(code: UInt16, reason: String)
}

/// Why a WebSocket failed.
public enum WebSocketError: Error, CustomStringConvertible, Sendable {
    /// The server answered the upgrade with an HTTP response instead of 101.
    case handshakeRejected(status: Int, headers: [String: String], body: Data)
    /// The server broke the protocol.
    case protocolViolation(String)
    /// The connection ended without a close frame.
    case connectionLost(String)
    /// Nothing arrived within the allowed time.
    case timeout

    public var description: String {
        switch self {
        case .handshakeRejected(let status, _, _): return "WebSocket upgrade rejected with HTTP \(status)"
        case .protocolViolation(let why): return "WebSocket protocol error: \(why)"
        case .connectionLost(let why): return "connection lost: \(why)"
        case .timeout: return "timed out waiting for the server"
        }
    }
}

/// An RFC 6455 client over a `WebSocketTransport`: libcurl's `CURLOPT_CONNECT_ONLY` for TLS and
/// proxies, a plain socket otherwise; this type writes the upgrade request and frames messages
/// itself, because Debian 12's libcurl 7.88 has no WebSocket support. Client frames are masked; fragmented
/// messages are joined; pings are answered; lengths use the 16- and 64-bit forms as needed.
///
/// One thread may receive while others send: each send or receive call is serialised by `lock`, held
/// only for the call, and both a receiver and a sender wait in `poll(2)` outside it, so a
/// sender stuck on a full socket never keeps the receiver from reading (when both sides'
/// buffers fill, a receiver that cannot read is a deadlock). Frames go out whole under
/// `sendLock`; a pong or keepalive ping the receiver cannot send at once is queued for the
/// sender to send after its frame.
public final class WebSocket: @unchecked Sendable {
    private let transport: WebSocketTransport
    private var socket: Int32 { transport.socket }
    private let lock = NSLock()
    private let sendLock = NSLock()
    /// Control frames the receiver queued while a sender had the socket (under `lock`).
    private var pendingControl: [[UInt8]] = []
    private var buffer: [UInt8] = []
    /// How much of `buffer` has been decoded already (dropped in one go, not frame by frame).
    private var consumed = 0
    /// What each receive reads into, reused.
    /// (uninitialised: zeroing 256 KB was 3% of an `exec`; only what a receive wrote is read)
    private let chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: 256 * 1024, alignment: 16)
    private var sentClose = false
    /// Keepalive (as the Sprites API asks): while the line is quiet the client pings every
    /// `pingInterval` seconds, and gives the connection up after `deadAfter` seconds without
    /// hearing anything (a message, a pong) from the server.
    public var pingInterval: TimeInterval = 15
    public var deadAfter: TimeInterval = 45
    private var lastHeard = Date()
    private var lastPinged = Date()
    /// Headers of the 101 response (names lower-cased).
    public let responseHeaders: [String: String]

    private init(transport: WebSocketTransport, headers: [String: String], leftover: [UInt8]) {
        self.transport = transport
        self.responseHeaders = headers
        self.buffer = leftover
    }

    deinit { chunk.deallocate() }

    /// Connects to a `ws://` or `wss://` URL (or `http(s)://`, rewritten) and performs the upgrade.
    public static func connect(
        url: String, headers: [(String, String)], userAgent: String,
        timeout: Double = 30, trace: TraceSink? = nil
    ) throws -> WebSocket {
        var httpURL = url
        if httpURL.hasPrefix("ws://") { httpURL = "http://" + String(httpURL.dropFirst(5)) }
        if httpURL.hasPrefix("wss://") { httpURL = "https://" + String(httpURL.dropFirst(6)) }
        let requested = UnixSocketURL.split(httpURL)?.httpURL ?? httpURL
        // the host as written (`encodedHost`): `host` decodes it through ICU's IDNA tables,
        // whose first use cost 0.1-0.3 ms of every exec, for the same name as ASCII
        guard let components = URLComponents(string: requested), let host = components.encodedHost else {
            throw WebSocketError.protocolViolation("invalid URL")
        }
        let started = Date()
        trace?("> GET \(Redaction.url(url)) (websocket)")
        // (one generator call for the 16 bytes, not one system call per byte)
        var generator = SystemRandomNumberGenerator()
        let halves = [generator.next(), generator.next()] as [UInt64]
        let key = halves.withUnsafeBytes { Data($0) }.base64EncodedString()
        // a connection opened ahead, when there is one the server has not closed
        let transport =
            try SpareConnections.take(for: httpURL, within: timeout)
            ?? WebSocketTransport.open(httpURL, timeout: timeout)
        let ws = WebSocket(transport: transport, headers: [:], leftover: [])
        try ws.sendRaw(
            Array(upgradeRequest(components, host: host, key: key, userAgent: userAgent, headers: headers).utf8))
        let reply = try ws.readUpgradeReply(deadline: Date().addingTimeInterval(timeout))
        let ms = Int(Date().timeIntervalSince(started) * 1000)
        trace?("< \(reply.status) GET \(Redaction.url(url)) (websocket, \(ms) ms)")
        guard reply.status == 101 else { throw ws.rejection(reply) }
        guard reply.headers["sec-websocket-accept"] == UpgradeReply.accept(for: key) else {
            throw WebSocketError.protocolViolation("bad Sec-WebSocket-Accept")
        }
        return WebSocket(transport: transport, headers: reply.headers, leftover: reply.rest)
    }

    /// The opening handshake's request (RFC 6455 section 4.1).
    static func upgradeRequest(
        _ components: URLComponents, host: String, key: String, userAgent: String, headers: [(String, String)]
    ) -> String {
        var path = components.percentEncodedPath.isEmpty ? "/" : components.percentEncodedPath
        if let q = components.percentEncodedQuery { path += "?" + q }
        let defaultPort = components.scheme == "https" ? 443 : 80
        let hostHeader = components.port.map { $0 == defaultPort ? host : "\(host):\($0)" } ?? host
        var request =
            "GET \(path) HTTP/1.1\r\nHost: \(hostHeader)\r\nUpgrade: websocket\r\n"
            + "Connection: Upgrade\r\nSec-WebSocket-Key: \(key)\r\nSec-WebSocket-Version: 13\r\n"
            + "User-Agent: \(userAgent)\r\n"
        for (name, value) in headers { request += "\(name): \(value)\r\n" }
        return request + "\r\n"
    }

    /// Reads the server's answer to the upgrade, whatever its status.
    func readUpgradeReply(deadline: Date) throws -> UpgradeReply {
        var raw: [UInt8] = []
        var reply: UpgradeReply?
        while reply == nil {
            raw += try recvSome(deadline: deadline)
            reply = try UpgradeReply.parse(raw)
        }
        guard let reply else { throw WebSocketError.protocolViolation("no response") }
        return reply
    }

    /// A refused upgrade as an error with its status, headers and body: up to its
    /// Content-Length (bounded), else whatever arrives shortly.
    func rejection(_ reply: UpgradeReply) -> WebSocketError {
        var body = reply.rest
        let length = reply.expectedBodyLength
        let bodyDeadline = Date().addingTimeInterval(2)
        while body.count < (length ?? UpgradeReply.maxBody) {
            guard let more = try? recvSome(deadline: bodyDeadline), !more.isEmpty else { break }
            body += more
        }
        return WebSocketError.handshakeRejected(
            status: reply.status, headers: reply.headers, body: Data(body.prefix(UpgradeReply.maxBody)))
    }

    // MARK: sending

    /// Sends a text message.
    public func send(text: String) throws { try sendFrame(opcode: 0x1, payload: Array(text.utf8)) }

    /// Sends a binary message.
    public func send(binary: [UInt8]) throws { try sendFrame(opcode: 0x2, payload: binary) }

    /// Sends a binary message of `prefix` (when given) and `payload`, framed and masked
    /// without an intermediate copy.
    public func send(binary payload: UnsafeRawBufferPointer, prefix: UInt8?) throws {
        try sendRaw(WebSocketFrame.encode(opcode: 0x2, prefix: prefix, payload: payload, mask: Self.newMask()))
    }

    /// Sends a ping.
    public func ping() throws { try sendFrame(opcode: 0x9, payload: []) }

    /// Starts the closing handshake (idempotent).
    public func close(code: UInt16 = 1000, reason: String = "") throws {
        lock.lock()
        let already = sentClose
        sentClose = true
        lock.unlock()
        if already { return }
        try sendFrame(opcode: 0x8, payload: [UInt8(code >> 8), UInt8(code & 0xff)] + Array(reason.utf8))
    }

    private func sendFrame(opcode: UInt8, payload: [UInt8]) throws {
        try sendRaw(Self.frame(opcode, payload))
    }

    private static func frame(_ opcode: UInt8, _ payload: [UInt8]) -> [UInt8] {
        payload.withUnsafeBytes { WebSocketFrame.encode(opcode: opcode, payload: $0, mask: newMask()) }
    }

    /// A pong or ping from the receiving thread: sent now unless a sender has the socket,
    /// then by that sender once its frame is out. The receiver never waits on a sender.
    private func sendControl(opcode: UInt8, payload: [UInt8]) throws {
        lock.lock()
        pendingControl.append(Self.frame(opcode, payload))
        lock.unlock()
        try flushControl()
    }

    private func flushControl() throws {
        while sendLock.try() {
            lock.lock()
            let frames = pendingControl
            pendingControl = []
            lock.unlock()
            defer { sendLock.unlock() }
            if frames.isEmpty { return }
            for f in frames { try write(f) }
        }
    }

    /// A fresh masking key for each frame (RFC 6455 section 5.3).
    private static func newMask() -> [UInt8] {
        withUnsafeBytes(of: UInt32.random(in: 0...UInt32.max)) { Array($0) }
    }

    private func sendRaw(_ bytes: [UInt8]) throws {
        sendLock.lock()
        do {
            try write(bytes)
            sendLock.unlock()
        } catch {
            sendLock.unlock()
            throw error
        }
        try flushControl()
    }

    /// Writes bytes whole; the caller holds `sendLock`.
    private func write(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            lock.lock()
            let step = bytes.withUnsafeBytes { raw in
                transport.send(raw.baseAddress! + offset, count: bytes.count - offset)
            }
            lock.unlock()
            switch step {
            case .moved(let sent): offset += sent
            case .again:
                var pfd = pollfd(fd: socket, events: Int16(POLLOUT), revents: 0)
                _ = poll(&pfd, 1, 1000)
            case .failed(let why): throw WebSocketError.connectionLost(why)
            }
        }
    }

    // MARK: receiving

    /// Reads whatever bytes are available, waiting until `deadline`.
    private func recvSome(deadline: Date?) throws -> [UInt8] {
        while true {
            lock.lock()
            let step = transport.receive(into: chunk.baseAddress!, count: chunk.count)
            lock.unlock()
            switch step {
            case .moved(let got):
                if got == 0 { throw WebSocketError.connectionLost("the server closed the connection") }
                lastHeard = Date()
                return Array(UnsafeRawBufferPointer(rebasing: chunk[..<got]))
            case .failed(let why): throw WebSocketError.connectionLost(why)
            case .again: break
            }
            let now = Date()
            let quiet = now.timeIntervalSince(lastHeard)
            if quiet >= deadAfter {
                throw WebSocketError.connectionLost("no answer from the server for \(Int(quiet.rounded())) seconds")
            }
            if quiet >= pingInterval && now.timeIntervalSince(lastPinged) >= pingInterval {
                lastPinged = now
                try sendControl(opcode: 0x9, payload: [])
            }
            var wait = Int32(min(250, max(1, pingInterval * 1000 / 2)))
            if let deadline {
                let left = deadline.timeIntervalSinceNow
                if left <= 0 { throw WebSocketError.timeout }
                wait = Int32(min(Double(wait), max(1, left * 1000)))
            }
            var pfd = pollfd(fd: socket, events: Int16(POLLIN), revents: 0)
            _ = poll(&pfd, 1, wait)
        }
    }

    /// The largest frame or message accepted (a server may not make us buffer more).
    public static let maxMessage = 64 << 20

    /// Receives the next message; answers pings, joins fragments. `timeout` bounds the wait
    /// for the next frame (nil: wait forever).
    public func receive(timeout: Double? = nil) throws -> WebSocketMessage {
        var assembler = WebSocketAssembler(limit: Self.maxMessage)
        var deadline = timeout.map { Date().addingTimeInterval($0) }
        while true {
            let decoded = try buffer.withUnsafeBytes { all in
                try WebSocketFrame.decode(UnsafeRawBufferPointer(rebasing: all[consumed...]), limit: Self.maxMessage)
            }
            guard let (frame, used) = decoded else {
                // what was decoded goes before more is read, so the buffer holds one frame at most
                if consumed > 0 {
                    buffer.removeFirst(consumed)
                    consumed = 0
                }
                buffer += try recvSome(deadline: deadline)
                continue
            }
            consumed += used
            if consumed == buffer.count {
                buffer.removeAll(keepingCapacity: true)
                consumed = 0
            }
            deadline = timeout.map { Date().addingTimeInterval($0) }
            switch try assembler.add(frame) {
            case .ping(let payload)?:
                try sendControl(opcode: 0xA, payload: payload)
            case .pong?, nil:
                continue
            case .message(.close(let code, let reason))?:
                try? close(code: code == 1005 ? 1000 : code)
                return .close(code: code, reason: reason)
            case .message(let message)?:
                return message
            }
        }
    }
}
