import CCurl
import Foundation
import SpriteSync

/// An HTTP request as git-sprite sends it.
public struct HTTPRequest: Sendable {
    public var method: String
    public var url: String
    public var headers: [(String, String)]
    public var body: Data?
    /// A file whose bytes are the body, read as they are sent (never whole in memory);
    /// opened anew for each attempt. Used instead of `body`.
    public var bodyFile: String?
    /// Whole-transfer timeout in seconds; nil for streams that may run long.
    public var timeout: Double?
    public var connectTimeout: Double
    /// Fails a transfer that moves no byte for this many seconds (a connection that stalls
    /// without closing); nil: never (a command's output may well pause).
    public var stallTimeout: Double?

    public init(
        method: String, url: String, headers: [(String, String)] = [], body: Data? = nil,
        bodyFile: String? = nil, timeout: Double? = 30, connectTimeout: Double = 10
    ) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.bodyFile = bodyFile
        self.timeout = timeout
        self.connectTimeout = connectTimeout
    }
}

/// Status, headers (names lower-cased) and body of a response.
public struct HTTPResponse: Sendable {
    public var status: Int
    public var headers: [String: String]
    public var body: Data

    public init(status: Int, headers: [String: String], body: Data) {
        self.status = status
        self.headers = headers
        self.body = body
    }
}

/// Where trace lines go (`GIT_SPRITE_TRACE=1` or `-v`): stderr, never with secrets.
public typealias TraceSink = @Sendable (String) -> Void

/// Collects what libcurl's callbacks deliver during one transfer.
private final class TransferState {
    var status = 0
    var headers: [String: String] = [:]
    var body = Data()
    var onData: ((Data) -> Bool)?
    var sawHead = false
    var onHead: ((Int, [String: String]) -> Void)?
    var aborted = false
    /// The buffered body outgrew `HTTPClient.maxBufferedBody`.
    var tooLarge = false
    /// The file a streamed request body is read from (`HTTPRequest.bodyFile`).
    var upload: FileHandle?
}

/// A small libcurl HTTP client: JSON and byte bodies, streaming responses, connect and total
/// timeouts, HTTP/2 where the server offers it over TLS, proxies from the environment (libcurl
/// reads `HTTPS_PROXY`/`NO_PROXY`), and redacted tracing. Thread-safe: each transfer takes a
/// handle from a small pool so connections are reused.
public final class HTTPClient: @unchecked Sendable {
    public let userAgent: String
    public let trace: TraceSink?
    /// Idle handles, each with its connections (at most 8 kept).
    private let pool = Locked<[CurlEasy]>([])

    public init(userAgent: String, trace: TraceSink? = nil) {
        self.userAgent = userAgent
        self.trace = trace
    }

    private func checkout() throws -> CurlEasy {
        try pool.withLock { try $0.popLast() ?? CurlEasy() }
    }

    private func checkin(_ easy: CurlEasy) {
        pool.withLock { if $0.count < 8 { $0.append(easy) } }
    }

    /// The most of one reply that is buffered: API replies are small, a server that sends more
    /// is broken or hostile, and must not make the client take the machine's memory.
    public static let maxBufferedBody = 32 << 20

    /// Sends a request and buffers the whole response.
    public func send(_ request: HTTPRequest) throws -> HTTPResponse {
        let state = TransferState()
        do {
            try perform(request, state: state)
        } catch let e as CurlError where state.tooLarge && e.code == Int32(CURLE_WRITE_ERROR.rawValue) {
            throw CurlError(
                code: Int32(CURLE_FILESIZE_EXCEEDED.rawValue), function: e.function,
                message: "the reply to \(request.method) is larger than \(Self.maxBufferedBody >> 20) MiB")
        }
        return HTTPResponse(status: state.status, headers: state.headers, body: state.body)
    }

    /// Sends a request and hands the body over chunk by chunk as it arrives; `onData` returns
    /// false to stop. Returns status and headers; the body of a non-2xx answer is buffered in
    /// the response instead of streamed.
    public func stream(_ request: HTTPRequest, onData: @escaping (Data) -> Bool) throws -> HTTPResponse {
        let state = TransferState()
        state.onData = onData
        do {
            try perform(request, state: state)
        } catch let e as CurlError where state.aborted && e.code == Int32(CURLE_WRITE_ERROR.rawValue) {
            // stopped by the caller
        }
        return HTTPResponse(status: state.status, headers: state.headers, body: state.body)
    }

