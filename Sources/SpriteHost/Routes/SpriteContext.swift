import Hummingbird
import HummingbirdWebSocket
import NIOCore

/// A request context that carries the sprite a path under `/v1/sprites/:name` names,
/// resolved once by `SpriteMiddleware`.
protocol SpriteRequestContext: RequestContext {
    /// Set by `SpriteMiddleware` for every route of a sprite's group.
    var sprite: NamedSprite? { get set }
}

extension SpriteRequestContext {
    /// The sprite the path names.
    func named() throws -> NamedSprite {
        guard let sprite else { throw HostError.notFound("no sprite in this path") }
        return sprite
    }
}

/// The context of sprite-host's HTTP routes.
struct HostRequestContext: SpriteRequestContext {
    var coreContext: CoreRequestContextStorage
    var sprite: NamedSprite?
    /// The connection, for a streamed reply to pace itself by (`ReplyPacing`).
    let channel: (any Channel)?

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        channel = source.channel
    }
}

/// The context of sprite-host's WebSocket routes (exec, proxy): the sprite resolved for the
/// upgrade is the one the connection then serves.
struct HostWebSocketContext: SpriteRequestContext, WebSocketRequestContext {
    var coreContext: CoreRequestContextStorage
    let webSocket: WebSocketHandlerReference<HostWebSocketContext>
    var sprite: NamedSprite?
    /// The connection, for the output to pace itself by (`ReplyPacing`).
    let channel: (any Channel)?

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        webSocket = .init()
        channel = source.channel
    }
}

/// A sprite as a route sees it: its name, its record as it was when the request came, and
/// what runs it.
struct NamedSprite: Sendable {
    let name: String
    let record: SpriteRecord
    let runtime: SpriteRuntime
}

/// Resolves `:name` to the sprite once for every route of a group (404 `sprite not found`
/// when there is none). `wakes`: a call to what the sprite holds (exec, files, services,
/// checkpoints, …) wakes a sleeping sprite; reading or changing its record does not, so
/// listing and looking up sprites never wakes them.
struct SpriteMiddleware<Context: SpriteRequestContext>: RouterMiddleware {
    let state: HostState
    let wakes: Bool

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        let name = try context.param("name")
        let (record, runtime) = try state.get(name)
        if wakes { runtime.wake() }
        var context = context
        context.sprite = NamedSprite(name: name, record: record, runtime: runtime)
        return try await next(request, context)
    }
}
