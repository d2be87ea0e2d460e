import Foundation
import SpriteHTTP
import SpriteWire

/// The Sprites API over libcurl: JSON calls with bearer auth, bounded retries, and the
/// WebSocket exec protocol. Tokens only travel in the `Authorization` header.
public final class SpritesClient: @unchecked Sendable {
    public let baseURL: String
    private let token: String
    let http: HTTPClient
    let trace: TraceSink?
    public let userAgent: String
    /// Retry policy for 429/503 and connection failures.
    public var maxAttempts = 4
    public var maxBackoff: Double = 8
    /// Upper bound on one wait, so a server asking for a long `Retry-After` cannot hang us:
    /// the documented rate-limit window (60 s), so a wait the service asks for is honoured.
    public var maxRetryAfter: Double = 60
    /// WebSocket keepalive: ping a quiet exec stream this often, give it up after this much
    /// silence (the Sprites API: 15 s and 45 s).
    public var keepalive: (ping: TimeInterval, dead: TimeInterval) = (15, 45)
    /// A file transfer (`fs/read`, `fs/write`) that moves no byte for this many seconds fails
    /// (and is tried again, as any dropped transfer): a connection that stalls without closing
    /// held `git sprite cp` forever.
    public var transferStall: Double = 60
    /// How a retry waits: the wall clock, or the caller's clock (git-sprite's `Context.clock`).
    public var sleep: @Sendable (TimeInterval) -> Void = { Thread.sleep(forTimeInterval: $0) }

    public init(
        baseURL: String, token: String, userAgent: String = "git-sprite/" + Product.version, trace: TraceSink? = nil
    ) {
        var base = baseURL
        while base.hasSuffix("/") { base.removeLast() }
        self.baseURL = base
        self.token = token
        self.userAgent = userAgent
        self.trace = trace
        self.http = HTTPClient(userAgent: userAgent, trace: trace)
    }

    var authHeader: (String, String) { ("Authorization", "Bearer " + token) }

    /// Encodes one query value: everything but unreserved characters (so `+`, `&`, `=`, `%`,
    /// `#`, `?` and spaces survive form decoding on the server).
    static func encode(_ s: String) -> String { percentEncoded(s, keepingSlashes: true) }

    static func encodePathSegment(_ s: String) -> String { percentEncoded(s, keepingSlashes: false) }

