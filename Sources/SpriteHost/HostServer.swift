import Foundation
import Hummingbird
import HummingbirdWebSocket
import NIOCore

/// The local Sprites-compatible server: routes, sandboxed sprites, lifecycle ticks.
public enum HostServer {
    /// Runs until SIGINT/SIGTERM. `ready` receives the base URL once the socket is bound.
    public static func run(config: HostConfiguration, host: String, port: Int,
                           ready: @escaping @Sendable (String) -> Void) async throws {
        let state = try HostState(config: config)
        let faults = config.testHooks ? FaultTable() : nil

        let router = Router(context: BasicRequestContext.self)
        router.middlewares.add(VersionMiddleware())
        router.middlewares.add(AuthMiddleware(token: config.token))
        if let faults { router.middlewares.add(FaultMiddleware(faults: faults)) }
        router.middlewares.add(WakeMiddleware(state: state))
        SpriteRoutes.add(to: router, state: state)
        ExecRoutes.add(to: router, state: state)
        FilesystemRoutes.add(to: router, state: state)
        CheckpointRoutes.add(to: router, state: state)
        PolicyRoutes.add(to: router, state: state)
        ServiceRoutes.add(to: router, state: state)
        if let faults { addTestHooks(to: router, state: state, faults: faults) }

        let wsRouter = Router(context: BasicWebSocketRequestContext.self)
        wsRouter.middlewares.add(AuthMiddleware(token: config.token))
        if let faults { wsRouter.middlewares.add(FaultMiddleware(faults: faults)) }
        wsRouter.middlewares.add(WakeMiddleware(state: state))
        ExecRoutes.addWebSocket(to: wsRouter, state: state, faults: faults)

        let wsConfig = WebSocketServerConfiguration(maxFrameSize: 1 << 24, autoPing: .disabled)
        let app = Application(
            router: router,
            server: .http1WebSocketUpgrade(webSocketRouter: wsRouter, configuration: .init(ws: wsConfig)),
            configuration: .init(address: .hostname(host, port: port), serverName: nil),
            onServerRunning: { channel in
                let bound = channel.localAddress?.port ?? port
                let shownHost = host.contains(":") ? "[\(host)]" : host
                state.baseURL = "http://\(shownHost):\(bound)"
                ready(state.baseURL)
            }
        )
        let ticker = Task.detached {
            while !Task.isCancelled {
                try? await Task.sleep(nanoseconds: 250_000_000)
                state.tick()
            }
        }
        defer { ticker.cancel() }
        do {
            try await app.runService()
        } catch {
            await Blocking.run { for (_, runtime) in state.all { runtime.shutdown() } }
            throw error
        }
        await Blocking.run { for (_, runtime) in state.all { runtime.shutdown() } }
    }

    static func addTestHooks(to router: Router<BasicRequestContext>, state: HostState, faults: FaultTable) {
        router.post("/_host/sprites/:name/cold") { _, context -> Response in
            let (_, runtime) = try state.get(try context.param("name"))
            await Blocking.run { runtime.goCold() }
            return Response(status: .noContent)
        }
        // the egress proxy resolves these names to these addresses: {"name": ["192.0.2.1"]}
        router.post("/_host/resolve") { request, _ -> Response in
            let body = try await bodyJSON(request)
            state.overrideResolution(body.compactMapValues { $0 as? [String] })
            return Response(status: .noContent)
        }
        router.post("/_host/faults") { request, _ -> Response in
            faults.configure(try await bodyJSON(request))
            return Response(status: .noContent)
        }
        router.get("/_host/requests") { _, _ -> Response in
            jsonResponse(faults.requestCounts)
        }
    }
}
