import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// The server version every response advertises (Go picks attach URLs by it).
let spriteVersion = "v0.1.0"

extension HTTPField.Name {
    static let spriteVersion = Self("Sprite-Version")!
    static let spriteCapabilities = Self("X-Sprite-Capabilities")!
    static let retryAfter = Self("Retry-After")!
}

/// A JSON response.
func jsonResponse(_ object: Any, status: HTTPResponse.Status = .ok) -> Response {
    let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data("{}".utf8)
    return Response(status: status, headers: [.contentType: "application/json"],
                    body: .init(byteBuffer: ByteBuffer(bytes: data)))
}

/// A streamed NDJSON response: one JSON object per line, written as they come.
func ndjsonResponse(_ produce: @escaping @Sendable (_ emit: ([String: Any]) async throws -> Void) async throws -> Void)
    -> Response {
    Response(status: .ok, headers: [.contentType: "application/x-ndjson"], body: ResponseBody { writer in
        try await produce { object in
            var data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data()
            data.append(0x0a)
            try await writer.write(ByteBuffer(bytes: data))
        }
        try await writer.finish(nil)
    })
}

/// Query parameters in order, with `+` read as a space (form encoding), repeated keys kept.
struct Query {
    let pairs: [(String, String)]

    init(_ request: Request) {
        var out: [(String, String)] = []
        for part in (request.uri.query ?? "").split(separator: "&") {
            let kv = part.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ s: Substring) -> String {
                String(s).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String(s)
            }
            out.append((decode(kv[0]), kv.count > 1 ? decode(kv[1]) : ""))
        }
        pairs = out
    }

    subscript(_ key: String) -> String? { pairs.first { $0.0 == key }?.1 }
    func all(_ key: String) -> [String] { pairs.filter { $0.0 == key }.map(\.1) }
    func bool(_ key: String) -> Bool? { self[key].map { $0 == "true" || $0 == "1" } }
}

/// Reads a request body (up to 1 GiB) as bytes.
func bodyData(_ request: Request) async throws -> Data {
    var req = request
    let buffer = try await req.collectBody(upTo: 1 << 30)
    return Data(buffer: buffer)
}

/// Parses a JSON object body; an empty body is an empty object.
func bodyJSON(_ request: Request) async throws -> [String: Any] {
    let data = try await bodyData(request)
    if data.isEmpty { return [:] }
    guard let obj = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
        throw HostError.badRequest("the body is not a JSON object")
    }
    return obj
}

/// Go-style durations (`10s`, `1m`, `1h30m`, `500ms`, `5.0s`, `0`) or plain seconds.
func parseDuration(_ text: String?) -> TimeInterval? {
    guard var t = text?.trimmingCharacters(in: .whitespaces), !t.isEmpty else { return nil }
    if let plain = Double(t) { return plain }
    var total = 0.0
    let units: [(String, Double)] = [("ms", 0.001), ("h", 3600), ("m", 60), ("s", 1)]
    while !t.isEmpty {
        let numberEnd = t.firstIndex { !($0.isNumber || $0 == ".") } ?? t.endIndex
        guard let n = Double(t[..<numberEnd]) else { return nil }
        t = String(t[numberEnd...])
        guard let unit = units.first(where: { t.hasPrefix($0.0) }) else { return nil }
        total += n * unit.1
        t = String(t.dropFirst(unit.0.count))
    }
    return total
}

extension RequestContext {
    func param(_ name: String) throws -> String {
        guard let v = parameters.get(name) else { throw HostError.badRequest("missing \(name)") }
        return v
    }
}
