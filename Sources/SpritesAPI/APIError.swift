import Foundation
import SpriteHTTP

/// A failed Sprites API call.
public enum APIError: Error, CustomStringConvertible, Sendable {
    /// The server answered with a non-2xx status.
    case http(HTTPFailure)
    /// The request never got an answer (connection refused, reset, timed out, TLS refused).
    case transport(TransportFailure)
    /// An exec stream ended before the command's exit status arrived.
    case streamLost(sessionID: String?, detail: String)
    /// The server's answer could not be understood.
    case malformed(String)
    /// A long operation (a checkpoint, a restore) ended in an error event: its reason.
    case failed(String)

    public var description: String {
        switch self {
        case .http(let f): return f.description
        case .transport(let f): return "cannot reach the Sprites API: \(f.message)"
        case .streamLost(let id, let d):
            return "the exec stream ended before the command finished (\(d))"
                + (id.map { "; it may still be running as session \($0)" } ?? "")
        case .malformed(let d): return "unexpected answer from the Sprites API: \(d)"
        case .failed(let reason): return "the Sprites API could not do it: \(reason)"
        }
    }

    /// The HTTP status, when the server answered.
    public var status: Int? {
        if case .http(let f) = self { return f.status }
        return nil
    }
}

/// A non-2xx answer with the fields of the API's error body (Sprites API).
public struct HTTPFailure: Sendable, CustomStringConvertible {
    public let status: Int
    public let method: String
    public let path: String
    /// The `error` field: a machine code, or a plain message.
    public let code: String?
    public let message: String
    public let retryAfter: Double?
    public let limit: Int?
    public let windowSeconds: Int?
    public let currentCount: Int?
    public let upgradeURL: String?

    public var description: String { "\(method) \(path): HTTP \(status): \(message)" }

    /// A failure as another implementation of the API reports it (a fake, a proxy).
    public init(status: Int, method: String, path: String, code: String? = nil, message: String) {
        self.status = status
        self.method = method
        self.path = path
        self.code = code
        self.message = message
        retryAfter = nil
        limit = nil
        windowSeconds = nil
        currentCount = nil
        upgradeURL = nil
    }

    /// What a body that is not the API's JSON says, in one short line: a page's title (a proxy's
    /// HTML error page), the first line of text, or the status alone.
    static func plainMessage(_ response: HTTPResponse) -> String {
        let text = String(decoding: response.body.prefix(64 << 10), as: UTF8.self)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        var line = text.split(whereSeparator: \.isNewline).first.map(String.init) ?? ""
        if text.hasPrefix("<") {
            let lower = text.lowercased()
            if let open = lower.range(of: "<title>"),
                let close = lower.range(of: "</title>", range: open.upperBound..<lower.endIndex)
            {
                line = String(text[open.upperBound..<close.lowerBound]).trimmingCharacters(in: .whitespacesAndNewlines)
            } else {
                line = ""
            }
        }
        line = ServerText.oneLine(line)
        return line.isEmpty ? "API error (status \(response.status))" : line
    }

    init(response: HTTPResponse, method: String, path: String) {
        status = response.status
        self.method = method
        self.path = path
        let object = try? Wire.decode(ErrorBody.self, from: response.body)
        code = object?.error
        // the server's words reach the user's terminal: one line, no control characters (a
        // hostile server could otherwise move the cursor or forge lines), a bounded length
        message =
            object?.text.map(ServerText.oneLine).flatMap { $0.isEmpty ? nil : $0 }
            ?? Self.plainMessage(response)
        // a wait the server asks for is believed only when it is a sane number of seconds
        func sane(_ seconds: Double?) -> Double? {
            seconds.flatMap { $0.isFinite && $0 >= 0 && $0 <= 86400 ? $0 : nil }
        }
        let headerRetry = sane(response.headers["retry-after"].flatMap(Double.init))
        retryAfter = sane(object?.retryAfterSeconds) ?? headerRetry
        limit = object?.limit
        windowSeconds = object?.windowSeconds
        currentCount = object?.currentCount
        upgradeURL = object?.upgradeURL
    }
}

/// Why a request got no answer, as far as the caller needs to tell.
public struct TransportFailure: Sendable, CustomStringConvertible {
    public enum Kind: Sendable {
        /// Nothing listens there, or the name does not resolve: the API itself is not there.
        case unreachable
        /// The server's TLS certificate was not trusted.
        case certificate
        /// Connected, then the connection broke or timed out.
        case broken
    }

    public let kind: Kind
    public let message: String
    /// Connected, and the time ran out before the server sent a byte.
    public var unanswered = false

    public var description: String { message }

    public init(kind: Kind, message: String) {
        self.kind = kind
        self.message = message
    }

    init(_ e: CurlError) {
        self.init(
            kind: e.isConnectFailure ? .unreachable : e.isCertificateFailure ? .certificate : .broken,
            message: e.message)
        unanswered = e.timedOutUnanswered
    }

    init(_ e: WebSocketError) {
        self.init(kind: .broken, message: e.description)
    }
}

/// Text a server chose, made safe for the user's terminal.
public enum ServerText {
    /// `text` as one printable line of at most 300 characters: line breaks and tabs become
    /// spaces, other control characters (escape sequences included) are dropped.
    public static func oneLine(_ text: String) -> String {
        var out = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            switch scalar.value {
            case 0x09, 0x0a, 0x0d, 0x85, 0x2028, 0x2029: out.append(" ")
            case 0x00...0x1f, 0x7f...0x9f: continue
            default: out.append(scalar)
            }
            if out.count >= 300 { break }
        }
        return String(out).trimmingCharacters(in: .whitespaces)
    }
}
