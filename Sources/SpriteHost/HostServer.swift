import Foundation
import Hummingbird
import HummingbirdCore
import HummingbirdWebSocket
import NIOCore
import ServiceLifecycle

/// Where the host listens.
public enum HostListener: Sendable {
    case tcp(host: String, port: Int)
    /// A Unix socket: only who can reach its directory can connect (`git sprite --local`).
    case unix(path: String)
}

/// The local Sprites-compatible server: routes, sandboxed sprites, lifecycle ticks.
public enum HostServer {
    /// How long requests in flight may take to finish once the host is told to stop.
    static let shutdownGrace: Duration = .seconds(3)

    /// Runs until SIGINT/SIGTERM. `ready` receives the base URL once the socket is bound.
    public static func run(
        config: HostConfiguration, listener: HostListener,
        ready: @escaping @Sendable (String) -> Void
    ) async throws {
        let state = try HostState(config: config)
        let faults = config.testHooks ? FaultTable() : nil
        let urls = SpriteURLs(state: state)
        state.urls = urls

        let router = buildRouter(state: state, faults: faults)
        let wsRouter = buildWebSocketRouter(state: state, faults: faults)

        let wsConfig = WebSocketServerConfiguration(maxFrameSize: 1 << 24, autoPing: .disabled)
        let address: BindAddress
        switch listener {
        case .tcp(let host, let port): address = .hostname(host, port: port)
        case .unix(let path):
            // a socket an earlier host left behind (never anything else) is replaced
            var st = stat()
            if lstat(path, &st) == 0, (st.st_mode & S_IFMT) == S_IFSOCK { unlink(path) }
            address = .unixDomainSocket(path: path)
        }
        // upgrades on any request of a connection, not only its first (KeepAliveUpgradeChannel)
        let wsResponder = wsRouter.buildResponder()
        let channelConfig = HTTP1WebSocketUpgradeChannel.Configuration(
            http1: .init(additionalChannelHandlers: [ResponseCounter()], idleTimeout: .seconds(120)), ws: wsConfig)
        let server = HTTPServerBuilder { responder in
            KeepAliveUpgradeChannel(
                inner: HTTP1WebSocketUpgradeChannel(
                    responder: responder, webSocketResponder: wsResponder,
                    configuration: channelConfig),
                headTimeout: .milliseconds(Int64(config.requestHeadTimeout * 1000)))
        }
        let app = Application(
            router: router,
            server: server,
            // connections are bounded (file descriptors are finite) and idle HTTP ones closed
            configuration: .init(
                address: address, serverName: nil,
                availableConnectionsDelegate: MaximumAvailableConnections(1024)),
            onServerRunning: { channel in
                switch listener {
                case .tcp(let host, let port):
                    let bound = channel.localAddress?.port ?? port
                    let shownHost = host.contains(":") ? "[\(host)]" : host
                    state.baseURL = "http://\(shownHost):\(bound)"
                case .unix(let path):
                    chmod(path, 0o600)
                    state.baseURL =
                        "http+unix://" + (path.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? path)
                }
                ready(state.baseURL)
            }
        )
        // each sprite's own URL, on a loopback listener of its own (SpriteURLs)
        var services: [any Service] = [app]
        if let (urlHost, urlPort) = config.urlListen {
            let urlRouter = Router(context: HostRequestContext.self)
            urls.addRoutes(to: urlRouter)
            services.append(
                Application(
                    router: urlRouter,
                    configuration: .init(
                        address: .hostname(urlHost, port: urlPort), serverName: nil,
                        availableConnectionsDelegate: MaximumAvailableConnections(512)),
                    onServerRunning: { channel in urls.listening(on: channel.localAddress?.port ?? urlPort) }))
        }
        // last: told first when the host is to stop
        services.append(StopWatchdog(after: shutdownGrace + .seconds(1)) { state.shutdown() })
        // SIGTERM/SIGINT: requests in flight get a moment to finish; an exec session or a log
        // stream may run for hours, so what is still open then is closed
        var groupConfig = ServiceGroupConfiguration(
            services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: app.logger)
        groupConfig.maximumGracefulShutdownDuration = shutdownGrace
        let group = ServiceGroup(configuration: groupConfig)
        let ticker = Task.detached {
            while !Task.isCancelled {
                try? await Task.sleep(nanoseconds: 250_000_000)
                state.tick()
            }
        }
        defer { ticker.cancel() }
        do {
            try await group.run()
        } catch {
            await Blocking.run { state.shutdown() }
            throw error
        }
        await Blocking.run { state.shutdown() }
    }
}

/// Stops the sprites once a stop's grace is over, whatever still runs. A request can wait on a
/// sprite in a read no cancellation reaches (a sprite URL's answer that never ends, as a stream
/// of server-sent events; a relay the sprite stopped reading): the server then never finished,
/// and the sprites were never stopped, which is what would end that read. A host told to stop
/// waited forever, a second SIGTERM included.
struct StopWatchdog: Service {
    let after: Duration
    let stop: @Sendable () -> Void

    func run() async throws {
        // returns when the host is told to stop; throws when the group is cancelled instead
        guard (try? await gracefulShutdown()) != nil else { return }
        DispatchQueue.global().asyncAfter(deadline: .now() + after / .seconds(1)) { stop() }
    }
}
