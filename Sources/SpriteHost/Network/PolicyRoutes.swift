import Foundation
import Hummingbird
import SpriteWire

/// Network policy, enforced as `NetworkPolicy` describes; `GET` says how on this host.
enum PolicyRoutes {
    static func add(to router: Router<BasicRequestContext>, state: HostState) {
        router.get("/v1/sprites/:name/policy/network") { _, context -> Response in
            let (record, runtime) = try state.get(try context.param("name"))
            return try jsonResponse(PolicyDocument(rules: record.policy, enforcement: runtime.network.enforcement))
        }
        let set: @Sendable (Request, BasicRequestContext) async throws -> Response = { request, context in
            let name = try context.param("name")
            let rules = try await decodeBody(request, as: PolicyDocument.self).rules
            try NetworkPolicy.validate(rules)
            try state.update(name) { $0.policy = rules }
            let (_, runtime) = try state.get(name)
            let file = String(decoding: try Wire.encode(PolicyDocument(rules: rules)), as: UTF8.self) + "\n"
            try runtime.layout.writeSystemFile("policy/network.json", file)
            await Blocking.run { runtime.network.update(rules) }
            return Response(status: .noContent)
        }
        router.post("/v1/sprites/:name/policy/network", use: set)
        router.put("/v1/sprites/:name/policy/network", use: set)
    }
}