    /// Every UTF-8 byte but an unreserved character (RFC 3986: letters, digits, `-._~`, and `/`
    /// when asked) as `%XX`, as `addingPercentEncoding` writes it, whose first use (through
    /// Foundation's `CharacterSet` and a `CFString`) cost 0.4 ms of every `exec`.
    static func percentEncoded(_ s: String, keepingSlashes: Bool) -> String {
        let hex = Array("0123456789ABCDEF".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(s.utf8.count)
        for byte in s.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
                UInt8(ascii: "~"):
                out.append(byte)
            case UInt8(ascii: "/") where keepingSlashes:
                out.append(byte)
            default:
                out += [UInt8(ascii: "%"), hex[Int(byte >> 4)], hex[Int(byte & 0x0F)]]
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    func url(_ path: String, _ query: [(String, String)] = []) -> String {
        var u = baseURL + path
        // a loop, not map and joined: the generic joined's first use looks up conformances
        for (i, (name, value)) in query.enumerated() {
            u += (i == 0 ? "?" : "&") + Self.encode(name) + "=" + Self.encode(value)
        }
        return u
    }

    /// One API call with retries: 429 and 503 wait for `retry_after_seconds`/`Retry-After`
    /// (else jittered exponential backoff); connection failures are retried for idempotent
    /// methods only. Non-2xx answers become `APIError.http`.
    @discardableResult
    public func call(
        _ method: String, _ path: String, query: [(String, String)] = [],
        body: Data? = nil, bodyFile: String? = nil, contentType: String? = nil, timeout: Double? = 30,
        stallTimeout: Double? = nil, accept: Set<Int> = []
    ) throws -> HTTPResponse {
        var headers = [authHeader, ("Accept", "application/json")]
        if let contentType { headers.append(("Content-Type", contentType)) }
        let payload = body
        var request = HTTPRequest(
            method: method, url: url(path, query), headers: headers, body: payload,
            bodyFile: bodyFile, timeout: timeout)
        request.stallTimeout = stallTimeout
        let idempotent = ["GET", "HEAD", "PUT", "DELETE"].contains(method)
        var attempt = 0
        while true {
            attempt += 1
            let response: HTTPResponse
            do {
                response = try http.send(request)
            } catch let e as CurlError {
                // (a server that took the connection and never answered costs the whole timeout
                // each time: tried once more, not until the attempts run out, which took 2
                // minutes, an adversarial review)
                let limit = e.timedOutUnanswered ? min(2, maxAttempts) : maxAttempts
                if attempt < limit && (e.isConnectFailure || (idempotent && e.isTransient)) {
                    sleepBackoff(attempt, hint: nil)
                    continue
                }
                throw APIError.transport(TransportFailure(e))
            }
            if (200..<300).contains(response.status) || accept.contains(response.status) { return response }
            let failure = HTTPFailure(response: response, method: method, path: path)
            if Self.worthRetrying(response.status, idempotent: idempotent) && attempt < maxAttempts {
                sleepBackoff(attempt, hint: failure.retryAfter)
                continue
            }
            throw APIError.http(failure)
        }
    }

    /// One API call whose body is a wire type, sent as JSON.
    @discardableResult
    public func call<Body: Encodable>(
        _ method: String, _ path: String, query: [(String, String)] = [], body: Body,
        timeout: Double? = 30, accept: Set<Int> = []
    ) throws -> HTTPResponse {
        try call(
            method, path, query: query, body: try Wire.encode(body), contentType: "application/json",
            timeout: timeout, accept: accept)
    }

    func sleepBackoff(_ attempt: Int, hint: Double?) {
        let wait = retryWait(attempt, hint: hint)
        trace?("retrying in \(String(format: "%.2f", wait)) s (attempt \(attempt + 1) of \(maxAttempts))")
        sleep(wait)
    }

    /// How long to wait before attempt `attempt + 1`: the wait the server asked for (at most
    /// `maxRetryAfter`), else a jittered exponential backoff up to `maxBackoff`.
    func retryWait(_ attempt: Int, hint: Double?) -> Double {
        if let hint { return min(max(hint, 0), maxRetryAfter) }
        let base = min(maxBackoff, 0.25 * pow(2, Double(attempt - 1)))
        return base / 2 + Double.random(in: 0...(base / 2))
    }

    /// 429 and 503 say "later"; a gateway's 502 or 504 is worth another try when the call can
    /// safely be repeated.
    static func worthRetrying(_ status: Int, idempotent: Bool) -> Bool {
        status == 429 || status == 503 || (idempotent && (status == 502 || status == 504))
    }

    /// Decodes a JSON response body.
    func decode<T: Decodable>(_ type: T.Type, _ response: HTTPResponse) throws -> T {
        do {
            return try JSONDecoder().decode(T.self, from: response.body)
        } catch {
            throw APIError.malformed("\(Self.problem(error, body: response.body)) (reading \(T.self))")
        }
    }

    /// What was wrong with a reply, in a few words: no JSON, or which field.
    static func problem(_ error: Error, body: Data) -> String {
        let field = Wire.keyPath
        if body.allSatisfy({ $0 == 0x20 || $0 == 0x0a || $0 == 0x0d || $0 == 0x09 }) { return "an empty reply" }
        switch error as? DecodingError {
        case .typeMismatch(_, let c)?, .valueNotFound(_, let c)?:
            return c.codingPath.isEmpty
                ? "a reply of the wrong shape" : "field '\(field(c.codingPath))' has the wrong type"
        case .keyNotFound(let key, let c)?:
            return "field '\(field(c.codingPath + [key]))' is missing"
        case .dataCorrupted(let c)? where !c.codingPath.isEmpty:
            return "field '\(field(c.codingPath))' has an invalid value"
        default:
            return "a reply that is not JSON"
        }
    }

    /// Reads an NDJSON stream event by event as it arrives.
    func streamNDJSON(
        _ method: String, _ path: String, query: [(String, String)] = [], body: (some Encodable)? = nil as Data?,
        onEvent: @escaping (StreamEvent) -> Void
    ) throws {
        var headers = [authHeader]
        var payload: Data?
        if let body {
            payload = try Wire.encode(body)
            headers.append(("Content-Type", "application/json"))
        }
        var pending = Data()
        let request = HTTPRequest(method: method, url: url(path, query), headers: headers, body: payload, timeout: nil)
        let response: HTTPResponse
        do {
            response = try http.stream(request) { chunk in
                pending.append(chunk)
                while let nl = pending.firstIndex(of: 0x0a) {
                    let line = pending[pending.startIndex..<nl]
                    pending.removeSubrange(pending.startIndex...nl)
                    if let event = try? Wire.decode(StreamEvent.self, from: line) { onEvent(event) }
                }
                return true
            }
        } catch let e as CurlError {
            throw APIError.transport(TransportFailure(e))
        }
        guard (200..<300).contains(response.status) else {
            throw APIError.http(HTTPFailure(response: response, method: method, path: path))
        }
        if let event = try? Wire.decode(StreamEvent.self, from: pending) { onEvent(event) }
    }
}
