import Foundation
import SpritesAPI

#if canImport(Glibc)
    import Glibc
#endif

/// `git sprite cp SRC… DST`: files and (with `-r`) directories between this machine and a
/// sprite through the filesystem API, bytes and mode kept, each file streamed both ways
/// (never whole in memory). `:PATH` is the current branch's sprite, `SPRITE:PATH` a named
/// one; a relative sprite path is relative to the workspace. As `cp` and `docker cp`: to an
/// existing directory a source goes inside it under its own name; several sources need a
/// directory. Symbolic links are skipped, and said so (the API has no way to make one).
public enum CopyWorkflow {
    /// One side of a copy.
    public enum Location: Equatable, Sendable {
        case local(String)
        /// The sprite (nil: the current branch's) and an absolute path in it.
        case sprite(String?, String)
    }

    /// `:PATH` and `SPRITE:PATH` are in a sprite (a colon before any slash, as scp reads
    /// it); anything else is here (`./a:b` for a local name with a colon).
    public static func location(_ text: String) -> Location {
        guard let colon = text.firstIndex(of: ":"), !text[..<colon].contains("/") else { return .local(text) }
        let name = String(text[..<colon])
        var path = String(text[text.index(after: colon)...])
        if !path.hasPrefix("/") { path = SpritePaths.workspace + (path.isEmpty || path == "." ? "" : "/" + path) }
        return .sprite(name.isEmpty ? nil : name, path)
    }

    /// What `cp` copied; `cp --json` prints it.
    public struct Summary: Sendable, Codable {
        public var sprite = ""
        /// `upload` (here to the sprite) or `download`.
        public var direction = ""
        public var files = 0
        public var bytes = 0
        /// What was not copied (symbolic links, devices), as named on its side.
        public var skipped: [String] = []
        /// What could not be copied (a name the API cannot carry, a file gone or unreadable
        /// meanwhile), as named on its side, with why: the command fails once the rest is copied.
        public var failed: [Failure] = []

        public struct Failure: Sendable, Codable {
            public var path: String
            public var reason: String
        }
    }

    public static func run(
        _ context: Context, sources: [String], destination: String, recursive: Bool
    ) throws -> Summary {
        let from = sources.map(location), to = location(destination)
        let spriteNames = Set(
            (from + [to]).compactMap { if case .sprite(let n, _) = $0 { return n ?? "" } else { return nil } })
        guard spriteNames.count == 1 else {
            throw SpriteError(
                spriteNames.isEmpty
                    ? "neither side of the copy is in a sprite"
                    : "copying between two sprites is not supported",
                hints: [
                    "name a sprite path as :PATH (the current branch's sprite) or SPRITE:PATH, on one side",
                    "for example: git sprite cp ./notes.txt :docs/ or git sprite cp :build/app.log .",
                ],
                status: .usage)
        }
        let name = spriteNames.first.flatMap { $0.isEmpty ? nil : $0 }
        if case .sprite = to {
            guard from.allSatisfy({ if case .local = $0 { return true } else { return false } }) else {
                throw SpriteError(
                    "copying between two sprites is not supported",
                    hints: [
                        "copy one way at a time, through a local file: git sprite cp :PATH FILE, then git sprite cp FILE :PATH"
                    ],
                    status: .usage)
            }
        } else {
            guard from.allSatisfy({ if case .sprite = $0 { return true } else { return false } }) else {
                throw SpriteError("neither side of the copy is in a sprite", status: .usage)
            }
        }
        let target = try SpriteTarget(context, sprite: name)
        return try target.connection.perform { _ in
            let client = try target.connection.liveClient()
            _ = try target.existing(client, context: context)
            let copier = Copier(client: client, sprite: target.name, recursive: recursive, context: context)
            switch to {
            case .sprite(_, let path):
                try copier.upload(from.map { if case .local(let p) = $0 { return p } else { return "" } }, to: path)
            case .local(let path):
                try copier.download(
                    from.map { if case .sprite(_, let p) = $0 { return p } else { return "" } }, to: path)
            }
            var summary = copier.summary
            summary.sprite = target.name
            if case .sprite = to { summary.direction = "upload" } else { summary.direction = "download" }
            return summary
        }
    }
}

/// Does one `cp`; says what it copied in `summary`. (The sprite -> here side is in
/// Copier+Download.swift.)
final class Copier {
    let client: SpritesClient
    let sprite: String
    let recursive: Bool
    let context: Context
    var summary = CopyWorkflow.Summary()

    init(client: SpritesClient, sprite: String, recursive: Bool, context: Context) {
        (self.client, self.sprite, self.recursive, self.context) = (client, sprite, recursive, context)
    }

    // MARK: here -> sprite

