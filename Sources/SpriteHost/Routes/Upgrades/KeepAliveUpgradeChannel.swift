import HummingbirdCore
import HummingbirdWebSocket
import Logging
import NIOCore
import NIOHTTPTypes
import NIOPosix

/// WebSocket upgrades on any request of a keep-alive connection, as the Sprites API takes
/// them (Sprites API).
///
/// NIO's upgrade handler, and so Hummingbird, upgrades only a connection's first request; a
/// later one gets `307` to its own URL with `Connection: close`. Clients that pool connections
/// and do not follow redirects on an upgrade (Node's built-in WebSocket, which the official
/// JavaScript SDK uses, after a `fetch` on the same connection) fail. So each connection
/// starts with `LateUpgradeSplitter`, which reads the bytes ahead of the HTTP decoder to find
/// where each request starts: a WebSocket upgrade after the first request is not given to
/// the HTTP pipeline; once the responses before it are written, it goes to a new connection
/// of this same server (whose first request it then is), and the two connections are
/// relayed byte for byte until either ends.
struct KeepAliveUpgradeChannel: ServerChildChannel {
    typealias Value = HTTP1WebSocketUpgradeChannel.Value
    let inner: HTTP1WebSocketUpgradeChannel
    /// How long a request head may take to arrive (`LateUpgradeSplitter.headTimeout`).
    let headTimeout: TimeAmount

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        channel.eventLoop.makeCompletedFuture {
            try channel.pipeline.syncOperations.addHandler(
                LateUpgradeSplitter(headTimeout: headTimeout), position: .first)
        }.flatMap {
            inner.setup(channel: channel, logger: logger)
        }.flatMapThrowing { value in
            // after the HTTP handlers: it hears of the upgrade they make
            try channel.pipeline.syncOperations.addHandler(UnmaskAfterUpgrade())
            return value
        }
    }

    func handle(value: Value, logger: Logger) async {
        await inner.handle(value: value, logger: logger)
    }
}

/// Counts the responses the HTTP pipeline has finished, for `LateUpgradeSplitter`: a late
/// upgrade moves to its own connection only after every response before it is written.
final class ResponseCounter: ChannelOutboundHandler, RemovableChannelHandler {
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart
    private var splitter: LateUpgradeSplitter?

    func handlerAdded(context: ChannelHandlerContext) {
        splitter = try? context.pipeline.syncOperations.handler(type: LateUpgradeSplitter.self)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let ended: Bool
        if case .end = unwrapOutboundIn(data) { ended = true } else { ended = false }
        context.write(data, promise: promise)
        // after the write: its bytes have passed the splitter, so a relay starts after them
        if ended { splitter?.responseEnded() }
    }
}
