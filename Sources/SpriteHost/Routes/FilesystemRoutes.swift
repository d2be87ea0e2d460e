import Foundation
import Hummingbird
import NIOCore

/// The filesystem API (`sprites-api.md` §4): every path is mapped into the sprite's own
/// directories and refused when it would escape them.
enum FilesystemRoutes {
    static func add(to router: Router<BasicRequestContext>, state: HostState) {
        @Sendable func resolve(_ request: Request, _ context: BasicRequestContext, key: String = "path")
            throws -> (host: String, sprite: String, layout: SpriteLayout) {
            let (_, runtime) = try state.get(try context.param("name"))
            let q = Query(request)
            guard let path = q[key], !path.isEmpty else { throw HostError.badRequest("\(key) is required") }
            let base = q["workingDir"].flatMap { $0.isEmpty ? nil : $0 } ?? "/home/sprite"
            let m = try runtime.layout.hostPath(for: path, base: base == "/" ? "/home/sprite" : base)
            return (m.host, m.sprite, runtime.layout)
        }

        router.get("/v1/sprites/:name/fs/read") { request, context -> Response in
            let p = try resolve(request, context)
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: p.host, isDirectory: &isDir) else {
                throw HostError.fs(.notFound, "ENOENT", "no such file or directory", path: p.sprite)
            }
            if isDir.boolValue { throw HostError.fs(.badRequest, "EISDIR", "is a directory", path: p.sprite) }
            guard let data = FileManager.default.contents(atPath: p.host) else {
                throw HostError.fs(.forbidden, "EACCES", "permission denied", path: p.sprite)
            }
            return Response(status: .ok, headers: [.contentType: "application/octet-stream"],
                            body: .init(byteBuffer: ByteBuffer(bytes: data)))
        }

        router.put("/v1/sprites/:name/fs/write") { request, context -> Response in
            let p = try resolve(request, context)
            let q = Query(request)
            let data = try await bodyData(request)
            let parent = (p.host as NSString).deletingLastPathComponent
            if q.bool("mkdirParents") == true || q.bool("mkdir") == true {
                try FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true)
            }
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: parent, isDirectory: &isDir), isDir.boolValue else {
                throw HostError.fs(.notFound, "ENOENT", "parent directory does not exist", path: p.sprite)
            }
            let mode = Int(q["mode"] ?? "0644", radix: 8) ?? 0o644
            guard FileManager.default.createFile(atPath: p.host, contents: data,
                                                 attributes: [.posixPermissions: mode]) else {
                throw HostError.fs(.internalServerError, "EIO", "cannot write", path: p.sprite)
            }
            chmod(p.host, mode_t(mode))
            return jsonResponse(["path": p.sprite, "size": data.count, "mode": String(format: "%04o", mode)])
        }

        router.get("/v1/sprites/:name/fs/list") { request, context -> Response in
            let p = try resolve(request, context)
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: p.host, isDirectory: &isDir) else {
                throw HostError.fs(.notFound, "ENOENT", "no such file or directory", path: p.sprite)
            }
            var entries: [[String: Any]] = []
            if isDir.boolValue {
                for name in (try FileManager.default.contentsOfDirectory(atPath: p.host)).sorted() {
                    entries.append(entry(host: p.host + "/" + name, sprite: (p.sprite == "/" ? "" : p.sprite) + "/" + name))
                }
            } else {
                entries.append(entry(host: p.host, sprite: p.sprite))
            }
            return jsonResponse(["path": p.sprite, "count": entries.count, "entries": entries])
        }

        router.delete("/v1/sprites/:name/fs/delete") { request, context -> Response in
            let p = try resolve(request, context)
            guard p.sprite != "/home/sprite" && p.sprite != "/tmp" && p.sprite != "/.sprite" else {
                throw HostError.fs(.badRequest, "EINVAL", "refusing to delete a root directory", path: p.sprite)
            }
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: p.host, isDirectory: &isDir) else {
                throw HostError.fs(.notFound, "ENOENT", "no such file or directory", path: p.sprite)
            }
            if isDir.boolValue, Query(request).bool("recursive") != true,
               !((try? FileManager.default.contentsOfDirectory(atPath: p.host)) ?? []).isEmpty {
                throw HostError.fs(.badRequest, "ENOTEMPTY", "directory not empty", path: p.sprite)
            }
            try FileManager.default.removeItem(atPath: p.host)
            return jsonResponse(["deleted": [p.sprite], "count": 1])
        }

        router.post("/v1/sprites/:name/fs/rename") { request, context -> Response in
            let (_, runtime) = try state.get(try context.param("name"))
            let body = try await bodyJSON(request)
            let base = body["workingDir"] as? String ?? "/home/sprite"
            let src = try runtime.layout.hostPath(for: body["source"] as? String ?? "", base: base)
            let dst = try runtime.layout.hostPath(for: body["dest"] as? String ?? "", base: base)
            guard FileManager.default.fileExists(atPath: src.host) else {
                throw HostError.fs(.notFound, "ENOENT", "no such file or directory", path: src.sprite)
            }
            guard rename(src.host, dst.host) == 0 else {
                throw HostError.fs(.badRequest, "EINVAL", String(cString: strerror(errno)), path: dst.sprite)
            }
            return jsonResponse(["source": src.sprite, "dest": dst.sprite])
        }

        router.post("/v1/sprites/:name/fs/chmod") { request, context -> Response in
            let (_, runtime) = try state.get(try context.param("name"))
            let body = try await bodyJSON(request)
            let m = try runtime.layout.hostPath(for: body["path"] as? String ?? "",
                                                base: body["workingDir"] as? String ?? "/home/sprite")
            guard let mode = Int(body["mode"] as? String ?? "", radix: 8) else { throw HostError.badRequest("bad mode") }
            guard chmod(m.host, mode_t(mode)) == 0 else {
                throw HostError.fs(.notFound, "ENOENT", "no such file or directory", path: m.sprite)
            }
            return jsonResponse(["affected": [["path": m.sprite, "mode": String(format: "%04o", mode)]], "count": 1])
        }
    }

    static func entry(host: String, sprite: String) -> [String: Any] {
        var st = stat()
        lstat(host, &st)
        let kind = (st.st_mode & S_IFMT) == S_IFDIR ? "directory" : ((st.st_mode & S_IFMT) == S_IFLNK ? "symlink" : "file")
        let mtime = Date(timeIntervalSince1970: TimeInterval(st.st_mtim.tv_sec))
        return ["name": (sprite as NSString).lastPathComponent, "path": sprite, "type": kind, "size": Int(st.st_size),
                "mode": String(format: "%04o", Int(st.st_mode & 0o7777)), "modTime": Timestamp.format(mtime),
                "isDir": kind == "directory"]
    }
}
