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

/// Wakes the sprite a request names: any call to it (exec, fs, services, checkpoints, …)
/// wakes a sleeping sprite. Reading or changing the sprite's record itself
/// (`/v1/sprites/<name>`) does not: listing and looking up sprites must not wake them.
struct WakeMiddleware<Context: RequestContext>: RouterMiddleware {
    let state: HostState

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws
        -> Response
    {
        let parts = request.uri.path.split(separator: "/")
        if parts.count >= 4, parts[0] == "v1", parts[1] == "sprites",
            let (_, runtime) = try? state.get(String(parts[2]))
        {
            runtime.wake()
        }
        return try await next(request, context)
    }
}