    private func perform(_ request: HTTPRequest, state: TransferState) throws {
        let easy = try checkout()
        var healthy = false
        defer { if healthy { checkin(easy) } }
        let headerList = try configure(easy, for: request)
        defer { withExtendedLifetime(headerList) {} }
        let box = Unmanaged.passRetained(state)
        defer { box.release() }
        try Self.collectResponse(easy, into: box.toOpaque())

        let started = Date()
        trace?("> \(request.method) \(Redaction.url(request.url))")
        if let path = request.bodyFile {
            // the body straight from the file, a chunk at a time as libcurl asks for it
            guard let file = FileHandle(forReadingAtPath: path) else {
                throw CurlError(
                    code: Int32(CURLE_READ_ERROR.rawValue), function: "open", message: "cannot read \(path)")
            }
            defer { try? file.close() }
            state.upload = file
            // the size of what was opened (attributes by path describe a symbolic link itself,
            // and a length that the body never reaches holds the request open)
            var st = stat()
            let size = fstat(file.fileDescriptor, &st) == 0 && (st.st_mode & S_IFMT) == S_IFREG ? Int64(st.st_size) : -1
            try easy.set(CURLOPT_UPLOAD, 1)
            if request.method != "PUT" { try easy.set(CURLOPT_CUSTOMREQUEST, request.method) }
            if size >= 0 { try easy.set(CURLOPT_INFILESIZE_LARGE, offset: size) }
            try easy.set(CURLOPT_READDATA, pointer: box.toOpaque())
            try easy.set(
                CURLOPT_READFUNCTION,
                callback: { ptr, size, count, userdata in
                    guard let ptr, let userdata else { return 0 }
                    let state = Unmanaged<TransferState>.fromOpaque(userdata).takeUnretainedValue()
                    guard let file = state.upload else { return 0 }
                    let chunk = (try? file.read(upToCount: size * count)) ?? nil
                    guard let chunk, !chunk.isEmpty else { return 0 }
                    chunk.withUnsafeBytes { raw in
                        if let base = raw.baseAddress {
                            ptr.update(from: base.assumingMemoryBound(to: CChar.self), count: raw.count)
                        }
                    }
                    return chunk.count
                })
            try performTraced(easy, request, started)
        } else if let body = request.body {
            try body.withUnsafeBytes { raw in
                try easy.set(CURLOPT_POSTFIELDSIZE_LARGE, raw.count)
                try easy.set(CURLOPT_POSTFIELDS, pointer: UnsafeMutableRawPointer(mutating: raw.baseAddress))
                try performTraced(easy, request, started)
            }
        } else {
            if request.method == "POST" { try easy.set(CURLOPT_POSTFIELDSIZE, 0) }
            try performTraced(easy, request, started)
        }
        let code = easy.infoLong(CURLINFO_RESPONSE_CODE)
        if code != 0 { state.status = code }
        let ms = Int(Date().timeIntervalSince(started) * 1000)
        trace?("< \(state.status) \(request.method) \(Redaction.url(request.url)) (\(ms) ms)")
        healthy = true
    }

