import CCurl
import Foundation

/// A libcurl failure: the curl code, the function and curl's own message.
public struct CurlError: Error, CustomStringConvertible, Sendable {
    public let code: Int32
    public let function: String
    public let message: String

    public var description: String { "\(function): \(message) (curl \(code))" }

    /// True when the time ran out before the server sent a byte: it took the connection and
    /// never answered (libcurl says "… with 0 bytes received").
    public var timedOutUnanswered: Bool {
        code == Int32(CURLE_OPERATION_TIMEDOUT.rawValue) && message.hasSuffix(" 0 bytes received")
    }

    /// True for failures before any byte of a response arrived (safe to retry idempotent calls).
    public var isConnectFailure: Bool {
        [CURLE_COULDNT_CONNECT, CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY]
            .map { Int32($0.rawValue) }.contains(code)
    }

    /// True when the server's certificate (or our trust settings) stopped the TLS handshake.
    public var isCertificateFailure: Bool {
        [CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CACERT_BADFILE, CURLE_SSL_CERTPROBLEM, CURLE_SSL_ISSUER_ERROR]
            .map { Int32($0.rawValue) }.contains(code)
    }

    /// True when the connection broke or timed out mid-transfer.
    public var isTransient: Bool {
        isConnectFailure
            || [
                CURLE_RECV_ERROR, CURLE_SEND_ERROR, CURLE_GOT_NOTHING, CURLE_PARTIAL_FILE,
                CURLE_OPERATION_TIMEDOUT,
            ].map { Int32($0.rawValue) }.contains(code)
    }
}

/// libcurl's global initialisation, done once before the first handle.
enum CurlGlobal {
    static let initialized: Bool = {
        git_sprite_curl_global_init(Int(CURL_GLOBAL_DEFAULT))
        return true
    }()
}

/// One libcurl easy handle and its error buffer; the only owner of the `CURL *`.
final class CurlEasy {
    let handle: UnsafeMutableRawPointer
    /// curl writes the detail of the last failure here (CURLOPT_ERRORBUFFER); it must outlive the handle.
    private let errorBuffer = UnsafeMutablePointer<CChar>.allocate(capacity: Int(CURL_ERROR_SIZE) + 1)

    init() throws {
        if let why = git_sprite_curl_load() {
            throw CurlError(
                code: -1, function: "dlopen",
                message: "libcurl cannot be loaded (\(String(cString: why))); install it: apt-get install libcurl4")
        }
        _ = CurlGlobal.initialized
        guard let h = git_sprite_curl_easy_init() else {
            throw CurlError(code: -1, function: "curl_easy_init", message: "cannot create a curl handle")
        }
        handle = h
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
    }

    deinit {
        git_sprite_curl_easy_cleanup(handle)
        errorBuffer.deallocate()
    }

    /// Clears options between requests while keeping the connection cache.
    func reset() throws {
        git_sprite_curl_easy_reset(handle)
        errorBuffer[0] = 0
        try set(CURLOPT_ERRORBUFFER, pointer: UnsafeMutableRawPointer(errorBuffer))
        try set(CURLOPT_NOSIGNAL, 1)
        if let file = Self.trust.file { try set(CURLOPT_CAINFO, file) }
        if let dir = Self.trust.directory { try set(CURLOPT_CAPATH, dir) }
    }

    /// Certificate authorities to trust instead of the system's, by the usual conventions:
    /// `SSL_CERT_FILE` or `CURL_CA_BUNDLE` (a PEM bundle) and `SSL_CERT_DIR` (a hashed
    /// directory). libcurl itself reads neither when it was built with a default bundle.
    static let trust: (file: String?, directory: String?) = {
        let env = ProcessInfo.processInfo.environment
        func value(_ key: String) -> String? { env[key].flatMap { $0.isEmpty ? nil : $0 } }
        return (value("SSL_CERT_FILE") ?? value("CURL_CA_BUNDLE"), value("SSL_CERT_DIR"))
    }()

