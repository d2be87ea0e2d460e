import Foundation
import SpriteHTTP
import SpriteSync

/// What to run (Sprites API).
public struct ExecRequest: Sendable {
    public var command: [String]
    public var environment: [String: String]
    public var directory: String?
    public var tty: Bool
    public var rows: Int
    public var cols: Int
    public var stdin: Bool
    /// Go duration (`10s`, `0` for forever); nil for the server's default.
    public var maxRunAfterDisconnect: String?

    public init(
        command: [String], environment: [String: String] = [:], directory: String? = nil, tty: Bool = false,
        rows: Int = 24, cols: Int = 80, stdin: Bool = false, maxRunAfterDisconnect: String? = nil
    ) {
        self.command = command
        self.environment = environment
        self.directory = directory
        self.tty = tty
        self.rows = rows
        self.cols = cols
        self.stdin = stdin
        self.maxRunAfterDisconnect = maxRunAfterDisconnect
    }

    /// The longest encoded query an exec is sent with: sprite-host refuses a request line
    /// past 64 KiB (414), an edge often far sooner.
    public static let longestQuery = 60 << 10

    /// How long the query is once encoded (the command travels in it).
    public var encodedQueryLength: Int {
        query.reduce(0) { $0 + SpritesClient.encode($1.0).utf8.count + SpritesClient.encode($1.1).utf8.count + 2 }
    }

    var query: [(String, String)] {
        var q = command.map { ("cmd", $0) }
        if let first = command.first { q.append(("path", first)) }
        for (k, v) in environment.sorted(by: { $0.key < $1.key }) { q.append(("env", "\(k)=\(v)")) }
        if let directory { q.append(("dir", directory)) }
        if tty { q += [("tty", "true"), ("rows", String(rows)), ("cols", String(cols))] }
        q.append(("stdin", stdin ? "true" : "false"))
        if let m = maxRunAfterDisconnect { q.append(("max_run_after_disconnect", m)) }
        return q
    }
}

/// An open exec WebSocket (non-TTY framing or raw TTY), for streaming both ways.
public final class ExecStream: @unchecked Sendable {
    let socket: WebSocket
    /// The session's id, once the service has said it (`session_info`); read from any thread.
    public var sessionID: String? { session.value }
    private let session = Locked<String?>(nil)
    public private(set) var tty: Bool
    public let capabilities: Set<String>
    private var exited = false

    init(socket: WebSocket, tty: Bool) {
        self.socket = socket
        self.tty = tty
        capabilities = Self.list(socket.responseHeaders["x-sprite-capabilities"] ?? "")
    }

    /// The names of a comma-separated header, each without HTTP's optional white space (spaces
    /// and tabs) around it; empty ones dropped. Read byte by byte: Foundation's trimming, or
    /// generic collection code over Substring and Character, costs its first use (runtime
    /// conformance lookups, 0.3-0.6 ms of an exec).
    static func list(_ header: String) -> Set<String> {
        var names = Set<String>()
        var name: [UInt8] = []
        func flush() {
            while name.last == 0x20 || name.last == 0x09 { name.removeLast() }
            if !name.isEmpty { names.insert(String(decoding: name, as: UTF8.self)) }
            name.removeAll(keepingCapacity: true)
        }
        for byte in header.utf8 {
            if byte == UInt8(ascii: ",") {
                flush()
            } else if !name.isEmpty || (byte != 0x20 && byte != 0x09) {
                name.append(byte)
            }
        }
        flush()
        return names
    }

    /// Sends stdin bytes (TTY: raw keystrokes).
    public func write(_ data: Data) throws {
        // 32 KiB a frame, as the official SDKs send stdin
        try data.withUnsafeBytes { bytes in
            var offset = 0
            repeat {
                let end = min(offset + 32 * 1024, bytes.count)
                try socket.send(binary: UnsafeRawBufferPointer(rebasing: bytes[offset..<end]), prefix: tty ? nil : 0)
                offset = end
            } while offset < bytes.count
        }
    }

    /// Ends stdin (non-TTY only: in TTY mode Ctrl-D is just a byte).
    public func closeStdin() throws {
        if !tty { try socket.send(binary: [4]) }
    }

    /// Tells the server the terminal's new size.
    public func resize(rows: Int, cols: Int) throws {
        try socket.send(
            text: String(decoding: try Wire.encode(ExecMessage.resize(rows: rows, cols: cols)), as: UTF8.self))
    }