    /// Sets everything about `request` but its body and where the answer goes; the header
    /// list returned must outlive the transfer.
    private func configure(_ easy: CurlEasy, for request: HTTPRequest) throws -> CurlHeaderList {
        try easy.reset()
        try easy.target(request.url)
        try easy.set(CURLOPT_USERAGENT, userAgent)
        try easy.set(CURLOPT_CONNECTTIMEOUT_MS, Int(request.connectTimeout * 1000))
        if let timeout = request.timeout { try easy.set(CURLOPT_TIMEOUT_MS, Int(timeout * 1000)) }
        if let stall = request.stallTimeout {
            // under one byte a second for that long
            try easy.set(CURLOPT_LOW_SPEED_LIMIT, 1)
            try easy.set(CURLOPT_LOW_SPEED_TIME, max(1, Int(stall.rounded(.up))))
        }
        try easy.set(CURLOPT_HTTP_VERSION, Int(CURL_HTTP_VERSION_2TLS))
        try easy.set(CURLOPT_ACCEPT_ENCODING, "")
        var headers = request.headers
        switch request.method {
        case "GET": try easy.set(CURLOPT_HTTPGET, 1)
        case "HEAD": try easy.set(CURLOPT_NOBODY, 1)
        case "POST": try easy.set(CURLOPT_POST, 1)
        default: try easy.set(CURLOPT_CUSTOMREQUEST, request.method)
        }
        if request.body != nil || request.bodyFile != nil || request.method == "POST" || request.method == "PUT" {
            // no "Expect: 100-continue" round trip
            headers.append(("Expect", ""))
        }
        let headerList = CurlHeaderList(headers)
        try easy.set(CURLOPT_HTTPHEADER, list: headerList.list)
        return headerList
    }

    /// Status and headers into the `TransferState` at `state`, the body to its `onData` (a 2xx
    /// streamed) or into its buffer (bounded by `maxBufferedBody`).
    private static func collectResponse(_ easy: CurlEasy, into state: UnsafeMutableRawPointer) throws {
        try easy.set(CURLOPT_HEADERDATA, pointer: state)
        try easy.set(
            CURLOPT_HEADERFUNCTION,
            callback: { ptr, size, count, userdata in
                guard let ptr, let userdata else { return 0 }
                let state = Unmanaged<TransferState>.fromOpaque(userdata).takeUnretainedValue()
                let n = size * count
                let line = String(decoding: UnsafeRawBufferPointer(start: ptr, count: n), as: UTF8.self)
                    .trimmingCharacters(in: .whitespacesAndNewlines)
                if line.hasPrefix("HTTP/") {
                    // a new response (after a redirect or 100): start over
                    state.headers = [:]
                    let parts = line.split(separator: " ")
                    state.status = parts.count > 1 ? Int(parts[1]) ?? 0 : 0
                } else if let colon = line.firstIndex(of: ":") {
                    let name = line[..<colon].lowercased()
                    let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
                    state.headers[name] = value
                }
                return n
            })
        try easy.set(CURLOPT_WRITEDATA, pointer: state)
        try easy.set(
            CURLOPT_WRITEFUNCTION,
            callback: { ptr, size, count, userdata in
                guard let ptr, let userdata else { return 0 }
                let state = Unmanaged<TransferState>.fromOpaque(userdata).takeUnretainedValue()
                let n = size * count
                let data = Data(bytes: ptr, count: n)
                if let onData = state.onData, (200..<300).contains(state.status) {
                    if !onData(data) {
                        state.aborted = true
                        return 0
                    }
                } else if state.body.count + n > HTTPClient.maxBufferedBody {
                    state.tooLarge = true
                    return 0
                } else {
                    state.body.append(data)
                }
                return n
            })
    }

    private func performTraced(_ easy: CurlEasy, _ request: HTTPRequest, _ started: Date) throws {
        do {
            try easy.perform()
        } catch let e as CurlError {
            let ms = Int(Date().timeIntervalSince(started) * 1000)
            trace?("< failed \(request.method) \(Redaction.url(request.url)) (\(ms) ms): \(e.message)")
            throw e
        }
    }
}

/// Removes secrets from what git-sprite prints: URL credentials and token-like query values.
public enum Redaction {
    public static func url(_ url: String) -> String {
        var out = url
        if let scheme = out.range(of: "://") {
            let rest = out[scheme.upperBound...]
            let end = rest.firstIndex(of: "/") ?? rest.endIndex
            if let at = rest[..<end].lastIndex(of: "@") {
                out = String(out[..<scheme.upperBound]) + String(rest[rest.index(after: at)...])
            }
        }
        for key in ["token", "access_token", "key", "secret", "password"] {
            out = out.replacingOccurrences(of: "([?&]\(key)=)[^&]*", with: "$1REDACTED", options: .regularExpression)
        }
        return out
    }
}
