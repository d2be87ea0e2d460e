import Foundation
import Hummingbird
import SpriteWire

/// Sprite management (Sprites API): the collection, and each sprite's record.
struct SpriteController {
    let state: HostState

    func addRoutes(to sprites: RouterGroup<HostRequestContext>, record: RouterGroup<HostRequestContext>) {
        sprites.post(use: create)
        sprites.get(use: list)
        record.get(use: get)
        record.put(use: update)
        record.delete(use: delete)
        record.post("upgrade") { _, _ in Response(status: .noContent) }
        record.get("control") { _, _ -> Response in throw HostError.notFound("control mode is not supported") }
    }

    @Sendable func create(_ request: Request, context: HostRequestContext) async throws -> Response {
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

    @Sendable func list(_ request: Request, context: HostRequestContext) async throws -> Response {
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

    @Sendable func get(_ request: Request, context: HostRequestContext) async throws -> Response {
        let sprite = try context.named()
        return try jsonResponse(state.wire(sprite.record, sprite.runtime))
    }

    @Sendable func update(_ request: Request, context: HostRequestContext) async throws -> Response {
        let name = try context.named().name
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

    @Sendable func delete(_ request: Request, context: HostRequestContext) async throws -> Response {
        let name = try context.named().name
        let state = state
        try await Blocking.run { try state.delete(name) }
        return Response(status: .noContent)
    }
}
