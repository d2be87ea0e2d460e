import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import SpriteSync
import SpriteWire

#if canImport(Glibc)
    import Glibc
#endif

/// Each sprite's own URL, as the cloud gives one (`https://<sprite>-<org>.sprites.app`): here
/// `http://<sprite>.localhost:<port>/` on a loopback listener of its own, which a browser
/// reaches (every `*.localhost` name is this machine). A request is carried to the sprite's
/// port 8080, or to the port of the service that has `http_port`, from inside the sprite,
/// waking it as the cloud does.
///
/// `url_settings.auth`: `public` serves anyone; `sprite` (the default) wants a credential: the
/// API token as `Authorization: Bearer`, or the cookie a one-time login link sets
/// (`POST /v1/sprites/{name}/url/login`, a sprite-host extension: the link carries a code that
/// works once for a minute, never the token).
final class SpriteURLs: Sendable {
    let state: HostState
    private struct State {
        /// The listener's port once it runs.
        var port: Int?
        var codes: [String: (sprite: String, until: Date)] = [:]
        var sessions: [String: (sprite: String, until: Date)] = [:]
    }
    private let locked = Locked(State())
    var port: Int? { locked.withLock { $0.port } }
    static let cookie = "sprite_session"
    static let codeLife: TimeInterval = 60
    static let sessionLife: TimeInterval = 12 * 3600

    init(state: HostState) { self.state = state }

    func listening(on port: Int) {
        locked.withLock { $0.port = port }
    }

    /// The sprite's URL, when the listener runs.
    func url(of sprite: String) -> String? {
        port.map { "http://\(sprite).localhost:\($0)/" }
    }

    /// A link that logs a browser in to the sprite's URL once.
    func loginLink(for sprite: String) -> String? {
        guard let base = url(of: sprite) else { return nil }
        let code = Self.secret()
        locked.withLock { s in
            let now = Date()
            s.codes = s.codes.filter { $0.value.until > now }
            s.codes[code] = (sprite, now.addingTimeInterval(Self.codeLife))
        }
        return base + "_sprite/login?code=" + code
    }

    private func redeem(_ code: String, for sprite: String) -> String? {
        locked.withLock { s in
            guard let entry = s.codes.removeValue(forKey: code), entry.sprite == sprite, entry.until > Date() else {
                return nil
            }
            let session = Self.secret()
            s.sessions = s.sessions.filter { $0.value.until > Date() }
            s.sessions[session] = (sprite, Date().addingTimeInterval(Self.sessionLife))
            return session
        }
    }

    private func validSession(_ value: String, for sprite: String) -> Bool {
        locked.withLock { s in
            guard let entry = s.sessions[value] else { return false }
            return entry.sprite == sprite && entry.until > Date()
        }
    }

    static func secret() -> String {
        var bytes = [UInt8](repeating: 0, count: 24)
        for i in bytes.indices { bytes[i] = UInt8.random(in: 0...255) }
        return bytes.map { String(format: "%02x", $0) }.joined()
    }

    // MARK: the listener's routes

    func addRoutes(to router: Router<HostRequestContext>) {
        for method: HTTPRequest.Method in [.get, .head, .post, .put, .delete, .patch, .options] {
            router.on("/", method: method) { [self] request, context in
                try await self.serve(request, channel: context.channel)
            }
            router.on("**", method: method) { [self] request, context in
                try await self.serve(request, channel: context.channel)
            }
        }
    }

    /// `<sprite>.localhost[:port]` → the sprite's name.
    static func sprite(fromHost host: String) -> String? {
        let name = host.split(separator: ":").first.map(String.init)?.lowercased() ?? ""
        guard name.hasSuffix(".localhost") else { return nil }
        let sprite = String(name.dropLast(".localhost".count))
        guard !sprite.isEmpty, sprite.count <= 63, sprite.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" }),
            sprite.allSatisfy(\.isASCII)
        else { return nil }
        return sprite
    }

    private func text(_ status: HTTPResponse.Status, _ message: String) -> Response {
        Response(
            status: status, headers: [.contentType: "text/plain; charset=utf-8", .cacheControl: "no-store"],
            body: .init(byteBuffer: ByteBuffer(string: message + "\n")))
    }

    /// How long a reply may send nothing before it ends (server-sent events send more often).
    static let replyIdleLimit: Duration = .seconds(120)

