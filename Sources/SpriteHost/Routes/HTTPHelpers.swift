import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import SpriteWire

/// The server version every response advertises (Go picks attach URLs by it).
let spriteVersion = Product.apiVersion

extension HTTPField.Name {
    static let spriteVersion = Self("Sprite-Version")!
    static let spriteCapabilities = Self("X-Sprite-Capabilities")!
    static let retryAfter = Self("Retry-After")!
}

/// A JSON response of one of the wire types.
func jsonResponse<T: Encodable>(_ value: T, status: HTTPResponse.Status = .ok) throws -> Response {
    Response(
        status: status, headers: [.contentType: "application/json"],
        body: .init(byteBuffer: ByteBuffer(bytes: try Wire.encode(value))))
}

/// A streamed NDJSON response: one event per line, written as they come.
func ndjsonResponse(
    _ produce: @escaping @Sendable (_ emit: (StreamEvent) async throws -> Void) async throws -> Void
)
    -> Response
{
    Response(
        status: .ok, headers: [.contentType: "application/x-ndjson"],
        body: ResponseBody { writer in
            try await produce { event in
                var data = try Wire.encode(event)
                data.append(0x0a)
                try await writer.write(ByteBuffer(bytes: data))
            }
            try await writer.finish(nil)
        })
}

/// Milliseconds since 1970, as service events carry them.
func nowMilliseconds() -> Int { Int(Date().timeIntervalSince1970 * 1000) }

/// Query parameters in order, with `+` read as a space (form encoding), repeated keys kept.
/// Numbers are checked where they are read: a malformed or out-of-range value is a 400 that
/// names the parameter, never a trap.
struct Query {
    let pairs: [(String, String)]

    init(_ request: Request) {
        self.init(request.uri.query ?? "")
    }

    init(_ query: String) {
        var out: [(String, String)] = []
        for part in query.split(separator: "&") {
            let kv = part.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            out.append((Self.decode(kv[0]), kv.count > 1 ? Self.decode(kv[1]) : ""))
        }
        pairs = out
    }

    /// A name or value of a query: `+` is a space and `%XY` a byte; text whose escapes are not
    /// all two hex digits is taken as it came. As Foundation's `removingPercentEncoding` reads
    /// it (which cost 2% of the host's time per exec), and through it when the bytes are not
    /// UTF-8.
    static func decode(_ text: Substring) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count)
        var rest = text.utf8[...]
        while let byte = rest.popFirst() {
            switch byte {
            case UInt8(ascii: "+"): bytes.append(0x20)
            case UInt8(ascii: "%"):
                guard let high = rest.popFirst().flatMap(Wire.hexDigit),
                    let low = rest.popFirst().flatMap(Wire.hexDigit)
                else { return String(text) }
                bytes.append(high << 4 | low)
            default: bytes.append(byte)
            }
        }
        // bytes that are not UTF-8: Foundation's rules (it repairs some, refuses others)
        return String(validating: bytes, as: UTF8.self)
            ?? (String(text).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String(text))
    }

    subscript(_ key: String) -> String? { pairs.first { $0.0 == key }?.1 }
    func all(_ key: String) -> [String] { pairs.filter { $0.0 == key }.map(\.1) }
    func bool(_ key: String) -> Bool? { self[key].map { $0 == "true" || $0 == "1" } }

    /// An integer parameter within `range`, or nil when absent.
    func int(_ key: String, in range: ClosedRange<Int>) throws -> Int? {
        guard let text = self[key], !text.isEmpty else { return nil }
        return try checkedInt(text, key, in: range)
    }

    /// A duration parameter (`10s`, `1m30s`, `500ms`, plain seconds) up to `max` seconds.
    func duration(_ key: String, max: TimeInterval) throws -> TimeInterval? {
        guard let text = self[key], !text.isEmpty else { return nil }
        guard let value = DurationText.parse(text, max: max) else {
            throw HostError.badRequest("\(key) must be a duration from 0 to \(Int(max))s, such as 10s or 1m")
        }
        return value
    }
}

/// An integer from text within `range`, or a 400 naming `key`.
func checkedInt(_ text: String, _ key: String, in range: ClosedRange<Int>) throws -> Int {
    guard text.utf8.count <= 20, let value = Int(text), range.contains(value) else {
        throw HostError.badRequest("\(key) must be an integer from \(range.lowerBound) to \(range.upperBound)")
    }
    return value
}

