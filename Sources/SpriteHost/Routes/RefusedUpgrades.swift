import Foundation
import HTTPTypes
import Hummingbird
import SpriteSync

/// Why recent WebSocket upgrades were refused, for the clients that ask.
///
/// HummingbirdWebSocket answers every refused upgrade with a bare 400: the reason (the sprite
/// could not wake, the working directory is missing, the session limit is met, an injected
/// fault) cannot travel with it. A client that meets a bare 400 asks again on the same URL over
/// plain HTTP; this store hands that request the reason the upgrade was refused for, not what
/// the route would say now (once the trouble has passed, only "a WebSocket upgrade is
/// required"). Each refusal answers one request, within `keptFor` seconds, on the same path and
/// query, so a later request of another kind on the path (listing the sessions) never meets it.
final class RefusedUpgrades: Sendable {
    static let keptFor: TimeInterval = 30
    /// Bounds what authenticated but never-asking clients can leave behind.
    static let limit = 256

    private struct Refusal {
        let key: String
        let error: HostError
        let at: Date
    }
    private let refusals = Locked<[Refusal]>([])

    static func key(_ request: Request) -> String {
        request.uri.path + "?" + (request.uri.query ?? "")
    }

    static func isUpgrade(_ request: Request) -> Bool {
        request.headers[.upgrade]?.lowercased() == "websocket"
    }

    func remember(_ error: HostError, for request: Request, now: Date = Date()) {
        refusals.withLock { list in
            list.removeAll { now.timeIntervalSince($0.at) > Self.keptFor }
            if list.count >= Self.limit { list.removeFirst(list.count - Self.limit + 1) }
            list.append(Refusal(key: Self.key(request), error: error, at: now))
        }
    }

    /// The oldest unanswered refusal of this request's URL, once.
    func take(for request: Request, now: Date = Date()) -> HostError? {
        let key = Self.key(request)
        return refusals.withLock { list in
            list.removeAll { now.timeIntervalSince($0.at) > Self.keptFor }
            guard let i = list.firstIndex(where: { $0.key == key }) else { return nil }
            return list.remove(at: i).error
        }
    }
}

/// Remembers why an upgrade was refused (whatever refused it further in: faults, waking the
/// sprite, the route's checks), and answers the plain request that asks with that reason.
/// It sits after authentication in both routers: only a client that may call the sprite
/// leaves or reads a reason.
struct RefusedUpgradeMiddleware<Context: RequestContext>: RouterMiddleware {
    let refused: RefusedUpgrades

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        guard RefusedUpgrades.isUpgrade(request) else {
            if request.method == .get, let error = refused.take(for: request) { throw error }
            return try await next(request, context)
        }
        do {
            let response = try await next(request, context)
            if response.status != .ok {
                refused.remember(
                    HostError(
                        status: response.status, code: "upgrade_refused",
                        message: "the WebSocket upgrade was refused (HTTP \(response.status.code))"),
                    for: request)
            }
            return response
        } catch let error as HostError {
            refused.remember(error, for: request)
            throw error
        } catch {
            refused.remember(
                .internalError("the WebSocket upgrade failed: " + String(describing: error).prefix(200)), for: request)
            throw error
        }
    }
}