    private func serve(_ request: Request, channel: (any Channel)?) async throws -> Response {
        guard let name = request.head.authority.flatMap(Self.sprite(fromHost:)),
            let (record, runtime) = try? state.get(name)
        else {
            return text(.notFound, "no such sprite here: open http://<sprite>.localhost:\(port ?? 0)/")
        }
        // the login link: a code that works once, for a cookie of this sprite's host alone
        if request.uri.path == "/_sprite/login" {
            guard let code = request.uri.queryParameters["code"].map(String.init), let session = redeem(code, for: name)
            else {
                return text(
                    .forbidden,
                    "this login link was used already or has expired: get a new one with git sprite url --open")
            }
            return Response(
                status: .seeOther,
                headers: [
                    .location: "/",
                    .setCookie:
                        "\(Self.cookie)=\(session); Path=/; HttpOnly; SameSite=Lax; Max-Age=\(Int(Self.sessionLife))",
                    .cacheControl: "no-store",
                ])
        }
        if record.urlAuth != "public" && !authorized(request, sprite: name) {
            return text(
                .unauthorized,
                "\(name)'s URL is private: open it with git sprite url --open \(name), "
                    + "or make it public with git sprite url --public \(name)")
        }
        let port = runtime.serviceList.first { $0.spec.httpPort != nil }?.spec.httpPort ?? 8080
        // a body of a stated length goes to the sprite as it comes (it was held here whole, up
        // to 64 MiB per request: a dozen at once took half a gigabyte, an adversarial review);
        // one without (chunked: `git push` over HTTP sends its packs so) is spooled to an
        // unnamed file first, up to 64 MiB, for its length
        let stated = request.headers[.contentLength].flatMap { Int($0) }
        let spool = stated == nil ? try await BodySpool.take(request.body, limit: 64 << 20) : nil
        defer { spool.map { close($0.fd) } }
        runtime.connect()
        let fd: Int32
        do {
            fd = try await Blocking.run { try runtime.connectInside(host: "127.0.0.1", port: port) }
        } catch {
            runtime.disconnect()
            return text(.badGateway, "nothing answers on port \(port) in \(name)")
        }
        // until the reply's body takes them over, the connection into the sprite and its count
        // go with whatever ends this (a client that left mid-body threw out of here and kept
        // both for good: 200 such requests, 200 descriptors, a sprite that never slept)
        var handedOver = false
        defer {
            if !handedOver {
                close(fd)
                runtime.disconnect()
            }
        }
        let head = Self.requestHead(request, bodyLength: stated ?? spool?.length ?? 0)
        var sent = await SpriteSocket.writeAll(fd, head)
        if sent, let spool {
            sent = await spool.send(to: fd)
        } else if sent, let stated {
            var total = 0
            for try await part in request.body {
                total += part.readableBytes
                guard total <= stated, await SpriteSocket.writeAll(fd, Data(buffer: part)) else {
                    sent = false
                    break
                }
            }
            sent = sent && total == stated
        }
        guard sent else { return text(.badGateway, "\(name) closed the connection") }
        guard let reply = await UpstreamReply.read(fd) else {
            return text(.badGateway, "\(name) did not answer in HTTP on port \(port)")
        }
        handedOver = true
        return Response(
            status: .init(code: reply.status), headers: reply.headers,
            body: ResponseBody { writer in
                defer {
                    close(fd)
                    runtime.disconnect()
                }
                // (paced by the connection: a sprite's server faster than a client that does not
                // read would queue its reply in the host)
                var pacing = ReplyPacing(channel: channel)
                if !reply.rest.isEmpty { try await pacing.write(ByteBuffer(bytes: reply.rest), to: &writer) }
                // a reply that sends nothing for `replyIdleLimit` ends, as a proxy's read timeout
                // ends one: a client that left is seen only when something is written to it, so
                // without a limit each left its connection into the sprite open for good
                while let chunk = await SpriteSocket.read(fd, deadline: .now + Self.replyIdleLimit), !chunk.isEmpty {
                    try await pacing.write(ByteBuffer(bytes: chunk), to: &writer)
                }
                try await writer.finish(nil)
            })
    }