    /// Sends a signal in-band (`TERM`, `INT`, ...).
    public func signal(_ name: String) throws {
        try socket.send(text: String(decoding: try Wire.encode(ExecMessage.signal(name)), as: UTF8.self))
    }

    /// Sends a WebSocket ping (keepalive).
    public func ping() throws { try socket.ping() }

    /// The next event. After `.exit`, the stream is finished.
    public func next(timeout: Double? = nil) throws -> ExecEvent {
        while true {
            let message: WebSocketMessage
            do {
                message = try socket.receive(timeout: timeout)
            } catch let e as WebSocketError {
                if case .timeout = e { throw e }
                throw APIError.streamLost(sessionID: sessionID, detail: e.description)
            }
            if case .close(let code, let reason) = message {
                if exited { return .exit(0) }
                throw APIError.streamLost(
                    sessionID: sessionID,
                    detail: "closed by the server (\(code)\(reason.isEmpty ? "" : ": " + reason))")
            }
            switch ExecEvent.decode(message, tty: tty) {
            case nil:
                continue
            case .info(let id, let t)?:
                session.set(id)
                if let t { tty = t }
                return .info(sessionID: id, tty: t)
            case .exit(let code)?:
                exited = true
                return .exit(code)
            case let event?:
                return event
            }
        }
    }

    /// Hands output to the callbacks until the command exits; returns its exit status.
    /// `onPort` hears of ports opened and closed in the sprite meanwhile.
    public func relay(
        stdout: (Data) -> Void, stderr: (Data) -> Void,
        onPort: ((Bool, Int, String?) -> Void)? = nil
    ) throws -> Int32 {
        while true {
            switch try next() {
            case .stdout(let d): stdout(d)
            case .stderr(let d): stderr(d)
            case .exit(let code): return code
            case .info: continue
            case .port(let opened, let port, let address): onPort?(opened, port, address)
            }
        }
    }

    /// Closes the socket normally; a running TTY session stays alive to be re-attached.
    public func close() {
        try? socket.close(code: 1000)
    }
}

extension SpritesClient {
    private func webSocketURL(_ path: String, _ query: [(String, String)]) -> String {
        var u = url(path, query)
        if u.hasPrefix("https://") {
            // String(…): a String and a Substring joined by the generic `+` look up
            // conformances at run time on first use
            u = "wss://" + String(u.dropFirst(8))
        } else if u.hasPrefix("http://") {
            u = "ws://" + String(u.dropFirst(7))
        }
        return u
    }

    /// Opens a WebSocket; a refused upgrade with 429 or 503 is retried as `call` retries (the
    /// command never started, so this is safe for any command).
    func openSocket(_ path: String, _ query: [(String, String)]) throws -> WebSocket {
        var attempt = 0
        while true {
            attempt += 1
            do {
                return try openSocketOnce(path, query)
            } catch APIError.http(let failure)
                where Self.worthRetrying(failure.status, idempotent: false) && attempt < maxAttempts
            {
                sleepBackoff(attempt, hint: failure.retryAfter)
            }
        }
    }

    private func openSocketOnce(_ path: String, _ query: [(String, String)]) throws -> WebSocket {
        do {
            let socket = try WebSocket.connect(
                url: webSocketURL(path, query), headers: [authHeader],
                userAgent: userAgent, trace: trace)
            (socket.pingInterval, socket.deadAfter) = keepalive
            return socket
        } catch WebSocketError.handshakeRejected(let status, let headers, let body) {
            if status == 400 && body.isEmpty {
                // a server that cannot explain a refused upgrade (sprite-host on Hummingbird)
                // explains it on the same URL over plain HTTP
                if let r = try? http.send(HTTPRequest(method: "GET", url: url(path, query), headers: [authHeader])),
                    !(200..<300).contains(r.status)
                {
                    throw APIError.http(HTTPFailure(response: r, method: "GET", path: path))
                }
            }
            let response = HTTPResponse(status: status, headers: headers, body: body)
            throw APIError.http(HTTPFailure(response: response, method: "GET", path: path))
        } catch let e as CurlError {
            throw APIError.transport(TransportFailure(e))
        } catch let e as WebSocketError {
            throw APIError.transport(TransportFailure(e))
        }
    }

    /// Starts a command over the exec WebSocket.
    public func openExec(_ sprite: String, _ request: ExecRequest) throws -> ExecStream {
        ExecStream(socket: try openSocket(Self.path(sprite) + "/exec", request.query), tty: request.tty)
    }

