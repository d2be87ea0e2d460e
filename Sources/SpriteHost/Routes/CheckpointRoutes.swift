import Foundation
import Hummingbird
import SpriteWire

#if canImport(Glibc)
    import Glibc
#endif

/// Checkpoints: a copy of the sprite's home; restore puts it back and ends every process.
enum CheckpointRoutes {
    static func add(to router: Router<BasicRequestContext>, state: HostState) {
        router.post("/v1/sprites/:name/checkpoint") { request, context -> Response in
            let name = try context.param("name")
            let (record, runtime) = try state.get(name)
            let comment =
                try await decodeBody(request, as: CheckpointRequest.self, empty: CheckpointRequest(comment: nil))
                .comment ?? ""
            guard comment.utf8.count <= 4096 else { throw HostError.badRequest("comment: at most 4096 bytes") }
            let id = "v\(record.nextCheckpoint)"
            return ndjsonResponse { emit in
                try await emit(
                    StreamEvent(type: "info", data: "Creating checkpoint...", time: Timestamp.format(Date())))
                let target = runtime.layout.checkpoints + "/" + id
                try await Blocking.run {
                    try MaintenanceSandbox(runtime: runtime).copy(from: runtime.layout.home, to: target)
                }
                try state.update(name) { r in
                    r.checkpoints.append(CheckpointRecord(id: id, createTime: Date(), comment: comment))
                    r.nextCheckpoint += 1
                }
                try await emit(
                    StreamEvent(type: "complete", data: "Checkpoint \(id) created", time: Timestamp.format(Date())))
            }
        }

        router.get("/v1/sprites/:name/checkpoints") { _, context -> Response in
            let (record, _) = try state.get(try context.param("name"))
            // newest first; sparse: oldest first (the API documents no order)
            let listed = state.config.sparseReplies ? record.checkpoints : record.checkpoints.reversed()
            return try jsonResponse(listed.map(\.wire))
        }

        router.get("/v1/sprites/:name/checkpoints/:id") { _, context -> Response in
            let (record, _) = try state.get(try context.param("name"))
            let id = try context.param("id")
            guard let cp = record.checkpoints.first(where: { $0.id == id }) else {
                throw HostError.notFound("checkpoint not found: \(id)")
            }
            return try jsonResponse(cp.wire)
        }

        router.delete("/v1/sprites/:name/checkpoints/:id") { _, context -> Response in
            let name = try context.param("name")
            let (_, runtime) = try state.get(name)
            let id = try context.param("id")
            try state.update(name) { r in
                guard r.checkpoints.contains(where: { $0.id == id }) else {
                    throw HostError.notFound("checkpoint not found: \(id)")
                }
                r.checkpoints.removeAll { $0.id == id }
            }
            let dir = runtime.layout.checkpoints + "/" + id
            try await Blocking.run { try MaintenanceSandbox(runtime: runtime).remove(dir) }
            return Response(status: .noContent)
        }

        router.post("/v1/sprites/:name/checkpoints/:id/restore") { _, context -> Response in
            let name = try context.param("name")
            let (record, runtime) = try state.get(name)
            let id = try context.param("id")
            guard record.checkpoints.contains(where: { $0.id == id }) else {
                throw HostError.notFound("checkpoint not found: \(id)")
            }
            return ndjsonResponse { emit in
                try await emit(
                    StreamEvent(type: "info", data: "Restoring checkpoint \(id)...", time: Timestamp.format(Date())))
                try await Blocking.run {
                    // every process of the sprite is gone, and none can start, while its files change
                    try runtime.underMaintenance("being restored") {
                        let maintenance = MaintenanceSandbox(runtime: runtime)
                        try maintenance.empty(runtime.layout.home)
                        try maintenance.copy(
                            from: runtime.layout.checkpoints + "/" + id, to: runtime.layout.home,
                            contentsOnly: true)
                    }
                }
                runtime.wake()
                try await emit(
                    StreamEvent(type: "complete", data: "Checkpoint \(id) restored", time: Timestamp.format(Date())))
            }
        }
    }

}
