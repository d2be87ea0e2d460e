import Foundation
import Hummingbird
import HummingbirdWebSocket

/// What the host answers, apart from how it listens: the HTTP routes and the WebSocket routes
/// over one `HostState`. `HostServer.run` serves them; `SpriteHostTests` test them in-process
/// with `app.test(.router)`.
extension HostServer {
    static func buildRouter(state: HostState, faults: FaultTable?) -> Router<BasicRequestContext> {
        let router = Router(context: BasicRequestContext.self)
        router.middlewares.add(VersionMiddleware())
        router.middlewares.add(AuthMiddleware(token: state.config.token))
        if state.config.sparseReplies { router.middlewares.add(SparseErrorsMiddleware()) }
        if let faults { router.middlewares.add(FaultMiddleware(faults: faults)) }
        router.middlewares.add(WakeMiddleware(state: state))
        SpriteRoutes.add(to: router, state: state)
        ExecRoutes.add(to: router, state: state)
        FilesystemRoutes.add(to: router, state: state)
        CheckpointRoutes.add(to: router, state: state)
        PolicyRoutes.add(to: router, state: state)
        ServiceRoutes.add(to: router, state: state)
        // a sprite-host extension: a one-time link that logs a browser in to a private sprite's URL
        router.post("/v1/sprites/:name/url/login") { _, context -> Response in
            let (record, _) = try state.get(try context.param("name"))
            guard let link = state.urls?.loginLink(for: record.name) else {
                throw HostError.notFound("this host serves no sprite URLs (sprite-host serve --url-listen)")
            }
            return try jsonResponse(["url": link])
        }
        if let faults { addTestHooks(to: router, state: state, faults: faults) }
        return router
    }

    static func buildWebSocketRouter(state: HostState, faults: FaultTable?) -> Router<BasicWebSocketRequestContext> {
        let wsRouter = Router(context: BasicWebSocketRequestContext.self)
        wsRouter.middlewares.add(AuthMiddleware(token: state.config.token))
        if let faults { wsRouter.middlewares.add(FaultMiddleware(faults: faults)) }
        wsRouter.middlewares.add(WakeMiddleware(state: state))
        ExecRoutes.addWebSocket(to: wsRouter, state: state, faults: faults)
        ProxyRoutes.addWebSocket(to: wsRouter, state: state)
        return wsRouter
    }

    static func addTestHooks(to router: Router<BasicRequestContext>, state: HostState, faults: FaultTable) {
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
