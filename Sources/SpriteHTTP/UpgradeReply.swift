import Foundation

/// The head of a server's answer to a WebSocket upgrade request, read from whatever bytes
/// arrived: kept apart from the connection so every input a server could send is checked by
/// the fuzzer without a socket.
struct UpgradeReply: Equatable {
    /// The largest head accepted: a server may not make us buffer more before it answers.
    static let maxHead = 64 << 10
    /// The largest error body kept for the message.
    static let maxBody = 64 << 10

    let status: Int
    /// Header names lower-cased; a repeated header keeps its last value.
    let headers: [String: String]
    /// Bytes after the head: the start of an error body, or the first WebSocket frames.
    let rest: [UInt8]

    /// The reply in `raw`, or nil when its head has not arrived whole yet. Throws when the
    /// bytes cannot be an HTTP/1.1 answer (an HTTP/2 preface, a head over `maxHead`, garbage).
    static func parse(_ raw: [UInt8]) throws -> UpgradeReply? {
        // a head that cannot be HTTP/1.x is refused as soon as its first bytes show it
        let prefix = Array("HTTP/1.".utf8)
        let seen = min(raw.count, prefix.count)
        guard raw[..<seen].elementsEqual(prefix[..<seen]) else { throw notHTTP1(raw) }
        guard let end = headEnd(raw) else {
            if raw.count > maxHead { throw WebSocketError.protocolViolation("response headers too large") }
            return nil
        }
        if end > maxHead { throw WebSocketError.protocolViolation("response headers too large") }
        let head = String(decoding: raw[..<end], as: UTF8.self)
        // "\r\n" is one Character to Swift: a line break of HTTP's, and no other
        var lines = head.split(separator: "\r\n", omittingEmptySubsequences: false)
        let statusLine = lines.removeFirst()
        let fields = statusLine.split(separator: " ", omittingEmptySubsequences: false)
        guard fields.count >= 2, fields[1].count == 3, let status = Int(fields[1]), (100...599).contains(status) else {
            throw notHTTP1(raw)
        }
        var headers: [String: String] = [:]
        for line in lines {
            // bytes, not Characters: a space before a combining mark is still a space to HTTP
            let bytes = Array(line.utf8)
            guard let colon = bytes.firstIndex(of: UInt8(ascii: ":")) else { continue }
            // the value without HTTP's optional whitespace (spaces and tabs) around it
            var value = bytes[(colon + 1)...]
            while let first = value.first, first == 32 || first == 9 { value = value.dropFirst() }
            while let last = value.last, last == 32 || last == 9 { value = value.dropLast() }
            headers[String(decoding: bytes[..<colon], as: UTF8.self).lowercased()] = String(
                decoding: value, as: UTF8.self)
        }
        return UpgradeReply(status: status, headers: headers, rest: Array(raw[(end + 4)...]))
    }

    /// The `Sec-WebSocket-Accept` value a server must send for `key` (RFC 6455 section 4.2.2).
    static func accept(for key: String) -> String {
        Data(Digest.sha1(Array((key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").utf8))).base64EncodedString()
    }

    /// How many bytes of the error body to wait for: Content-Length when it is a sane number,
    /// never more than `maxBody`; nil when the length is unknown.
    var expectedBodyLength: Int? {
        guard let text = headers["content-length"], let n = Int(text), n >= 0 else { return nil }
        return min(n, Self.maxBody)
    }

    /// Where the blank line that ends the head starts.
    private static func headEnd(_ raw: [UInt8]) -> Int? {
        guard raw.count >= 4 else { return nil }
        for i in 0...(raw.count - 4) where raw[i] == 13 && raw[i + 1] == 10 && raw[i + 2] == 13 && raw[i + 3] == 10 {
            return i
        }
        return nil
    }

    private static func notHTTP1(_ raw: [UInt8]) -> WebSocketError {
        let firstLine = String(decoding: raw.prefix(60).prefix { $0 != 13 && $0 != 10 }, as: UTF8.self)
        return .protocolViolation(
            "the server did not answer the upgrade in HTTP/1.1 (it sent '\(printable(firstLine))')")
    }

    /// At most 60 characters of `text` with everything but printable ASCII shown as `?`.
    static func printable(_ text: String) -> String {
        String(text.unicodeScalars.prefix(60).map { (0x20..<0x7f).contains($0.value) ? Character($0) : "?" })
    }
}