    func upload(_ sources: [String], to destination: String) throws {
        let kind = try remoteKind(destination)
        // several paths go into a directory that is there, as cp requires (and as a download
        // does): the first went up before the second failed to find one
        if sources.count > 1 && kind != .directory {
            throw SpriteError(
                "copying several paths needs a directory to copy them into: \(sprite + ":" + destination) is not one",
                hints: ["make it first: git sprite exec \(shellQuote(sprite)) -- mkdir -p \(shellQuote(destination))"],
                status: .usage)
        }
        let intoDirectory = sources.count > 1 || destination.hasSuffix("/") || kind == .directory
        let before = summary
        for source in sources {
            // a symbolic link named here is followed, as cp follows one (a dotfile is often a
            // link); inside a tree, links are skipped
            var st = stat()
            guard stat(source, &st) == 0 else {
                let failure = errno
                let parent = (source as NSString).deletingLastPathComponent
                throw SpriteError(
                    "cannot copy \(source): \(String(cString: strerror(failure)))",
                    hints: [
                        failure == ENOENT
                            ? "name a file or directory here, or a sprite path as :PATH (see it: ls -la \(shellQuote(parent.isEmpty ? "." : parent)))"
                            : "see the path's owner and mode: ls -ld \(shellQuote(source))"
                    ],
                    status: failure == ENOENT ? .notFound : .failure)
            }
            let name = (source as NSString).lastPathComponent
            // (`..` and `.` name a directory by where it is: what it holds goes into the
            // destination itself, as cp puts it, and as a download does; joined, `dest/..`
            // wrote into the destination's parent, an adversarial review)
            let named = !["", ".", "..", "/"].contains(name)
            let target = intoDirectory && named ? Self.join(destination, name) : destination
            try upload(source, st, to: target)
        }
        // every path named was a special file: nothing was copied, and that is no success (as
        // a download says)
        if summary.files == before.files && summary.skipped.count == before.skipped.count + sources.count,
            let first = sources.first
        {
            throw SpriteError(
                "nothing to copy: \(first) is not a regular file or directory",
                hints: ["cp copies files and, with -r, directories; links inside a tree are skipped"],
                status: .failure)
        }
    }

    private func upload(_ source: String, _ st: stat, to target: String) throws {
        switch st.st_mode & S_IFMT {
        case S_IFREG:
            // written to a name of its own beside the target, then renamed into place: an
            // upload cut short (Ctrl-C, a broken connection) left a truncated file under the
            // target's name, in place of what was there (an adversarial review, 4 runs of 4)
            let temporary = TemporaryFiles.beside(target)
            try client.writeFile(
                sprite, path: temporary, contentsOf: source, mode: String(format: "%04o", st.st_mode & 0o7777))
            do {
                try client.rename(sprite, from: temporary, to: target)
            } catch {
                try? client.deleteFile(sprite, path: temporary)
                throw error
            }
            summary.files += 1
            summary.bytes += Int(st.st_size)
        case S_IFDIR:
            guard recursive else {
                throw SpriteError(
                    "\(source) is a directory", hints: ["copy it and what it holds with -r"], status: .usage)
            }
            try client.makeDirectory(sprite, path: target)
            // (names read as bytes: FileManager makes a name that is not UTF-8 into another
            // one, which then was not found and was passed over without a word, a review)
            for child in try Self.names(in: source) {
                guard let name = String(validating: child, as: UTF8.self) else {
                    summary.failed.append(
                        .init(
                            path: Self.join(source, String(decoding: child, as: UTF8.self)),
                            reason: "its name is not UTF-8, which the Sprites API cannot carry"))
                    continue
                }
                var cst = stat()
                let path = Self.join(source, name)
                guard lstat(path, &cst) == 0 else {
                    summary.failed.append(.init(path: path, reason: String(cString: strerror(errno))))
                    continue
                }
                try upload(path, cst, to: Self.join(target, name))
            }
        default:
            summary.skipped.append(source)
        }
    }

    /// The names in the directory `path` (not `.` and `..`), as bytes, sorted.
    static func names(in path: String) throws -> [[UInt8]] {
        guard let dir = opendir(path) else {
            throw SpriteError("cannot read the directory \(path): \(String(cString: strerror(errno)))")
        }
        defer { closedir(dir) }
        var names: [[UInt8]] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                Array(raw.prefix(while: { $0 != 0 }))
            }
            if name != [0x2E] && name != [0x2E, 0x2E] { names.append(name) }
        }
        return names.sorted { $0.lexicographicallyPrecedes($1) }
    }

    // MARK: looking at the sprite

    enum Kind { case file, directory, missing }

    private func remoteKind(_ path: String) throws -> Kind {
        do {
            return Self.file(try client.list(sprite, path: path)) == nil ? .directory : .file
        } catch APIError.http(let f) where f.status == 404 {
            return .missing
        }
    }

    func describe(_ path: String) throws -> FileList {
        do {
            return try client.list(sprite, path: path)
        } catch APIError.http(let f) where f.status == 404 {
            throw SpriteError(
                "\(sprite):\(path) does not exist",
                hints: [
                    "see what is there: git sprite exec \(shellQuote(sprite)) -- ls -la "
                        + shellQuote((path as NSString).deletingLastPathComponent)
                ],
                status: .notFound)
        }
    }

    /// The file a list describes, when it describes a file rather than a directory.
    static func file(_ list: FileList) -> FileEntry? {
        guard list.entries.count == 1, let only = list.entries.first, only.path == list.path, !only.isDir else {
            return nil
        }
        return only
    }

    static func join(_ base: String, _ name: String) -> String {
        base.hasSuffix("/") ? base + name : base + "/" + name
    }
}
