import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import SpriteWire

/// An API error as the Sprites API shapes it: `{"error": code, "message": text}`, or the
/// filesystem shape `{"error", "code", "path"}`.
struct HostError: Error, HTTPResponseError {
    let status: HTTPResponse.Status
    let code: String
    let message: String
    var errno: String?
    var path: String?
    var extraHeaders: HTTPFields = [:]

    static func notFound(_ what: String) -> HostError {
        HostError(status: .notFound, code: "not_found", message: what)
    }
    static func badRequest(_ message: String) -> HostError {
        HostError(status: .badRequest, code: "bad_request", message: message)
    }
    static func conflict(_ message: String) -> HostError {
        HostError(status: .conflict, code: "conflict", message: message)
    }
    static func internalError(_ message: String) -> HostError {
        HostError(status: .internalServerError, code: "internal_error", message: message)
    }
    static func fs(_ status: HTTPResponse.Status, _ errno: String, _ message: String, path: String) -> HostError {
        HostError(status: status, code: errno, message: message, errno: errno, path: path)
    }

    func response(from request: Request, context: some RequestContext) throws -> Response {
        let body = ErrorBody(error: errno == nil ? code : message, message: message, code: errno, path: path)
        let data = (try? Wire.encode(body)) ?? Data()
        var headers = extraHeaders
        headers[.contentType] = "application/json"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}
