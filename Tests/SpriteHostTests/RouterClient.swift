import Foundation
import Hummingbird
import Logging
import NIOCore
import NIOEmbedded
import SpriteSync

/// Routes answered in-process: a request goes to a router's responder and the response's body
/// is collected, as Hummingbird's own router test mode does it. That mode comes in
/// HummingbirdTesting, which brings AsyncHTTPClient, NIOSSL and BoringSSL (417 C files) into
/// every test build for a client these tests do not need; what needs a socket runs the
/// application on one (`RouterClient.live`) and talks to it with git-sprite's own client.
struct RouterClient<Context: RequestContext>: Sendable
where Context.Source == ApplicationRequestContextSource {
    let responder: RouterResponder<Context>
    let logger = Logger(label: "router-tests")

    init(_ router: Router<Context>) {
        responder = router.buildResponder()
    }

    /// What a route answered.
    struct Answer: Sendable {
        let status: HTTPResponse.Status
        let headers: HTTPFields
        let body: ByteBuffer
    }

    func execute(
        uri: String, method: HTTPRequest.Method, headers: HTTPFields = [:], body: ByteBuffer? = nil
    ) async throws -> Answer {
        var headers = headers
        if let body { headers[.contentLength] = String(body.readableBytes) }
        let request = Request(
            head: HTTPRequest(method: method, scheme: "http", authority: "localhost", path: uri, headerFields: headers),
            body: RequestBody(buffer: body ?? ByteBuffer()))
        let context = Context(
            source: ApplicationRequestContextSource(channel: NIOAsyncTestingChannel(), logger: logger))
        let response: Response
        do {
            response = try await responder.respond(to: request, context: context)
        } catch {
            // what the server does with an error that is not an HTTP one
            response = Response(status: .internalServerError)
        }
        let collected = Locked(ByteBuffer())
        try await response.body.write(Collector(body: collected))
        return Answer(status: response.status, headers: response.headers, body: collected.value)
    }

    /// Collects a response's body.
    struct Collector: ResponseBodyWriter {
        let body: Locked<ByteBuffer>
        mutating func write(_ buffer: ByteBuffer) async throws {
            var buffer = buffer
            body.withLock { _ = $0.writeBuffer(&buffer) }
        }
        mutating func write(contentsOf buffers: some Sequence<ByteBuffer>) async throws {
            for buffer in buffers { try await write(buffer) }
        }
        consuming func finish(_ trailingHeaders: HTTPFields?) async throws {}
    }

    /// Runs `router` as an application on a loopback port for `body`, then shuts it down.
    static func live<Value: Sendable>(
        _ router: Router<Context>, _ body: @Sendable (_ port: Int) async throws -> Value
    ) async throws -> Value {
        let (ports, found) = AsyncStream.makeStream(of: Int.self)
        let app = Application(
            router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in
                found.yield(channel.localAddress?.port ?? 0)
                found.finish()
            })
        return try await withThrowingTaskGroup(of: Value?.self) { group in
            group.addTask {
                try await app.runService()
                return nil
            }
            var iterator = ports.makeAsyncIterator()
            guard let port = await iterator.next(), port > 0 else {
                group.cancelAll()
                throw CocoaError(.fileReadUnknown)
            }
            do {
                let value = try await body(port)
                group.cancelAll()
                return value
            } catch {
                group.cancelAll()
                throw error
            }
        }
    }
}
