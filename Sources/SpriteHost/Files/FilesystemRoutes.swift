import Foundation
import Hummingbird
import NIOCore
import SpriteWire

/// The filesystem API (Sprites API). Every operation runs inside the sprite
/// (`SpriteFiles`), with the sprite user's view and rights; paths are shown cleaned.
struct FilesystemController {
    func addRoutes(to sprite: RouterGroup<HostRequestContext>) {
        sprite.get("fs/read", use: read)
        sprite.put("fs/write", use: write)
        sprite.get("fs/list", use: list)
        sprite.delete("fs/delete", use: delete)
        sprite.post("fs/rename", use: rename)
        sprite.post("fs/chmod", use: chmod)
    }

    /// The sprite's files, and the cleaned path the request names (`path`, relative to
    /// `workingDir`).
    static func target(_ request: Request, _ context: HostRequestContext) throws -> (files: SpriteFiles, path: String) {
        let runtime = try context.named().runtime
        let q = Query(request)
        let path = try SpriteFiles.clean(q["path"] ?? "", base: q["workingDir"])
        return (SpriteFiles(runtime: runtime), path)
    }

    @Sendable func read(_ request: Request, context: HostRequestContext) async throws -> Response {
        let (files, path) = try Self.target(request, context)
        let op = try await files.start(["read", path])
        // no Content-Length: the file may change while it streams (chunked instead)
        _ = try await op.status(path: path)
        let first = op.leftover
        let channel = context.channel
        return Response(
            status: .ok, headers: [.contentType: "application/octet-stream"],
            body: ResponseBody { writer in
                var pacing = ReplyPacing(channel: channel)
                do {
                    if !first.isEmpty { try await pacing.write(ByteBuffer(bytes: first), to: &writer) }
                    while let chunk = await op.output.next() {
                        try await pacing.write(ByteBuffer(bytes: chunk), to: &writer)
                    }
                    try await writer.finish(nil)
                } catch {
                    op.cancel()
                    throw error
                }
            })
    }

    @Sendable func write(_ request: Request, context: HostRequestContext) async throws -> Response {
        let (files, path) = try Self.target(request, context)
        let q = Query(request)
        let modeText = q["mode"] ?? "0644"
        guard modeText.utf8.count <= 6, let mode = Int(modeText, radix: 8), (0...0o7777).contains(mode) else {
            throw HostError.badRequest("mode must be octal permission digits such as 0644")
        }
        let mkdirs = q.bool("mkdirParents") == true || q.bool("mkdir") == true
        let op = try await files.start(["write", path, String(mode, radix: 8), mkdirs ? "1" : "0"])
        // the body streams into the sprite; nothing of it is held here
        async let fed: Void = op.feed(request.body)
        let size: String
        do {
            size = try await op.status(path: path)
        } catch {
            op.cancel()
            op.sweep(files)
            try? await fed
            throw error
        }
        try? await fed
        return try jsonResponse(FileWritten(path: path, size: Int(size) ?? 0, mode: String(format: "%04o", mode)))
    }

    @Sendable func list(_ request: Request, context: HostRequestContext) async throws -> Response {
        let (files, path) = try Self.target(request, context)
        let op = try await files.start(["list", path])
        let kind = try await op.status(path: path)
        let listing = ListingWriter(path: path, isDirectory: kind == "dir")
        // streamed as the sprite reads the directory (sorted there, in the sprite's own memory):
        // the host holds one batch of entries, however many the directory has
        return Response(
            status: .ok, headers: [.contentType: "application/json"],
            body: ResponseBody { writer in
                do {
                    try await writer.write(listing.opening())
                    var records = op.leftover
                    while true {
                        let batch = listing.entries(from: &records)
                        if batch.readableBytes > 0 { try await writer.write(batch) }
                        guard let chunk = await op.output.next() else { break }
                        records.append(chunk)
                    }
                    try await writer.write(listing.closing())
                    try await writer.finish(nil)
                } catch {
                    op.cancel()
                    throw error
                }
            })
    }

    @Sendable func delete(_ request: Request, context: HostRequestContext) async throws -> Response {
        let (files, path) = try Self.target(request, context)
        guard !["/", "/home", "/home/sprite", "/tmp", "/.sprite"].contains(path) else {
            throw HostError.fs(.badRequest, "EINVAL", "refusing to delete a root directory", path: path)
        }
        let recursive = Query(request).bool("recursive") == true
        _ = try await files.run(["delete", path, recursive ? "1" : "0"], path: path)
        return try jsonResponse(FileDeleted(path))
    }

    @Sendable func rename(_ request: Request, context: HostRequestContext) async throws -> Response {
        let runtime = try context.named().runtime
        let body = try await decodeBody(request, as: FileRename.self)
        let source = try SpriteFiles.clean(body.source, base: body.workingDir)
        let dest = try SpriteFiles.clean(body.dest, base: body.workingDir)
        _ = try await SpriteFiles(runtime: runtime).run(["rename", source, dest], path: source)
        return try jsonResponse(FileRename(source: source, dest: dest))
    }

    @Sendable func chmod(_ request: Request, context: HostRequestContext) async throws -> Response {
        let runtime = try context.named().runtime
        let body = try await decodeBody(request, as: FileChmodRequest.self)
        let path = try SpriteFiles.clean(body.path, base: body.workingDir)
        guard body.mode.utf8.count <= 6, let mode = Int(body.mode, radix: 8), (0...0o7777).contains(mode) else {
            throw HostError.badRequest("mode must be octal permission digits such as 0755")
        }
        let (count, _) = try await SpriteFiles(runtime: runtime)
            .run(["chmod", path, String(mode, radix: 8), body.recursive == true ? "1" : "0"], path: path)
        return try jsonResponse(
            FileChmodResult(path: path, mode: String(format: "%04o", mode), count: Int(count) ?? 1))
    }

}
