import Foundation
import Hummingbird
import SpriteWire

#if canImport(Glibc)
    import Glibc
#endif

/// Checkpoints: a copy of the sprite's home; restore puts it back and ends every process.
struct CheckpointController {
    let state: HostState

    func addRoutes(to sprite: RouterGroup<HostRequestContext>) {
        sprite.post("checkpoint", use: create)
        sprite.get("checkpoints", use: list)
        sprite.get("checkpoints/:id", use: get)
        sprite.delete("checkpoints/:id", use: delete)
        sprite.post("checkpoints/:id/restore", use: restore)
    }

    @Sendable func create(_ request: Request, context: HostRequestContext) async throws -> Response {
        let sprite = try context.named()
        let comment =
            try await decodeBody(request, as: CheckpointRequest.self, empty: CheckpointRequest(comment: nil))
            .comment ?? ""
        guard comment.utf8.count <= 4096 else { throw HostError.badRequest("comment: at most 4096 bytes") }
        let id = "v\(sprite.record.nextCheckpoint)"
        let state = state
        return ndjsonResponse { emit in
            try await emit(StreamEvent(type: "info", data: "Creating checkpoint...", time: Timestamp.format(Date())))
            let runtime = sprite.runtime
            let target = runtime.layout.checkpoints + "/" + id
            // the copy is made under another name and takes the id only whole: a copy that failed
            // half-way (a file the sprite's user may not read) left its files under the id the
            // next checkpoint took, and restoring that brought back files deleted since (an
            // adversarial review)
            let partial = runtime.layout.checkpoints + "/partial-" + id
            do {
                try await Blocking.run {
                    let maintenance = MaintenanceSandbox(runtime: runtime)
                    try maintenance.remove(partial)
                    try maintenance.remove(target)
                    do {
                        try maintenance.copy(from: runtime.layout.home, to: partial)
                    } catch {
                        try? maintenance.remove(partial)
                        throw error
                    }
                    guard rename(partial, target) == 0 else {
                        let why = String(cString: strerror(errno))
                        try? maintenance.remove(partial)
                        throw HostError.internalError("keeping the checkpoint failed: \(why)")
                    }
                }
            } catch {
                let why = (error as? HostError)?.message ?? "\(error)"
                var failed = StreamEvent(type: "error", time: Timestamp.format(Date()))
                failed.error = "Checkpoint failed: \(why)"
                try await emit(failed)
                return
            }
            try state.update(sprite.name) { r in
                r.checkpoints.append(CheckpointRecord(id: id, createTime: Date(), comment: comment))
                r.nextCheckpoint += 1
            }
            try await emit(
                StreamEvent(type: "complete", data: "Checkpoint \(id) created", time: Timestamp.format(Date())))
        }
    }

    @Sendable func list(_ request: Request, context: HostRequestContext) async throws -> Response {
        let record = try context.named().record
        // newest first; sparse: oldest first (the API documents no order), after the entry the
        // service's own server puts first for the live state
        guard state.config.sparseReplies else { return try jsonResponse(record.checkpoints.reversed().map(\.wire)) }
        return try jsonResponse([SparseReplies.liveState()] + record.checkpoints.map(\.wire))
    }

    @Sendable func get(_ request: Request, context: HostRequestContext) async throws -> Response {
        try jsonResponse(try Self.checkpoint(context).wire)
    }

    @Sendable func delete(_ request: Request, context: HostRequestContext) async throws -> Response {
        let sprite = try context.named()
        let id = try context.param("id")
        try state.update(sprite.name) { r in
            guard r.checkpoints.contains(where: { $0.id == id }) else {
                throw HostError.notFound("checkpoint not found: \(id)")
            }
            r.checkpoints.removeAll { $0.id == id }
        }
        let runtime = sprite.runtime
        let dir = runtime.layout.checkpoints + "/" + id
        try await Blocking.run { try MaintenanceSandbox(runtime: runtime).remove(dir) }
        return Response(status: .noContent)
    }

    @Sendable func restore(_ request: Request, context: HostRequestContext) async throws -> Response {
        let runtime = try context.named().runtime
        let id = try Self.checkpoint(context).id
        return ndjsonResponse { emit in
            try await emit(
                StreamEvent(type: "info", data: "Restoring checkpoint \(id)...", time: Timestamp.format(Date())))
            try await Blocking.run {
                // every process of the sprite is gone, and none can start, while its files change
                try runtime.underMaintenance("being restored") {
                    let maintenance = MaintenanceSandbox(runtime: runtime)
                    try maintenance.empty(runtime.layout.home)
                    try maintenance.copy(
                        from: runtime.layout.checkpoints + "/" + id, to: runtime.layout.home, contentsOnly: true)
                }
            }
            runtime.wake()
            try await emit(
                StreamEvent(type: "complete", data: "Checkpoint \(id) restored", time: Timestamp.format(Date())))
        }
    }

    /// The checkpoint `:id` of the sprite the path names.
    static func checkpoint(_ context: HostRequestContext) throws -> CheckpointRecord {
        let id = try context.param("id")
        guard let cp = try context.named().record.checkpoints.first(where: { $0.id == id }) else {
            throw HostError.notFound("checkpoint not found: \(id)")
        }
        return cp
    }
}
