import HummingbirdCore
import HummingbirdWebSocket
import Logging
import NIOCore
import NIOHTTPTypes
import NIOPosix

/// See `KeepAliveUpgradeChannel`. Confined to its channel's event loop, like every handler.
final class LateUpgradeSplitter: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    /// The longest request line (414 beyond it) and head (431 beyond it) the host reads,
    /// whether the head is still coming or arrived whole. The head's limit is below the HTTP
    /// decoder's own (80 KiB), whose refusal answered nothing and left the connection open: a
    /// whole head of 85-128 KiB hung its client (an adversarial review).
    static let maxRequestLine = 64 << 10
    static let maxHead = 72 << 10
    /// How long a request head may take from its first byte to its blank line (408 after).
    let headTimeout: TimeAmount
    private var headDeadline: Scheduled<Void>?

    init(headTimeout: TimeAmount) { self.headTimeout = headTimeout }

    private enum Phase {
        /// Bytes of a request head, held until the head is whole.
        case head(ByteBuffer)
        /// A body of known length: this many bytes still belong to it.
        case body(Int)
        /// A chunked body, scanned as it passes.
        case chunked(ChunkedBodyScanner)
        /// Nothing more to look at: the first request upgraded, or the stream is not readable.
        case passthrough
        /// A late upgrade, held until the responses before it are written.
        case waiting(ByteBuffer)
        /// A late upgrade, while its connection to this server opens.
        case connecting(ByteBuffer)
        /// Bytes go to and come from the connection the upgrade went to.
        case relaying(Channel)
        case closed
    }

    private var phase = Phase.head(ByteBuffer())
    private var context: ChannelHandlerContext?
    /// Heads given to the HTTP pipeline, and responses it has finished.
    private var requests = 0
    private var responses = 0
    /// A read asked for while the relay's other side could take no more.
    private var readPending = false
    private var relayBack: RelayBackHandler?

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }
    func handlerRemoved(context: ChannelHandlerContext) { self.context = nil }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var bytes = unwrapInboundIn(data)
        switch phase {
        case .passthrough:
            context.fireChannelRead(data)
        case .relaying(let peer):
            peer.writeAndFlush(bytes, promise: nil)
        case .waiting(var held):
            held.writeBuffer(&bytes)
            phase = .waiting(held)
        case .connecting(var held):
            held.writeBuffer(&bytes)
            phase = .connecting(held)
        case .closed:
            break
        case .head, .body, .chunked:
            scan(context, &bytes)
        }
    }

    /// Passes `bytes` on, request by request, until a late upgrade (held) or the end.
    private func scan(_ context: ChannelHandlerContext, _ bytes: inout ByteBuffer) {
        while bytes.readableBytes > 0 {
            switch phase {
            case .head(var held):
                if held.readableBytes == 0 { startHeadDeadline(context) }
                held.writeBuffer(&bytes)
                let end = Self.headEnd(held)
                let view = held.readableBytesView
                let lineEnd = view.firstIndex(of: 10).map { $0 - view.startIndex } ?? view.count
                if lineEnd > Self.maxRequestLine {
                    refuse(
                        context, 414, "URI Too Long", "uri_too_long",
                        "the request line is longer than \(Self.maxRequestLine >> 10) KiB")
                    return
                }
                if (end ?? view.count) > Self.maxHead {
                    refuse(
                        context, 431, "Request Header Fields Too Large", "headers_too_large",
                        "the request head is larger than \(Self.maxHead >> 10) KiB")
                    return
                }
                guard let end else {
                    phase = .head(held)
                    return
                }
                headDeadline?.cancel()
                headDeadline = nil
                let head = held.readSlice(length: end) ?? ByteBuffer()
                bytes = held  // the rest, after the head
                guard let request = RequestHead(head) else {
                    phase = .passthrough
                    context.fireChannelRead(wrapInboundOut(head))
                    if bytes.readableBytes > 0 { context.fireChannelRead(wrapInboundOut(bytes)) }
                    return
                }
                if request.isWebSocketUpgrade {
                    if requests == 0 {
                        // NIO's upgrader takes a first request; what follows is WebSocket frames
                        phase = .passthrough
                        var all = head
                        all.writeBuffer(&bytes)
                        context.fireChannelRead(wrapInboundOut(all))
                    } else {
                        var all = head
                        all.writeBuffer(&bytes)
                        phase = .waiting(all)
                        divertWhenIdle()
                    }
                    return
                }
                requests += 1
                context.fireChannelRead(wrapInboundOut(head))
                switch request.body {
                case .none: phase = .head(ByteBuffer())
                case .length(let n): phase = n > 0 ? .body(n) : .head(ByteBuffer())
                case .chunked: phase = .chunked(ChunkedBodyScanner())
                case .unknown:
                    phase = .passthrough
                    context.fireChannelRead(wrapInboundOut(bytes))
                    return
                }
            case .body(let remaining):
                let n = min(remaining, bytes.readableBytes)
                if let slice = bytes.readSlice(length: n) { context.fireChannelRead(wrapInboundOut(slice)) }
                phase = remaining - n > 0 ? .body(remaining - n) : .head(ByteBuffer())
            case .chunked(var scanner):
                let view = bytes.readableBytesView
                let result = scanner.consume(view)
                let n = result.used
                if let slice = bytes.readSlice(length: n) { context.fireChannelRead(wrapInboundOut(slice)) }
                switch result.state {
                case .more: phase = .chunked(scanner)
                case .done: phase = .head(ByteBuffer())
                case .invalid:
                    phase = .passthrough
                    if bytes.readableBytes > 0 { context.fireChannelRead(wrapInboundOut(bytes)) }
                    return
                }
            default:
                return
            }
        }
    }

    /// Gives the head that starts now `headTimeout` to arrive whole.
    private func startHeadDeadline(_ context: ChannelHandlerContext) {
        headDeadline?.cancel()
        headDeadline = context.eventLoop.scheduleTask(in: headTimeout) { [self] in
            headDeadline = nil
            guard case .head(let held) = phase, held.readableBytes > 0, let context = self.context else { return }
            refuse(
                context, 408, "Request Timeout", "request_timeout",
                "the request head did not arrive within \(headTimeout.nanoseconds / 1_000_000_000) s")
        }
    }

    /// Answers a head the host will not read with `status` and closes the connection (only
    /// closes it while an earlier response is still being written: the answer would cut into it).
    private func refuse(
        _ context: ChannelHandlerContext, _ status: Int, _ reason: String, _ code: String, _ message: String
    ) {
        headDeadline?.cancel()
        headDeadline = nil
        phase = .closed
        guard responses >= requests else {
            context.close(promise: nil)
            return
        }
        let body = #"{"error":"\#(code)","message":"\#(message)"}"#
        let text =
            "HTTP/1.1 \(status) \(reason)\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n"
            + "Connection: close\r\n\r\n" + body
        context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: text))).whenComplete { _ in context.close(promise: nil)
        }
    }

    /// Called by `ResponseCounter` when the HTTP pipeline finished a response.
    func responseEnded() {
        responses += 1
        divertWhenIdle()
    }

    /// Opens the held upgrade's own connection once every earlier response is written.
    private func divertWhenIdle() {
        guard case .waiting(let held) = phase, responses >= requests, let context else { return }
        guard let address = context.channel.localAddress else {
            phase = .closed
            context.close(promise: nil)
            return
        }
        phase = .connecting(held)
        let back = RelayBackHandler(splitter: self)
        relayBack = back
        ClientBootstrap(group: context.eventLoop)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(back) }
            }
            .connect(to: address)
            .hop(to: context.eventLoop)
            .whenComplete { [self] result in
                guard let context = self.context else {
                    if case .success(let peer) = result { peer.close(promise: nil) }
                    return
                }
                switch (result, phase) {
                case (.success(let peer), .connecting(let held)):
                    phase = .relaying(peer)
                    peer.writeAndFlush(held, promise: nil)
                    // the HTTP side sees no more requests: its idle timer must not close the relay
                    if let idle = try? context.pipeline.syncOperations.handler(type: HTTPConnectionStateHandler.self) {
                        context.pipeline.syncOperations.removeHandler(idle, promise: nil)
                    }
                case (.success(let peer), _):
                    peer.close(promise: nil)
                case (.failure, _):
                    phase = .closed
                    context.close(promise: nil)
                }
            }
    }

    // MARK: the relay

    /// Bytes from the upgrade's connection, written straight to this socket.
    func relayed(_ bytes: ByteBuffer) {
        guard let context, case .relaying = phase else { return }
        context.writeAndFlush(wrapOutboundOut(bytes), promise: nil)
    }

    func peerClosed() {
        guard let context else { return }
        if case .closed = phase { return }
        phase = .closed
        context.close(promise: nil)
    }

    func peerWritable() {
        guard readPending, let context else { return }
        readPending = false
        context.read()
    }

    var isWritable: Bool { context?.channel.isWritable ?? false }

    func read(context: ChannelHandlerContext) {
        if case .relaying(let peer) = phase, !peer.isWritable {
            readPending = true
            return
        }
        context.read()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable { relayBack?.splitterWritable() }
        context.fireChannelWritabilityChanged()
    }

    func channelInactive(context: ChannelHandlerContext) {
        headDeadline?.cancel()
        headDeadline = nil
        switch phase {
        case .relaying(let peer): peer.close(promise: nil)
        default: break
        }
        phase = .closed
        context.fireChannelInactive()
    }

    // MARK: reading heads

    /// Where the blank line that ends a head ends (the head's length with it).
    static func headEnd(_ buffer: ByteBuffer) -> Int? {
        let view = buffer.readableBytesView
        guard view.count >= 4 else { return nil }
        var i = view.startIndex
        let last = view.endIndex - 4
        while i <= last {
            if view[i] == 13 && view[i + 1] == 10 && view[i + 2] == 13 && view[i + 3] == 10 {
                return i - view.startIndex + 4
            }
            i += 1
        }
        return nil
    }
}
