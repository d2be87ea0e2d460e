/// An entry of a directory listing.
public struct FileEntry: Codable, Sendable, Equatable {
    public var name: String
    public var path: String
    public var type: String
    public var size: Int
    public var mode: String
    public var modTime: String?
    public var isDir: Bool

    public init(name: String, path: String, type: String, size: Int, mode: String, modTime: String) {
        (self.name, self.path, self.type, self.size, self.mode, self.modTime) = (name, path, type, size, mode, modTime)
        isDir = type == "directory"
    }
}

/// `GET /fs/list`.
public struct FileList: Codable, Sendable {
    public var path: String
    public var count: Int
    public var entries: [FileEntry]

    public init(path: String, entries: [FileEntry]) {
        (self.path, count, self.entries) = (path, entries.count, entries)
    }
}

/// The answer to `PUT /fs/write`.
public struct FileWritten: Codable, Sendable {
    public var path: String
    public var size: Int
    public var mode: String

    public init(path: String, size: Int, mode: String) { (self.path, self.size, self.mode) = (path, size, mode) }
}

/// `POST /fs/rename` (request and answer).
public struct FileRename: Codable, Sendable {
    public var source: String
    public var dest: String
    public var workingDir: String?

    public init(source: String, dest: String, workingDir: String? = nil) {
        (self.source, self.dest, self.workingDir) = (source, dest, workingDir)
    }
}

/// `POST /fs/chmod`.
public struct FileChmodRequest: Codable, Sendable {
    public var path: String
    public var mode: String
    public var workingDir: String?
    public var recursive: Bool?

    public init(path: String, mode: String, workingDir: String? = nil, recursive: Bool? = nil) {
        (self.path, self.mode, self.workingDir, self.recursive) = (path, mode, workingDir, recursive)
    }
}

/// The answer to `POST /fs/chmod`.
public struct FileChmodResult: Codable, Sendable {
    public struct Affected: Codable, Sendable {
        public var path: String
        public var mode: String
    }

    public var affected: [Affected]
    public var count: Int

    public init(path: String, mode: String, count: Int) {
        affected = [Affected(path: path, mode: mode)]
        self.count = count
    }
}

/// The answer to `DELETE /fs/delete`.
public struct FileDeleted: Codable, Sendable {
    public var deleted: [String]
    public var count: Int

    public init(_ path: String) { (deleted, count) = ([path], 1) }
}
