import Foundation
import Hummingbird
import SpriteWire

/// Sprite management (Sprites API).
enum SpriteRoutes {
    static func add(to router: Router<BasicRequestContext>, state: HostState) {
        router.post("/v1/sprites") { request, _ -> Response in
            // a number that is not an integer (1e300, "x", 1.5) is a 400 from decoding; one out
            // of range is a 400 from create()
            let body = try await decodeBody(request, as: SpriteCreateRequest.self)
            // sparse: resources are "not configurable yet"
            let config = (state.config.sparseReplies ? nil : body.config) ?? SpriteConfig()
            let auth = body.urlSettings?.auth
            if let auth, !["sprite", "public"].contains(auth) { throw HostError.badRequest("invalid url auth") }
            let record = try state.create(
                name: body.name, labels: body.labels ?? [], cpus: config.cpus ?? 8,
                ramMB: config.ramMB ?? 8192, storageGB: config.storageGB ?? 100)
            if let auth { try state.update(body.name) { $0.urlAuth = auth } }
            let (r, rt) = try state.get(record.name)
            return try jsonResponse(state.wire(r, rt), status: .created)
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
            let org = OrganizationCounts(
                name: state.config.organization, running: counts[.running] ?? 0,
                warm: counts[.warm] ?? 0, cold: counts[.cold] ?? 0,
                runningLimit: 100, warmLimit: 100)
            let list = SpriteList(
                sprites: items.map { state.wire($0.0, $0.1) }, hasMore: more,
                nextContinuationToken: more ? items.last?.0.name : nil, org: org)
            return try state.config.sparseReplies ? jsonResponse(SparseReplies.page(list)) : jsonResponse(list)
        }

        router.get("/v1/sprites/:name") { _, context -> Response in
            let (r, rt) = try state.get(try context.param("name"))
            return try jsonResponse(state.wire(r, rt))
        }

        router.put("/v1/sprites/:name") { request, context -> Response in
            let name = try context.param("name")
            let body = try await decodeBody(request, as: SpriteUpdateRequest.self)
            try state.update(name) { r in
                if body.clearLabels == true { r.labels = [] }
                if let labels = body.labels {
                    guard labels.count <= 64, labels.allSatisfy({ $0.utf8.count <= 256 }) else {
                        throw HostError.badRequest("labels: at most 64, each at most 256 bytes")
                    }
                    r.labels = labels
                }
                if let auth = body.urlSettings?.auth {
                    guard ["sprite", "public"].contains(auth) else { throw HostError.badRequest("invalid url auth") }
                    r.urlAuth = auth
                }
            }
            let (r, rt) = try state.get(name)
            return try jsonResponse(state.wire(r, rt))
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