    /// Attaches to a running session; the server replays its scrollback first.
    public func attach(_ sprite: String, session: String, stdin: Bool = true) throws -> ExecStream {
        let socket = try openSocket(
            Self.path(sprite) + "/exec/" + Self.encodePathSegment(session),
            [("stdin", stdin ? "true" : "false")])
        return ExecStream(socket: socket, tty: false)
    }

    /// Runs a command to completion, streaming stdin from `input` (nil: none) and output to the
    /// callbacks; returns the remote exit status.
    public func exec(
        _ sprite: String, _ request: ExecRequest, input: FileHandle? = nil, inputData: Data? = nil,
        stdout: @escaping (Data) -> Void, stderr: @escaping (Data) -> Void
    ) throws -> Int32 {
        try exec(sprite, request, input: input, inputData: inputData, stdout: stdout, stderr: stderr) { _ in }
    }

    public func exec(
        _ sprite: String, _ request: ExecRequest, input: FileHandle?, inputData: Data?,
        stdout: @escaping (Data) -> Void, stderr: @escaping (Data) -> Void,
        opened: @escaping (ExecStream) -> Void
    ) throws -> Int32 {
        var req = request
        req.stdin = input != nil || inputData != nil
        let stream = try openExec(sprite, req)
        defer { stream.close() }
        opened(stream)
        if inputData == nil, input.map({ Self.isNullDevice($0.fileDescriptor) }) ?? true {
            // nothing to read (no input, or /dev/null, as under cron and most scripts): the end
            // of stdin goes at once, without a thread to read it
            try? stream.closeStdin()
            return try stream.relay(stdout: stdout, stderr: stderr)
        }
        let pump = Thread {
            if let inputData { try? stream.write(inputData) }
            if let input {
                while true {
                    let chunk = input.availableData
                    if chunk.isEmpty { break }
                    if (try? stream.write(chunk)) == nil { return }
                }
            }
            try? stream.closeStdin()
        }
        pump.start()
        return try stream.relay(stdout: stdout, stderr: stderr)
    }

    /// Whether `fd` is the null device, which never has anything to read.
    static func isNullDevice(_ fd: Int32) -> Bool {
        var st = stat(), null = stat()
        guard fstat(fd, &st) == 0, (st.st_mode & S_IFMT) == S_IFCHR, stat("/dev/null", &null) == 0 else { return false }
        return (null.st_mode & S_IFMT) == S_IFCHR && st.st_rdev == null.st_rdev
    }

    /// Runs a command and collects its output (for short commands).
    public func run(
        _ sprite: String, _ command: [String], directory: String? = nil, input: Data? = nil,
        environment: [String: String] = [:]
    ) throws -> (status: Int32, stdout: Data, stderr: Data) {
        var out = Data(), err = Data()
        let status = try exec(
            sprite, ExecRequest(command: command, environment: environment, directory: directory),
            inputData: input, stdout: { out.append($0) }, stderr: { err.append($0) })
        return (status, out, err)
    }

    /// Sessions running in the sprite.
    public func sessions(_ sprite: String) throws -> [ExecSessionEntry] {
        try decode(ExecSessionList.self, call("GET", Self.path(sprite) + "/exec")).sessions
    }

    /// Kills a session (410 Gone counts as already exited); returns the exit code when reported.
    @discardableResult
    public func kill(_ sprite: String, session: String, signal: String = "TERM", timeout: String = "10s") throws -> Int?
    {
        var code: Int?
        do {
            try streamNDJSON(
                "POST", Self.path(sprite) + "/exec/" + Self.encodePathSegment(session) + "/kill",
                query: [("signal", signal), ("timeout", timeout)]
            ) { event in
                if event.type == "complete" { code = event.exitCode }
            }
        } catch APIError.http(let f) where f.status == 410 {
            return nil
        }
        return code
    }

    /// HTTP exec: the answer is a framed byte stream ending in `03 <code>`.
    public func httpExec(_ sprite: String, _ command: [String], input: Data? = nil) throws -> (Int32, Data) {
        var q = ExecRequest(command: command, stdin: input != nil).query
        q.removeAll { $0.0 == "tty" }
        let r = try call(
            "POST", Self.path(sprite) + "/exec", query: q, body: input ?? Data(),
            contentType: "application/octet-stream", timeout: nil)
        let bytes = [UInt8](r.body)
        guard bytes.count >= 2, bytes[bytes.count - 2] == 3 else { throw APIError.malformed("no exit frame") }
        return (Int32(bytes[bytes.count - 1]), Data(bytes.dropLast(2)))
    }
}
