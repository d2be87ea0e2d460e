import Foundation
import SpriteHTTP
import SpriteWire

extension SpritesClient {
    private func fsQuery(_ path: String, _ extra: [(String, String)] = []) -> [(String, String)] {
        [("path", path), ("workingDir", "/home/sprite")] + extra
    }

    /// Reads a file's bytes.
    public func readFile(_ sprite: String, path: String) throws -> Data {
        try call("GET", Self.path(sprite) + "/fs/read", query: fsQuery(path), timeout: nil, stallTimeout: transferStall)
            .body
    }

    /// Writes a whole file, creating parent directories.
    public func writeFile(_ sprite: String, path: String, data: Data, mode: String = "0644") throws {
        try call(
            "PUT", Self.path(sprite) + "/fs/write",
            query: fsQuery(path, [("mode", mode), ("mkdirParents", "true")]), body: data,
            contentType: "application/octet-stream", timeout: nil, stallTimeout: transferStall)
    }

    /// Writes a whole file from a local one, streamed (never whole in memory), creating
    /// parent directories.
    public func writeFile(_ sprite: String, path: String, contentsOf local: String, mode: String) throws {
        try call(
            "PUT", Self.path(sprite) + "/fs/write",
            query: fsQuery(path, [("mode", mode), ("mkdirParents", "true")]), bodyFile: local,
            contentType: "application/octet-stream", timeout: nil, stallTimeout: transferStall)
    }

    /// Reads a file into a local one as it arrives (never whole in memory). A failure leaves
    /// what was written so far; the caller writes to a temporary name.
    public func readFile(_ sprite: String, path: String, into local: FileHandle) throws {
        var request = HTTPRequest(
            method: "GET", url: url(Self.path(sprite) + "/fs/read", fsQuery(path)),
            headers: [authHeader], timeout: nil)
        request.stallTimeout = transferStall
        var failure: Error?
        let response: HTTPResponse
        do {
            response = try http.stream(request) { chunk in
                do { try local.write(contentsOf: chunk) } catch {
                    failure = error
                    return false
                }
                return true
            }
        } catch let e as CurlError {
            throw failure ?? APIError.transport(TransportFailure(e))
        }
        if let failure { throw failure }
        guard (200..<300).contains(response.status) else {
            throw APIError.http(HTTPFailure(response: response, method: "GET", path: Self.path(sprite) + "/fs/read"))
        }
    }

    /// Lists a directory, or describes a file: then `entries` is that file alone, with the
    /// list's own `path`.
    public func list(_ sprite: String, path: String) throws -> FileList {
        try decode(FileList.self, call("GET", Self.path(sprite) + "/fs/list", query: fsQuery(path)))
    }

    /// Lists a directory (or a single file).
    public func listDirectory(_ sprite: String, path: String) throws -> [FileEntry] {
        try decode(FileList.self, call("GET", Self.path(sprite) + "/fs/list", query: fsQuery(path))).entries
    }

    /// Creates a directory (and its parents): the API has no mkdir, so write and remove a marker,
    /// under a name of its own (a `.keep` marker emptied and removed the directory's own `.keep`).
    public func makeDirectory(_ sprite: String, path: String) throws {
        let marker = path + "/.git-sprite-directory-" + UUID().uuidString.prefix(8)
        try writeFile(sprite, path: marker, data: Data())
        try deleteFile(sprite, path: marker)
    }

    /// Renames a file or directory in the sprite (`POST /fs/rename`; absolute paths).
    public func rename(_ sprite: String, from source: String, to dest: String) throws {
        try call("POST", Self.path(sprite) + "/fs/rename", body: FileRename(source: source, dest: dest))
    }

    /// Deletes a file or (with `recursive`) a directory tree.
    public func deleteFile(_ sprite: String, path: String, recursive: Bool = false) throws {
        try call(
            "DELETE", Self.path(sprite) + "/fs/delete",
            query: fsQuery(path, [("recursive", recursive ? "true" : "false")]))
    }
}
