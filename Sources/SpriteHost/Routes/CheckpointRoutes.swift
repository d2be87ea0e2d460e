import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Hummingbird

/// Checkpoints (§5): a copy of the sprite's home; restore puts it back and ends every process.
enum CheckpointRoutes {
    static func add(to router: Router<BasicRequestContext>, state: HostState) {
        router.post("/v1/sprites/:name/checkpoint") { request, context -> Response in
            let name = try context.param("name")
            let (record, runtime) = try state.get(name)
            let comment = try await bodyJSON(request)["comment"] as? String ?? ""
            guard comment.utf8.count <= 4096 else { throw HostError.badRequest("comment: at most 4096 bytes") }
            let id = "v\(record.nextCheckpoint)"
            return ndjsonResponse { emit in
                try await emit(["type": "info", "data": "Creating checkpoint...", "time": Timestamp.format(Date())])
                let target = runtime.layout.checkpoints + "/" + id
                try await Blocking.run { try copyTree(runtime, from: runtime.layout.home, to: target) }
                try state.update(name) { r in
                    r.checkpoints.append(CheckpointRecord(id: id, createTime: Date(), comment: comment))
                    r.nextCheckpoint += 1
                }
                try await emit(["type": "complete", "data": "Checkpoint \(id) created", "time": Timestamp.format(Date())])
            }
        }

        router.get("/v1/sprites/:name/checkpoints") { _, context -> Response in
            let (record, _) = try state.get(try context.param("name"))
            return jsonResponse(record.checkpoints.reversed().map(json))
        }

        router.get("/v1/sprites/:name/checkpoints/:id") { _, context -> Response in
            let (record, _) = try state.get(try context.param("name"))
            let id = try context.param("id")
            guard let cp = record.checkpoints.first(where: { $0.id == id }) else {
                throw HostError.notFound("checkpoint not found: \(id)")
            }
            return jsonResponse(json(cp))
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
            await Blocking.run { try? FileManager.default.removeItem(atPath: dir) }
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
                try await emit(["type": "info", "data": "Restoring checkpoint \(id)...", "time": Timestamp.format(Date())])
                try await Blocking.run {
                    // every process of the sprite is gone before its files are touched
                    runtime.goCold()
                    let home = runtime.layout.home
                    for item in (try? FileManager.default.contentsOfDirectory(atPath: home)) ?? [] {
                        try FileManager.default.removeItem(atPath: home + "/" + item)
                    }
                    try copyTree(runtime, from: runtime.layout.checkpoints + "/" + id, to: home, contentsOnly: true)
                }
                runtime.wake()
                try await emit(["type": "complete", "data": "Checkpoint \(id) restored", "time": Timestamp.format(Date())])
            }
        }
    }

    static func json(_ cp: CheckpointRecord) -> [String: Any] {
        ["id": cp.id, "create_time": Timestamp.format(cp.createTime), "comment": cp.comment, "history": [String](),
         "is_auto": false, "health": ""]
    }

    /// `cp -a` (modes, links and times kept) run in a sandbox of its own as the sprite's host
    /// user, with only the two directories mounted: a link in the sprite's files can only lead
    /// to another file of those two directories, never to a host file.
    static func copyTree(_ runtime: SpriteRuntime, from source: String, to target: String, contentsOnly: Bool = false) throws {
        let platform = runtime.platform
        if !contentsOnly {
            try FileManager.default.createDirectory(atPath: target, withIntermediateDirectories: true)
            chown(target, runtime.account.uid, runtime.account.gid)
            chmod(target, 0o700)
        }
        var argv: [String] = []
        var (from, to) = (source, target)
        if platform.runsAsRoot {
            argv += [platform.helper, "become", String(runtime.account.uid), String(runtime.account.gid),
                     "--stage", SandboxProfile.stage, "--bind", source, "from", "--bind", target, "to", "--"]
            (from, to) = (SandboxProfile.stage + "/from", SandboxProfile.stage + "/to")
        }
        argv += [platform.bwrap, "--unshare-all", "--die-with-parent", "--ro-bind", "/usr", "/usr"]
        for dir in ["bin", "sbin", "lib", "lib64"] {
            if let link = try? FileManager.default.destinationOfSymbolicLink(atPath: "/" + dir) {
                argv += ["--symlink", link, "/" + dir]
            } else if FileManager.default.fileExists(atPath: "/" + dir) {
                argv += ["--ro-bind", "/" + dir, "/" + dir]
            }
        }
        argv += ["--bind", from, "/from", "--bind", to, "/to", "--", "/usr/bin/cp", "-a", "--", "/from/.", "/to/"]
        let done = DispatchSemaphore(value: 0)
        let status = Shared<Int32>(0)
        let output = Shared(Data())
        _ = try SpawnedProcess(SpawnRequest(argv: argv, environment: ["PATH=/usr/bin:/bin"], directory: "/"),
                               onOutput: { _, data in output.update { if $0.count < 4096 { $0.append(data) } } },
                               onExit: { code in status.set(code); done.signal() })
        done.wait()
        guard status.value == 0 else {
            let detail = String(decoding: output.value, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            throw HostError.internalError("copying the sprite's files failed: \(detail)")
        }
    }
}
