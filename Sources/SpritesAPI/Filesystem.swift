import Foundation

extension SpritesClient {
    private func fsQuery(_ path: String, _ extra: [(String, String)] = []) -> [(String, String)] {
        [("path", path), ("workingDir", "/home/sprite")] + extra
    }

    /// Reads a file's bytes.
    public func readFile(_ sprite: String, path: String) throws -> Data {
        try call("GET", Self.path(sprite) + "/fs/read", query: fsQuery(path), timeout: nil).body
    }

    /// Writes a whole file, creating parent directories.
    public func writeFile(_ sprite: String, path: String, data: Data, mode: String = "0644") throws {
        try call("PUT", Self.path(sprite) + "/fs/write",
                 query: fsQuery(path, [("mode", mode), ("mkdirParents", "true")]), body: data,
                 contentType: "application/octet-stream", timeout: nil)
    }

    /// Lists a directory (or a single file).
    public func listDirectory(_ sprite: String, path: String) throws -> [FileEntry] {
        try decode(FileList.self, call("GET", Self.path(sprite) + "/fs/list", query: fsQuery(path))).entries
    }

    /// Creates a directory (and its parents): the API has no mkdir, so write and remove a marker.
    public func makeDirectory(_ sprite: String, path: String) throws {
        let marker = path + "/.keep"
        try writeFile(sprite, path: marker, data: Data())
        try deleteFile(sprite, path: marker)
    }

    /// Deletes a file or (with `recursive`) a directory tree.
    public func deleteFile(_ sprite: String, path: String, recursive: Bool = false) throws {
        try call("DELETE", Self.path(sprite) + "/fs/delete",
                 query: fsQuery(path, [("recursive", recursive ? "true" : "false")]))
    }
}
