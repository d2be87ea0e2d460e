import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// Bearer-token authentication on every route (Sprites API).
struct AuthMiddleware<Context: RequestContext>: RouterMiddleware {
    let token: String

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws
        -> Response
    {
        let header = request.headers[.authorization] ?? ""
        guard header.hasPrefix("Bearer "), constantTimeEqual(String(header.dropFirst(7)), token) else {
            throw HostError(
                status: .unauthorized, code: "unauthorized",
                message: "missing or invalid bearer token")
        }
        return try await next(request, context)
    }

    private func constantTimeEqual(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        guard x.count == y.count else { return false }
        var diff: UInt8 = 0
        for i in 0..<x.count { diff |= x[i] ^ y[i] }
        return diff == 0
    }
}

/// Adds `Sprite-Version` to every response, errors included.
struct VersionMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws
        -> Response
    {
        do {
            var response = try await next(request, context)
            response.headers[.spriteVersion] = spriteVersion
            return response
        } catch var error as HostError {
            error.extraHeaders[.spriteVersion] = spriteVersion
            throw error
        }
    }
}
