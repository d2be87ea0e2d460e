import HummingbirdCore
import HummingbirdWebSocket
import Logging
import NIOCore
import NIOHTTPTypes
import NIOPosix

/// The upgrade's own connection's side of the relay: what arrives there goes back out of the
/// original connection.
final class RelayBackHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer
    private let splitter: LateUpgradeSplitter
    private var context: ChannelHandlerContext?
    private var readPending = false

    init(splitter: LateUpgradeSplitter) { self.splitter = splitter }

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }
    func handlerRemoved(context: ChannelHandlerContext) { self.context = nil }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        splitter.relayed(unwrapInboundIn(data))
    }

    func channelInactive(context: ChannelHandlerContext) {
        splitter.peerClosed()
        context.fireChannelInactive()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable { splitter.peerWritable() }
        context.fireChannelWritabilityChanged()
    }

    func read(context: ChannelHandlerContext) {
        if !splitter.isWritable {
            readPending = true
            return
        }
        context.read()
    }

    func splitterWritable() {
        guard readPending, let context else { return }
        readPending = false
        context.read()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        context.close(promise: nil)
    }
}
