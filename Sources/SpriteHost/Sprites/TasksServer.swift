import Foundation
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import SpriteWire

/// The in-sprite management socket `/.sprite/api.sock` with the Tasks API: a live task keeps
/// the sprite running. Served without authentication, as only processes inside the sprite can reach the socket.
enum TasksServer {
    static func run(_ runtime: SpriteRuntime) async throws {
        // the socket lives in the host's own directory (the sprite cannot replace it) and is
        // mounted read-only at /.sprite/api.sock; connecting needs write permission on it
        let path = runtime.layout.apiSocket
        try FileManager.default.createDirectory(atPath: runtime.layout.system, withIntermediateDirectories: true)
        unlink(path)
        let router = Router(context: BasicRequestContext.self)
        let create: @Sendable (Request, BasicRequestContext) async throws -> Response = { request, _ in
            let body = try await decodeBody(request, as: TaskRequest.self)
            guard let name = body.name, !name.isEmpty, name.utf8.count <= 256 else {
                throw HostError.badRequest("name is required (at most 256 bytes)")
            }
            let expires = try duration(body.expire, default: 3600)
            guard runtime.putTask(name, expires: expires, create: true) else {
                throw HostError.conflict(
                    "task \(name) already exists, or the sprite has \(SpriteRuntime.taskLimit) tasks")
            }
            return try jsonResponse(runtime.taskList.first { $0.name == name }, status: .created)
        }
        router.post("/v1/tasks", use: create)
        router.put("/v1/tasks/:name") { request, context -> Response in
            let name = try context.param("name")
            guard name.utf8.count <= 256 else { throw HostError.badRequest("name: at most 256 bytes") }
            let body = try await decodeBody(request, as: TaskRequest.self, empty: TaskRequest())
            guard runtime.putTask(name, expires: try duration(body.expire, default: 3600), create: false) else {
                throw HostError.conflict("the sprite has \(SpriteRuntime.taskLimit) tasks")
            }
            return try jsonResponse(runtime.taskList.first { $0.name == name })
        }
        router.get("/v1/tasks") { _, _ -> Response in try jsonResponse(TaskList(runtime.taskList)) }
        router.delete("/v1/tasks/:name") { _, context -> Response in
            guard runtime.deleteTask(try context.param("name")) else { throw HostError.notFound("task not found") }
            return Response(status: .noContent)
        }
        // a sprite may open only so many connections to the host, and idle ones are closed
        let app = Application(
            router: router, server: .http1(configuration: .init(idleTimeout: .seconds(30))),
            configuration: .init(
                address: .unixDomainSocket(path: path),
                availableConnectionsDelegate: MaximumAvailableConnections(32)),
            onServerRunning: { _ in chmod(path, 0o666) }, logger: Logger(label: "sprite-tasks"))
        try await app.run()
    }

    /// A task's `expire`: a duration up to an hour (longer is capped, as on Sprites).
    private static func duration(_ text: String?, default fallback: TimeInterval) throws -> TimeInterval {
        guard let text else { return fallback }
        guard let seconds = DurationText.parse(text, max: 1e9) else {
            throw HostError.badRequest("expire must be a duration such as 10m or 1h")
        }
        return min(seconds, 3600)
    }
}
