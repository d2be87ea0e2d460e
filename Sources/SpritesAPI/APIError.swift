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

    public var description: String {
        switch self {
        case .http(let f): return f.description
        case .transport(let f): return "cannot reach the Sprites API: \(f.message)"
        case .streamLost(let id, let d):
            return "the exec stream ended before the command finished (\(d))"
                + (id.map { "; it may still be running as session \($0)" } ?? "")
        case .malformed(let d): return "unexpected answer from the Sprites API: \(d)"
        }
    }

    /// The HTTP status, when the server answered.
    public var status: Int? {
        if case .http(let f) = self { return f.status }
        return nil
    }
}

/// A non-2xx answer with the fields of the API's error body (`sprites-api.md` §1.3).
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

    init(response: HTTPResponse, method: String, path: String) {
        status = response.status
        self.method = method
        self.path = path
        let object = try? Wire.decode(ErrorBody.self, from: response.body)
        code = object?.error
        let text = String(decoding: response.body, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        message = object?.message ?? code
            ?? (text.isEmpty || text.count > 300 ? "API error (status \(response.status))" : text)
        // a wait the server asks for is believed only when it is a sane number of seconds
        func sane(_ seconds: Double?) -> Double? { seconds.flatMap { $0.isFinite && $0 >= 0 && $0 <= 86400 ? $0 : nil } }
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

    public var description: String { message }

    public init(kind: Kind, message: String) {
        self.kind = kind
        self.message = message
    }

    init(_ e: CurlError) {
        self.init(kind: e.isConnectFailure ? .unreachable : e.isCertificateFailure ? .certificate : .broken,
                  message: e.message)
    }

    init(_ e: WebSocketError) {
        self.init(kind: .broken, message: e.description)
    }
}
