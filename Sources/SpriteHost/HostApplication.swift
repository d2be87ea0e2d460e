import Foundation
import Hummingbird
import HummingbirdWebSocket

/// What the host answers, apart from how it listens: the HTTP routes and the WebSocket routes
/// over one `HostState`. `HostServer.run` serves them; `SpriteHostTests` test them in-process,
/// each request handed to the router's responder (`RouterClient`).
extension HostServer {
    static func buildRouter(state: HostState, faults: FaultTable?) -> Router<HostRequestContext> {
        let router = Router(context: HostRequestContext.self)
        router.middlewares.add(VersionMiddleware())
        router.middlewares.add(AuthMiddleware(token: state.config.token))
        if state.config.sparseReplies { router.middlewares.add(SparseErrorsMiddleware()) }
        router.middlewares.add(RefusedUpgradeMiddleware(refused: state.refusedUpgrades, role: .answers))
        if let faults { router.middlewares.add(FaultMiddleware(faults: faults)) }
        // `:name` is resolved once per request, for every route of a sprite; a call to what the
        // sprite holds wakes it, reading or changing its record does not
        let record = router.group("/v1/sprites/:name").add(middleware: SpriteMiddleware(state: state, wakes: false))
        let sprite = router.group("/v1/sprites/:name").add(middleware: SpriteMiddleware(state: state, wakes: true))
        SpriteController(state: state).addRoutes(to: router.group("/v1/sprites"), record: record)
        ExecController().addRoutes(to: sprite)
        FilesystemController().addRoutes(to: sprite)
        CheckpointController(state: state).addRoutes(to: sprite)
        PolicyController(state: state).addRoutes(to: sprite)
        ServiceController(state: state).addRoutes(to: sprite)
        // a sprite-host extension: a one-time link that logs a browser in to a private sprite's URL
        sprite.post("url/login") { _, context -> Response in
            guard let link = state.urls?.loginLink(for: try context.named().name) else {
                throw HostError.notFound("this host serves no sprite URLs (sprite-host serve --url-listen)")
            }
            return try jsonResponse(["url": link])
        }
        if let faults { addTestHooks(to: router, state: state, faults: faults) }
        return router
    }

    static func buildWebSocketRouter(state: HostState, faults: FaultTable?) -> Router<HostWebSocketContext> {
        let wsRouter = Router(context: HostWebSocketContext.self)
        wsRouter.middlewares.add(AuthMiddleware(token: state.config.token))
        wsRouter.middlewares.add(RefusedUpgradeMiddleware(refused: state.refusedUpgrades, role: .records))
        if let faults { wsRouter.middlewares.add(FaultMiddleware(faults: faults)) }
        let sprite = wsRouter.group("/v1/sprites/:name").add(middleware: SpriteMiddleware(state: state, wakes: true))
        ExecController.addWebSocket(to: sprite, faults: faults, sparse: state.config.sparseReplies)
        ProxyRoutes.addWebSocket(to: sprite)
        return wsRouter
    }

    static func addTestHooks(to router: Router<HostRequestContext>, state: HostState, faults: FaultTable) {
        router.post("/_host/sprites/:name/cold") { _, context -> Response in
            let (_, runtime) = try state.get(try context.param("name"))
            await Blocking.run { runtime.goCold() }
            return Response(status: .noContent)
        }
        // the egress proxy resolves these names to these addresses: {"name": ["192.0.2.1"]}
        router.post("/_host/resolve") { request, _ -> Response in
            state.overrideResolution(try await decodeBody(request, as: [String: [String]].self))
            return Response(status: .noContent)
        }
        router.post("/_host/faults") { request, _ -> Response in
            faults.configure(try await decodeBody(request, as: FaultTable.Configuration.self))
            return Response(status: .noContent)
        }
        router.get("/_host/requests") { _, _ -> Response in
            try jsonResponse(faults.requestCounts)
        }
    }
}
