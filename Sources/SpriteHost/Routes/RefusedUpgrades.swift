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

    /// An exec upgrade without a query runs nothing and shares its URL with the plain listing
    /// of the sprite's sessions: its refusal is not kept, so a listing never meets it.
    static func worthRemembering(_ request: Request) -> Bool {
        !(request.uri.path.hasSuffix("/exec") && (request.uri.query ?? "").isEmpty)
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
/// sprite, the route's checks), in the WebSocket router (`records`), and answers the plain GET
/// that asks with that reason, in the HTTP router (`answers`). Both sit after authentication:
/// only a client that may call the sprite leaves or reads a reason. Only a GET upgrade refused
/// with an error status is remembered; the HTTP router's own traffic never is.
struct RefusedUpgradeMiddleware<Context: RequestContext>: RouterMiddleware {
    enum Role { case records, answers }
    let refused: RefusedUpgrades
    let role: Role

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        let upgrade = RefusedUpgrades.isUpgrade(request)
        if role == .answers {
            if !upgrade, request.method == .get, let error = refused.take(for: request) { throw error }
            return try await next(request, context)
        }
        guard upgrade, request.method == .get, RefusedUpgrades.worthRemembering(request) else {
            return try await next(request, context)
        }
        do {
            let response = try await next(request, context)
            if response.status.code >= 400 { refused.remember(Self.refusal(response.status), for: request) }
            return response
        } catch let error as HostError {
            refused.remember(error, for: request)
            throw error
        } catch let error as HTTPResponseError {
            refused.remember(Self.refusal(error.status), for: request)
            throw error
        } catch {
            refused.remember(.internalError("the WebSocket upgrade failed on the host"), for: request)
            throw error
        }
    }

    static func refusal(_ status: HTTPResponse.Status) -> HostError {
        HostError(
            status: status, code: status == .notFound ? "not_found" : "upgrade_refused",
            message: "the WebSocket upgrade was refused (HTTP \(status.code))")
    }
}