    /// The credential for a private sprite's URL: the host's token, or a session cookie of it.
    private func authorized(_ request: Request, sprite: String) -> Bool {
        if let header = request.headers[.authorization], header.hasPrefix("Bearer "),
            Self.same(String(header.dropFirst(7)), state.config.token)
        {
            return true
        }
        for cookies in request.headers[values: .cookie] {
            for pair in cookies.split(separator: ";") {
                let kv = pair.trimmingCharacters(in: .whitespaces).split(separator: "=", maxSplits: 1).map(String.init)
                if kv.count == 2, kv[0] == Self.cookie, validSession(kv[1], for: sprite) { return true }
            }
        }
        return false
    }

    static func same(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        guard x.count == y.count else { return false }
        var diff: UInt8 = 0
        for i in 0..<x.count { diff |= x[i] ^ y[i] }
        return diff == 0
    }

    /// The request as HTTP/1.0 to the sprite: the answer is then a head and a body that ends
    /// with the connection (no chunks to decode). The host's credentials never go along.
    static func requestHead(_ request: Request, bodyLength: Int) -> Data {
        var path = request.uri.path.isEmpty ? "/" : request.uri.path
        if let q = request.uri.query { path += "?" + q }
        var head = "\(request.method.rawValue) \(path) HTTP/1.0\r\n"
        if let authority = request.head.authority { head += "Host: \(authority)\r\n" }
        let dropped: Set<String> = [
            "connection", "keep-alive", "proxy-connection", "proxy-authorization", "te", "trailer",
            "transfer-encoding", "upgrade", "content-length", "authorization", "cookie",
        ]
        for field in request.headers where !dropped.contains(field.name.canonicalName) {
            head += "\(field.name.rawName): \(field.value)\r\n"
        }
        // the browser's other cookies go along; this host's session does not
        let cookies = request.headers[values: .cookie].flatMap { $0.split(separator: ";") }
            .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.hasPrefix(cookie + "=") }
        if !cookies.isEmpty { head += "Cookie: \(cookies.joined(separator: "; "))\r\n" }
        head += "Content-Length: \(bodyLength)\r\nConnection: close\r\nX-Forwarded-Proto: http\r\n\r\n"
        return Data(head.utf8)
    }
}

/// The head of what a sprite's server answered, read from its socket.
struct UpstreamReply {
    let status: Int
    let headers: HTTPFields
    /// Body bytes that came with the head.
    let rest: [UInt8]

    /// Reads until the blank line (at most 64 KiB, 30 s); nil when what came is not HTTP.
    static func read(_ fd: Int32) async -> UpstreamReply? {
        var raw: [UInt8] = []
        let deadline = ContinuousClock.now + .seconds(30)
        while raw.count < 64 << 10 {
            guard let bytes = await SpriteSocket.read(fd, max: 16 << 10, deadline: deadline), !bytes.isEmpty else {
                return nil
            }
            raw += bytes
            if let end = headEnd(raw) { return parse(Array(raw[..<end]), rest: Array(raw[(end + 4)...])) }
        }
        return nil
    }

    static func headEnd(_ bytes: [UInt8]) -> Int? {
        guard bytes.count >= 4 else { return nil }
        for i in 0...(bytes.count - 4)
        where bytes[i] == 13 && bytes[i + 1] == 10 && bytes[i + 2] == 13 && bytes[i + 3] == 10 {
            return i
        }
        return nil
    }

    static func parse(_ head: [UInt8], rest: [UInt8]) -> UpstreamReply? {
        var lines = String(decoding: head, as: UTF8.self).components(separatedBy: "\r\n")
        guard !lines.isEmpty else { return nil }
        let status = lines.removeFirst().split(separator: " ")
        guard status.count >= 2, status[0].hasPrefix("HTTP/1."), let code = Int(status[1]), (100...599).contains(code)
        else {
            return nil
        }
        var fields = HTTPFields()
        let hopByHop: Set<String> = [
            "connection", "keep-alive", "transfer-encoding", "upgrade", "proxy-connection", "te",
            "trailer",
        ]
        for line in lines {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let name = line[..<colon].trimmingCharacters(in: .whitespaces)
            let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            guard !hopByHop.contains(name.lowercased()), let field = HTTPField.Name(name) else { continue }
            fields.append(HTTPField(name: field, value: value))
        }
        return UpstreamReply(status: code, headers: fields, rest: rest)
    }
}
