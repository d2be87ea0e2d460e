import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdWebSocket
import NIOCore
import SpriteWire

#if canImport(Glibc)
    import Glibc
#endif

/// `WSS /v1/sprites/{name}/proxy`: the client names a host and port, the host
/// connects there from inside the sprite (`SpriteRuntime.connectInside`), answers
/// `{"status":"connected"}`, and relays raw bytes both ways until either side closes.
enum ProxyRoutes {
    /// Adds the route to the group of a sprite (`SpriteMiddleware` has resolved `:name`).
    static func addWebSocket(to sprite: RouterGroup<HostWebSocketContext>) {
        sprite.ws(
            "proxy",
            shouldUpgrade: { _, _ in .upgrade([.spriteVersion: spriteVersion]) },
            onUpgrade: { inbound, outbound, ws in
                let runtime = try ws.requestContext.named().runtime
                var messages = inbound.messages(maxSize: 1 << 20).makeAsyncIterator()
                func answer(_ status: ProxyStatus) async throws {
                    try await outbound.write(.text(String(decoding: try Wire.encode(status), as: UTF8.self)))
                }
                guard case .text(let text)? = try await messages.next(),
                    let target = try? Wire.decode(ProxyRequest.self, from: Data(text.utf8)),
                    (1...65535).contains(target.port), !target.host.isEmpty, target.host.utf8.count <= 255
                else {
                    try await answer(
                        ProxyStatus(
                            status: "error", error: "the first message must be {\"host\": …, \"port\": 1-65535}"))
                    try? await outbound.close(.unacceptableData, reason: nil)
                    return
                }
                runtime.connect()
                defer { runtime.disconnect() }
                let fd: Int32
                do {
                    fd = try await Blocking.run { try runtime.connectInside(host: target.host, port: target.port) }
                } catch {
                    try await answer(ProxyStatus(status: "error", error: (error as? HostError)?.message ?? "\(error)"))
                    try? await outbound.close(.normalClosure, reason: nil)
                    return
                }
                defer { close(fd) }
                try await answer(ProxyStatus(status: "connected", target: "\(target.host):\(target.port)"))
                try await relay(fd: fd, messages: messages, outbound: outbound)
            })
    }

    /// Bytes from the socket become binary messages (read by a thread of its own, which waits
    /// while the client is behind); binary messages are written to the socket. Ends when
    /// either side is done.
    static func relay(
        fd: Int32, messages: WebSocketInboundMessageStream.AsyncIterator,
        outbound: WebSocketOutboundWriter
    ) async throws {
        let chunks = BoundedChannel<Data>(limit: 1 << 20, weigh: \.count)
        let reader = Thread {
            var buffer = [UInt8](repeating: 0, count: 32 * 1024)
            while true {
                let n = read(fd, &buffer, buffer.count)
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { break }
                if !chunks.send(Data(buffer[0..<n])) { break }
            }
            chunks.finish()
        }
        reader.start()
        // the client's messages move to the task that reads them; nothing else touches them
        let inbound = MovedToTask(value: messages)
        enum Side { case sprite, client }
        try await withThrowingTaskGroup(of: Side.self) { group in
            // however the relay ends (an error included), the reader thread is let go and the
            // socket shut, so neither outlives the connection
            defer {
                chunks.cancel()
                shutdown(fd, Int32(SHUT_RDWR))
            }
            group.addTask {
                do {
                    while let chunk = await chunks.next() {
                        try await outbound.write(.binary(ByteBuffer(bytes: chunk)))
                    }
                    // the connection in the sprite ended: a normal close, queued behind the data
                    try? await outbound.close(.normalClosure, reason: nil)
                } catch {
                    // the client went away: nothing more can reach it
                }
                return .sprite
            }
            group.addTask {
                var iterator = inbound.value
                while let message = try await iterator.next() {
                    guard case .binary(let buffer) = message else { continue }
                    let bytes = Data(buffer: buffer)
                    if !(await SpriteSocket.writeAll(fd, bytes)) { break }
                }
                // the client is done: the sprite's side reads end of file
                shutdown(fd, Int32(SHUT_WR))
                return .client
            }
            if try await group.next() == .sprite {
                // everything the sprite sent, and the close, are queued, maybe not yet written
                try await CloseHandshake.awaitReply(in: &group, timedOut: .client)
            }
            // (the client closed first: its close was answered and nothing more can reach it)
            group.cancelAll()
        }
    }
}

/// A value handed to the one task that uses it from then on, which the compiler cannot see
/// (Hummingbird's message iterator is not `Sendable`).
struct MovedToTask<Value>: @unchecked Sendable {
    let value: Value
}
