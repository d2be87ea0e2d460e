import Foundation
import SpriteHTTP

/// A TCP connection inside a sprite, over `WSS /v1/sprites/{name}/proxy`: after the
/// server said `connected`, binary messages carry the bytes both ways.
public final class ProxyConnection: @unchecked Sendable {
    let socket: WebSocket

    init(socket: WebSocket) { self.socket = socket }

    /// Sends bytes to the connection in the sprite.
    public func send(_ bytes: [UInt8]) throws { try socket.send(binary: bytes) }

    /// The next bytes from the sprite; nil when the connection there ended normally. A close
    /// with any other code than 1000 (or none) throws: what was sent may not all have come.
    public func receive() throws -> [UInt8]? {
        while true {
            switch try socket.receive() {
            case .binary(let bytes): return bytes
            case .text: continue
            case .close(let code, _) where code == 1000 || code == 1005: return nil
            case .close(let code, let reason): throw ProxyBroke(code: code, reason: ServerText.oneLine(reason))
            }
        }
    }

    /// The proxy ended its side abnormally.
    public struct ProxyBroke: Error, CustomStringConvertible {
        public let code: UInt16
        public let reason: String
        public var description: String { "closed with \(code)" + (reason.isEmpty ? "" : ": \(reason)") }
    }

    /// Closes the connection normally.
    public func close() { try? socket.close(code: 1000) }
}

extension SpritesClient {
    /// Connects to `host:port` inside the sprite (its loopback for `localhost`). Throws the
    /// server's reason when it could not connect.
    public func openProxy(_ sprite: String, host: String, port: Int) throws -> ProxyConnection {
        let socket = try openSocket(Self.path(sprite) + "/proxy", [])
        let path = Self.path(sprite) + "/proxy"
        do {
            try socket.send(
                text: String(decoding: try Wire.encode(ProxyRequest(host: host, port: port)), as: UTF8.self))
            guard case .text(let text) = try socket.receive(timeout: 30),
                let status = try? Wire.decode(ProxyStatus.self, from: Data(text.utf8))
            else {
                throw APIError.malformed("the proxy did not say whether it connected")
            }
            guard status.status == "connected" else {
                throw APIError.http(
                    HTTPFailure(
                        status: 502, method: "WS", path: path, code: status.status,
                        message: ServerText.oneLine(status.error ?? "cannot connect to \(host):\(port)")))
            }
        } catch let e as WebSocketError {
            try? socket.close()
            throw APIError.transport(TransportFailure(e))
        } catch {
            try? socket.close()
            throw error
        }
        return ProxyConnection(socket: socket)
    }
}
