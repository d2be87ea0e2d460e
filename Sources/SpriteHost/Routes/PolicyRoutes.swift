import Foundation
import Hummingbird

/// Network policy (§6). `block-all` (deny `*`, allow nothing) is enforced: new processes get
/// no network namespace but `lo`. Other policies are recorded and shown in `/.sprite/policy`.
enum PolicyRoutes {
    static func add(to router: Router<BasicRequestContext>, state: HostState) {
        router.get("/v1/sprites/:name/policy/network") { _, context -> Response in
            let (record, _) = try state.get(try context.param("name"))
            return jsonResponse(["rules": record.policy.map(json)])
        }
        let set: @Sendable (Request, BasicRequestContext) async throws -> Response = { request, context in
            let name = try context.param("name")
            let body = try await bodyJSON(request)
            guard let raw = body["rules"] as? [[String: Any]] else { throw HostError.badRequest("rules is required") }
            var rules: [PolicyRule] = []
            for r in raw {
                let rule = PolicyRule(domain: r["domain"] as? String, action: r["action"] as? String,
                                      include: r["include"] as? String)
                guard (rule.domain == nil) != (rule.include == nil) else {
                    throw HostError.badRequest("invalid policy: each rule needs exactly one of domain and include")
                }
                if rule.domain != nil, !["allow", "deny"].contains(rule.action ?? "") {
                    throw HostError.badRequest("invalid policy: action must be allow or deny")
                }
                rules.append(rule)
            }
            let record = try state.update(name) { $0.policy = rules }
            let (_, runtime) = try state.get(name)
            let data = try JSONSerialization.data(withJSONObject: ["rules": record.policy.map(json)], options: [.sortedKeys, .withoutEscapingSlashes])
            try data.write(to: URL(fileURLWithPath: runtime.layout.dot + "/policy/network.json"))
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
