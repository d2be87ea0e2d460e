import Foundation
import Hummingbird
import SpriteWire

/// Network policy, enforced as `NetworkPolicy` describes; `GET` says how on this host.
struct PolicyController {
    let state: HostState

    func addRoutes(to sprite: RouterGroup<HostRequestContext>) {
        sprite.get("policy/network", use: get)
        sprite.post("policy/network", use: set)
        sprite.put("policy/network", use: set)
    }

    @Sendable func get(_ request: Request, context: HostRequestContext) async throws -> Response {
        let sprite = try context.named()
        return try jsonResponse(
            PolicyDocument(rules: sprite.record.policy, enforcement: sprite.runtime.network.enforcement))
    }

    @Sendable func set(_ request: Request, context: HostRequestContext) async throws -> Response {
        let sprite = try context.named()
        let rules = try await decodeBody(request, as: PolicyDocument.self).rules
        try NetworkPolicy.validate(rules)
        try state.update(sprite.name) { $0.policy = rules }
        let file = String(decoding: try Wire.encode(PolicyDocument(rules: rules)), as: UTF8.self) + "\n"
        try sprite.runtime.layout.writeSystemFile("policy/network.json", file)
        let runtime = sprite.runtime
        await Blocking.run { runtime.network.update(rules) }
        return Response(status: .noContent)
    }
}
