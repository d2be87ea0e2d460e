import Foundation
import Hummingbird

/// Sprite management (`sprites-api.md` §2).
enum SpriteRoutes {
    static func add(to router: Router<BasicRequestContext>, state: HostState) {
        router.post("/v1/sprites") { request, _ -> Response in
            let body = try await bodyJSON(request)
            guard let name = body["name"] as? String else { throw HostError.badRequest("name is required") }
            guard body["config"] == nil || body["config"] is [String: Any] else {
                throw HostError.badRequest("config must be an object")
            }
            guard body["labels"] == nil || body["labels"] is [String] else {
                throw HostError.badRequest("labels must be a list of strings")
            }
            let config = body["config"] as? [String: Any] ?? [:]
            let labels = (body["labels"] as? [String]) ?? []
            // out-of-range values are a 400 from create(); nonsense (1e300, "x") is one here
            let record = try state.create(name: name, labels: labels,
                                          cpus: try checkedInt(config["cpus"], "config.cpus", in: -1_000_000...1_000_000) ?? 8,
                                          ramMB: try checkedInt(config["ram_mb"], "config.ram_mb", in: -1_000_000_000...1_000_000_000) ?? 8192,
                                          storageGB: try checkedInt(config["storage_gb"], "config.storage_gb",
                                                                    in: -1_000_000...1_000_000) ?? 100)
            if let url = body["url_settings"] as? [String: Any], let auth = url["auth"] as? String {
                try state.update(name) { $0.urlAuth = auth }
            }
            let (r, rt) = try state.get(record.name)
            return jsonResponse(state.json(r, rt), status: .created)
        }

        router.get("/v1/sprites") { request, _ -> Response in
            let q = Query(request)
            let prefix = q["prefix"] ?? ""
            let max = try q.int("max_results", in: 1...1000) ?? 50
            let after = q["continuation_token"] ?? ""
            let all = state.all.filter { $0.0.name.hasPrefix(prefix) }
            let page = all.filter { after.isEmpty || $0.0.name > after }
            let items = Array(page.prefix(max))
            let more = page.count > items.count
            let counts = Dictionary(grouping: state.all, by: { $0.1.status }).mapValues(\.count)
            let org: [String: Any] = ["name": state.config.organization, "running": counts["running"] ?? 0,
                                      "warm": counts["warm"] ?? 0, "cold": counts["cold"] ?? 0,
                                      "running_limit": 100, "warm_limit": 100]
            return jsonResponse([
                "sprites": items.map { state.json($0.0, $0.1) }, "has_more": more,
                "next_continuation_token": more ? (items.last?.0.name as Any) : NSNull(),
                "org": org, "running": org["running"]!, "warm": org["warm"]!, "cold": org["cold"]!,
            ])
        }

        router.get("/v1/sprites/:name") { _, context -> Response in
            let (r, rt) = try state.get(try context.param("name"))
            return jsonResponse(state.json(r, rt))
        }

        router.put("/v1/sprites/:name") { request, context -> Response in
            let name = try context.param("name")
            let body = try await bodyJSON(request)
            try state.update(name) { r in
                if body["clear_labels"] as? Bool == true { r.labels = [] }
                if let labels = body["labels"] as? [String] {
                    guard labels.count <= 64, labels.allSatisfy({ $0.utf8.count <= 256 }) else {
                        throw HostError.badRequest("labels: at most 64, each at most 256 bytes")
                    }
                    r.labels = labels
                }
                if let url = body["url_settings"] as? [String: Any], let auth = url["auth"] as? String {
                    guard ["sprite", "public"].contains(auth) else { throw HostError.badRequest("invalid url auth") }
                    r.urlAuth = auth
                }
            }
            let (r, rt) = try state.get(name)
            return jsonResponse(state.json(r, rt))
        }

        router.delete("/v1/sprites/:name") { _, context -> Response in
            let name = try context.param("name")
            try await Blocking.run { try state.delete(name) }
            return Response(status: .noContent)
        }

        router.post("/v1/sprites/:name/upgrade") { _, context -> Response in
            _ = try state.get(try context.param("name"))
            return Response(status: .noContent)
        }

        router.get("/v1/sprites/:name/control") { _, _ -> Response in
            throw HostError.notFound("control mode is not supported")
        }
    }
}
