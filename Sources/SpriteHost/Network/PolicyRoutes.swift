import Foundation
import Hummingbird

/// Network policy (§6), enforced as `NetworkPolicy` describes; `GET` says how on this host.
enum PolicyRoutes {
    static func add(to router: Router<BasicRequestContext>, state: HostState) {
        router.get("/v1/sprites/:name/policy/network") { _, context -> Response in
            let (record, runtime) = try state.get(try context.param("name"))
            return jsonResponse(["rules": record.policy.map(json), "enforcement": runtime.network.enforcement])
        }
        let set: @Sendable (Request, BasicRequestContext) async throws -> Response = { request, context in
            let name = try context.param("name")
            let body = try await bodyJSON(request)
            guard let raw = body["rules"] as? [Any] else { throw HostError.badRequest("rules is required") }
            var rules: [PolicyRule] = []
            for item in raw {
                guard let r = item as? [String: Any] else { throw HostError.badRequest("invalid policy: a rule is not an object") }
                rules.append(PolicyRule(domain: r["domain"] as? String, action: r["action"] as? String,
                                        include: r["include"] as? String))
            }
            try NetworkPolicy.validate(rules)
            let record = try state.update(name) { $0.policy = rules }
            let (_, runtime) = try state.get(name)
            let data = try JSONSerialization.data(withJSONObject: ["rules": record.policy.map(json)],
                                                  options: [.sortedKeys, .withoutEscapingSlashes])
            try runtime.layout.writeSystemFile("policy/network.json", String(decoding: data, as: UTF8.self) + "\n")
            let applied = rules
            await Blocking.run { runtime.network.update(applied) }
            return Response(status: .noContent)
        }
        router.post("/v1/sprites/:name/policy/network", use: set)
        router.put("/v1/sprites/:name/policy/network", use: set)
    }

    static func json(_ rule: PolicyRule) -> [String: Any] {
        var o: [String: Any] = [:]
        if let d = rule.domain { o["domain"] = d }
        if let a = rule.action { o["action"] = a }
        if let i = rule.include { o["include"] = i }
        return o
    }
}