    func set(_ option: CURLoption, _ value: Int) throws {
        try check(git_sprite_curl_setopt_long(handle, option, value), "curl_easy_setopt(\(option.rawValue))")
    }

    func set(_ option: CURLoption, offset value: Int64) throws {
        try check(
            git_sprite_curl_setopt_offset(handle, option, curl_off_t(value)), "curl_easy_setopt(\(option.rawValue))")
    }

    func set(_ option: CURLoption, _ value: String) throws {
        try check(git_sprite_curl_setopt_string(handle, option, value), "curl_easy_setopt(\(option.rawValue))")
    }

    func set(_ option: CURLoption, pointer: UnsafeMutableRawPointer?) throws {
        try check(git_sprite_curl_setopt_pointer(handle, option, pointer), "curl_easy_setopt(\(option.rawValue))")
    }

    func set(_ option: CURLoption, list: OpaquePointer?) throws {
        try check(
            git_sprite_curl_setopt_slist(handle, option, UnsafeMutablePointer(list)),
            "curl_easy_setopt(\(option.rawValue))")
    }

    func set(_ option: CURLoption, callback: git_sprite_curl_data_cb) throws {
        try check(git_sprite_curl_setopt_data_cb(handle, option, callback), "curl_easy_setopt(\(option.rawValue))")
    }

    func perform() throws {
        try check(git_sprite_curl_easy_perform(handle), "curl_easy_perform")
    }

    func infoLong(_ info: CURLINFO) -> Int {
        var v = 0
        _ = git_sprite_curl_getinfo_long(handle, info, &v)
        return v
    }

    /// Turns a curl code into a `CurlError`, reading the error buffer at once.
    func check(_ code: CURLcode, _ function: String) throws {
        guard code != CURLE_OK else { return }
        let detail = String(cString: errorBuffer)
        let message = detail.isEmpty ? String(cString: git_sprite_curl_easy_strerror(code)) : detail
        throw CurlError(code: Int32(code.rawValue), function: function, message: message)
    }
}

/// A `curl_slist` of request headers, freed with its owner.
final class CurlHeaderList {
    private(set) var list: OpaquePointer?

    init(_ headers: [(String, String)]) {
        for (name, value) in headers {
            list = OpaquePointer(git_sprite_curl_slist_append(UnsafeMutablePointer(list), "\(name): \(value)"))
        }
    }

    deinit { git_sprite_curl_slist_free_all(UnsafeMutablePointer(list)) }
}

/// `http+unix://<percent-encoded socket path>/path…`: an HTTP server on a Unix socket (the
/// local sprite-host). Nothing else can listen at a path in the user's own 0700 directory,
/// and libcurl uses no proxy for it, so a token sent there reaches that server only.
public enum UnixSocketURL {
    public static let scheme = "http+unix://"

    /// The socket path and the `http://localhost/…` URL to request through it, for a
    /// `http+unix://` URL; nil for any other URL.
    public static func split(_ url: String) -> (socket: String, httpURL: String)? {
        guard url.hasPrefix(scheme) else { return nil }
        let rest = url.dropFirst(scheme.count)
        let end = rest.firstIndex { $0 == "/" || $0 == "?" } ?? rest.endIndex
        guard let socket = String(rest[..<end]).removingPercentEncoding, socket.hasPrefix("/") else { return nil }
        return (socket, "http://localhost" + rest[end...])
    }

    /// The base URL of a server listening on `socket`.
    public static func make(socket: String) -> String {
        scheme + (socket.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? socket)
    }
}

extension CurlEasy {
    /// Points the handle at `url` (a `http+unix://` URL goes through its socket) and returns
    /// the URL libcurl requests.
    @discardableResult
    func target(_ url: String) throws -> String {
        if let (socket, http) = UnixSocketURL.split(url) {
            try set(CURLOPT_UNIX_SOCKET_PATH, socket)
            try set(CURLOPT_URL, http)
            return http
        }
        try set(CURLOPT_URL, url)
        return url
    }
}
