import Foundation
import SpriteSync
import Testing

@testable import SpriteHTTP

#if canImport(Glibc)
    import Glibc
#endif

/// `SpareConnections`: while kept for an origin, the next WebSocket's connection is opened
/// before it is asked for, and an upgrade on a spare the server closed goes on a new one.
/// Serialized: the spares are the process's own.
@Suite("spare connections", .serialized)
struct SpareConnectionsTests {
    /// A WebSocket server on loopback that records, for each connection it accepts (numbered
    /// from 0), whether an upgrade request came on it; connections listed in `closing` are
    /// closed as soon as they are accepted, and without `answering` every request after the
    /// first is taken and left without an answer (the connection closed).
    final class Server: @unchecked Sendable {
        let port: Int
        let accepted = Locked(0)
        let upgraded = Locked<[Int]>([])
        private let listener: Int32

        init(closing: Set<Int> = [], answering: Bool = true) throws {
            (listener, port) = try WebSocketTransportTests.loopbackSocket(listening: 16)
            let (listener, accepted, upgraded) = (listener, accepted, upgraded)
            Thread.detachNewThread {
                while true {
                    let fd = accept(listener, nil, nil)
                    if fd < 0 { return }
                    let n = accepted.withLock { n in
                        defer { n += 1 }
                        return n
                    }
                    if closing.contains(n) {
                        close(fd)
                        continue
                    }
                    Thread.detachNewThread { Self.answer(fd, n, upgraded, answering) }
                }
            }
        }

        deinit { shutdown(listener, Int32(SHUT_RDWR)) }

        /// Reads one upgrade request and accepts it, then holds the connection until the client
        /// closes it.
        private static func answer(_ fd: Int32, _ n: Int, _ upgraded: Locked<[Int]>, _ answering: Bool) {
            defer { close(fd) }
            var request: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: 4096)
            while !request.ends(with: Array("\r\n\r\n".utf8)) {
                let got = read(fd, &buffer, buffer.count)
                if got <= 0 { return }
                request += buffer[..<got]
            }
            let text = String(decoding: request, as: UTF8.self)
            guard
                let line = text.split(separator: "\r\n").first(where: {
                    $0.lowercased().hasPrefix("sec-websocket-key:")
                })
            else { return }
            let key = line.dropFirst("sec-websocket-key:".count).trimmingCharacters(in: .whitespaces)
            let earlier = upgraded.withLock { done in
                defer { done.append(n) }
                return done.count
            }
            guard answering || earlier == 0 else { return }
            let reply =
                "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                + "Sec-WebSocket-Accept: \(UpgradeReply.accept(for: key))\r\n\r\n"
            _ = Array(reply.utf8).withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            while read(fd, &buffer, buffer.count) > 0 {}
        }

        var url: String { "ws://127.0.0.1:\(port)/v1/sprites/box/exec" }
    }

    static func connect(_ server: Server) throws -> WebSocket {
        try WebSocket.connect(url: server.url, headers: [], userAgent: "test", timeout: 5)
    }

    /// The second WebSocket goes over a connection the server accepted before it was asked
    /// for; once taken, the next spare is opened.
    @Test func theNextConnectionIsOpenedBeforeItIsAskedFor() throws {
        let server = try Server()
        SpareConnections.keep(for: "http://127.0.0.1:\(server.port)")
        defer { SpareConnections.stop() }
        let first = try Self.connect(server)
        #expect(settles { server.accepted.value == 2 }, "\(server.accepted.value) connections accepted")
        let second = try Self.connect(server)
        #expect(server.upgraded.value == [0, 1] || server.upgraded.value == [1, 0])
        #expect(settles { server.accepted.value == 3 })
        _ = (first, second)
    }

    /// A spare the server closed before it carried anything: the upgrade goes on a new
    /// connection, and the WebSocket opens as if there had been no spare.
    @Test func anUpgradeOnASpareTheServerClosedGoesOnANewConnection() throws {
        let server = try Server(closing: [1])
        SpareConnections.keep(for: "http://127.0.0.1:\(server.port)")
        defer { SpareConnections.stop() }
        let first = try Self.connect(server)
        #expect(settles { server.accepted.value == 2 })
        let second = try Self.connect(server)
        #expect(server.upgraded.value.contains(0) && !server.upgraded.value.contains(1))
        #expect(server.upgraded.value.count == 2, "\(server.upgraded.value)")
        _ = (first, second)
    }

    /// A request once written on a spare is never sent again: here the server takes it (it may
    /// have started the command) and closes without an answer, and the WebSocket fails instead
    /// of asking a second time on a new connection.
    @Test func aRequestWrittenOnASpareIsNeverSentAgain() throws {
        let server = try Server(answering: false)
        SpareConnections.keep(for: "http://127.0.0.1:\(server.port)")
        defer { SpareConnections.stop() }
        let first = try Self.connect(server)
        #expect(settles { server.accepted.value == 2 })
        #expect(throws: WebSocketError.self) { try Self.connect(server) }
        #expect(server.upgraded.value.count == 2, "\(server.upgraded.value)")
        _ = first
    }

    /// Another origin's WebSocket never takes the spare, and without `keep` none is opened.
    @Test func aSpareServesItsOriginOnly() throws {
        let kept = try Server(), other = try Server()
        SpareConnections.keep(for: "http://127.0.0.1:\(kept.port)")
        defer { SpareConnections.stop() }
        #expect(settles { kept.accepted.value == 1 })
        _ = try Self.connect(other)
        #expect(other.upgraded.value == [0] && kept.upgraded.value.isEmpty)
        SpareConnections.stop()
        _ = try Self.connect(other)
        Thread.sleep(forTimeInterval: 0.2)
        #expect(other.accepted.value == 2)
    }
}

/// Polls `condition` until it holds or five seconds pass.
private func settles(_ condition: () -> Bool) -> Bool {
    let deadline = Date().addingTimeInterval(5)
    while Date() < deadline {
        if condition() { return true }
        usleep(10_000)
    }
    return condition()
}

extension Array where Element: Equatable {
    fileprivate func ends(with suffix: [Element]) -> Bool {
        count >= suffix.count && Array(self[(count - suffix.count)...]) == suffix
    }
}
