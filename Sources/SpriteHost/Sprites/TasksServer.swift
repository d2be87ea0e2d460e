import Foundation
import Hummingbird
import Logging
import NIOCore

/// The in-sprite management socket `/.sprite/api.sock` with the Tasks API (`sprites-api.md`
/// §9.1): a live task keeps the sprite running. Served without authentication, as only
/// processes inside the sprite can reach the socket.
enum TasksServer {
    static func run(_ runtime: SpriteRuntime) async throws {
        let path = runtime.layout.dot + "/api.sock"
        unlink(path)
        let router = Router(context: BasicRequestContext.self)
        let create: @Sendable (Request, BasicRequestContext) async throws -> Response = { request, _ in
            let body = try await bodyJSON(request)
            guard let name = body["name"] as? String, !name.isEmpty else { throw HostError.badRequest("name is required") }
            let expires = parseDuration(body["expire"] as? String) ?? 3600
            guard runtime.putTask(name, expires: expires, create: true) else {
                throw HostError.conflict("task \(name) already exists")
            }
            return jsonResponse(runtime.taskList.first { $0["name"] as? String == name } ?? [:], status: .created)
        }
        router.post("/v1/tasks", use: create)
        router.put("/v1/tasks/:name") { request, context -> Response in
            let name = try context.param("name")
            let body = try await bodyJSON(request)
            _ = runtime.putTask(name, expires: parseDuration(body["expire"] as? String) ?? 3600, create: false)
            return jsonResponse(runtime.taskList.first { $0["name"] as? String == name } ?? [:])
        }
        router.get("/v1/tasks") { _, _ -> Response in jsonResponse(["tasks": runtime.taskList]) }
        router.delete("/v1/tasks/:name") { _, context -> Response in
            guard runtime.deleteTask(try context.param("name")) else { throw HostError.notFound("task not found") }
            return Response(status: .noContent)
        }
        let app = Application(router: router, configuration: .init(address: .unixDomainSocket(path: path)),
                              logger: Logger(label: "sprite-tasks"))
        try await app.run()
    }
}
