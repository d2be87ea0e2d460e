import NIOCore
import NIOHTTP1
import NIOWebSocket
import SpriteWire

/// Unmasks the client's WebSocket frames eight bytes at a time as they leave NIO's frame
/// decoder, so the byte-by-byte loop behind `WebSocketFrame.unmaskedData` finds nothing to
/// do (it was a quarter of the host's time while a 34 MB pack streamed into a sprite).
///
/// NIO's upgrader adds its decoder when a connection upgrades, so `UnmaskAfterUpgrade` waits
/// on the connection for the upgrade to complete and then puts `FastUnmask` right after the
/// decoder, before any frame has been let through.
final class UnmaskAfterUpgrade: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = NIOAny

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case HTTPServerUpgradeEvents.upgradeComplete? = event as? HTTPServerUpgradeEvents,
            let decoder = try? context.pipeline.syncOperations.handler(
                type: ByteToMessageHandler<WebSocketFrameDecoder>.self)
        {
            try? context.pipeline.syncOperations.addHandler(FastUnmask(), position: .after(decoder))
            context.pipeline.syncOperations.removeHandler(self, promise: nil)
        }
        context.fireUserInboundEventTriggered(event)
    }
}

/// A frame's payload unmasked in place, its masking key gone.
final class FastUnmask: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = WebSocketFrame
    typealias InboundOut = WebSocketFrame

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var frame = unwrapInboundIn(data)
        // (an extension's data would shift the key's phase; none is ever negotiated here)
        if let key = frame.maskKey, frame.extensionData == nil {
            frame.data.withUnsafeMutableReadableBytes { WebSocketMasking.apply($0, key: key) }
            frame.maskKey = nil
        }
        context.fireChannelRead(wrapInboundOut(frame))
    }
}