/// JSON bodies are small: at most 1 MiB (file contents and stdin are streamed, never held).
let jsonBodyLimit = 1 << 20

/// Decodes a JSON body (at most 1 MiB; more is a 413) into a wire type; an empty body is
/// `empty` when one is given. A body of the wrong shape is a 400 naming the field.
func decodeBody<T: Decodable>(_ request: Request, as type: T.Type, empty: T? = nil) async throws -> T {
    var req = request
    let buffer = try await req.collectBody(upTo: jsonBodyLimit)
    if buffer.readableBytes == 0, let empty { return empty }
    do {
        return try Wire.decode(type, from: Data(buffer: buffer))
    } catch {
        throw HostError.badRequest("invalid body: " + Wire.describe(error))
    }
}

/// Go-style durations (`10s`, `1m`, `1h30m`, `500ms`, `5.0s`, `0`) or plain seconds.
enum DurationText {
    /// The seconds `text` stands for, when finite and from 0 to `max`.
    static func parse(_ text: String, max: TimeInterval) -> TimeInterval? {
        var t = text.trimmingCharacters(in: .whitespaces)
        guard !t.isEmpty, t.utf8.count <= 64 else { return nil }
        var total = 0.0
        let decimal = t.allSatisfy { $0.isASCII && ($0.isNumber || $0 == ".") } && t.filter { $0 == "." }.count <= 1
        if decimal, let plain = Double(t) {
            total = plain
        } else {
            let units: [(String, Double)] = [("ms", 0.001), ("h", 3600), ("m", 60), ("s", 1)]
            while !t.isEmpty {
                let numberEnd = t.firstIndex { !($0.isASCII && ($0.isNumber || $0 == ".")) } ?? t.endIndex
                guard numberEnd > t.startIndex, let n = Double(t[..<numberEnd]) else { return nil }
                t = String(t[numberEnd...])
                guard let unit = units.first(where: { t.hasPrefix($0.0) }) else { return nil }
                total += n * unit.1
                t = String(t.dropFirst(unit.0.count))
            }
        }
        guard total.isFinite, total >= 0, total <= max else { return nil }
        return total
    }
}

extension RequestContext {
    func param(_ name: String) throws -> String {
        guard let v = parameters.get(name) else { throw HostError.badRequest("missing \(name)") }
        return v
    }
}

/// The end of a WebSocket relay that has queued its close behind what it sent (`exec`,
/// `/proxy`): the connection stays open until the client answers the close, which comes after
/// it has read everything, or `replyTimeout`. Returning sooner would close the socket under
/// data that is queued but not yet written, and cancelling the task that reads the client's
/// frames would end the stream the close handshake waits on.
enum CloseHandshake {
    static let replyTimeout: UInt64 = 15_000_000_000

    /// Waits for the next task of `group` (the one reading the client, when its close comes)
    /// or the timeout, whichever ends first; `timedOut` is what the timer's task returns.
    static func awaitReply<T: Sendable>(in group: inout ThrowingTaskGroup<T, any Error>, timedOut: T) async throws {
        group.addTask {
            try await Task.sleep(nanoseconds: replyTimeout)
            return timedOut
        }
        _ = try await group.next()
    }
}

/// Paces a streamed reply (or a WebSocket's output) by its connection. The reply writer's
/// back-pressure reaches the writing task only once the event loop has run the writes queued
/// before: a producer faster than the event loop queued megabytes per connection ahead of it (an adversarial review: 256
/// HTTP execs of `yes` that nobody read held 2.6 GB; 0.8 GB paced). After every 256 KiB the
/// task waits until the event loop has taken what it wrote, so a full connection has said so,
/// and the next write waits for room.
struct ReplyPacing {
    let channel: (any Channel)?
    private var unsettled = 0
    static let stride = 256 << 10

    init(channel: (any Channel)?) { self.channel = channel }

    /// Writes `buffer`, then, every `stride` bytes, waits for the connection's event loop to
    /// have taken what was written.
    mutating func write(_ buffer: ByteBuffer, to writer: inout any ResponseBodyWriter) async throws {
        try await writer.write(buffer)
        try await wrote(buffer.readableBytes)
    }

    /// Counts `bytes` written by other means (a WebSocket's frames), and every `stride` bytes
    /// waits for the connection's event loop to have taken them.
    mutating func wrote(_ bytes: Int) async throws {
        unsettled += bytes
        guard unsettled >= Self.stride, let channel else { return }
        unsettled = 0
        try await channel.eventLoop.submit {}.get()
    }
}
