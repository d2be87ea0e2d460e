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

/// Does one `cp`; says what it copied in `summary`.
private final class Copier {
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
        for source in sources {
            // a symbolic link named here is followed, as cp follows one (a dotfile is often a
            // link); inside a tree, links are skipped
            var st = stat()
            guard stat(source, &st) == 0 else {
                throw SpriteError("cannot copy \(source): \(String(cString: strerror(errno)))", status: .failure)
            }
            let name = (source as NSString).lastPathComponent
            let target = intoDirectory ? Self.join(destination, name) : destination
            try upload(source, st, to: target)
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
            let names = try FileManager.default.contentsOfDirectory(atPath: source).sorted()
            for child in names {
                var cst = stat()
                let path = Self.join(source, child)
                guard lstat(path, &cst) == 0 else { continue }
                try upload(path, cst, to: Self.join(target, child))
            }
        default:
            summary.skipped.append(source)
        }
    }

    // MARK: sprite -> here

    func download(_ sources: [String], to destination: String) throws {
        var isDir: ObjCBool = false
        let exists = FileManager.default.fileExists(atPath: destination, isDirectory: &isDir)
        if sources.count > 1, !(exists && isDir.boolValue) {
            throw SpriteError(
                "copying several paths needs a directory to copy them into: \(destination) is not one",
                hints: ["make it first: mkdir -p \(shellQuote(destination))"], status: .usage)
        }
        var copiedSomething = false
        for source in sources {
            let list = try describe(source)
            let name = (source as NSString).lastPathComponent
            // `x/..` and `.` name a directory by where it is, not by a name of its own: what it
            // holds goes into the destination itself, as cp puts it (joined, `dest/..` wrote
            // beside the destination)
            let named = !["", ".", ".."].contains(name)
            let target = exists && isDir.boolValue && named ? Self.join(destination, name) : destination
            let skipped = summary.skipped.count
            try download(source, list, to: target)
            copiedSomething = copiedSomething || summary.skipped.count == skipped || Self.file(list) == nil
        }
        // every path named was a link or a special file: nothing was copied, and that is no success
        if !copiedSomething, let first = sources.first {
            throw SpriteError(
                "nothing to copy: \(sprite):\(first) is a symbolic link or a special file in the sprite",
                hints: [
                    "copy what a link points to by naming that path (see it: git sprite exec \(shellQuote(sprite)) -- ls -l \(shellQuote(first)))"
                ],
                status: .failure)
        }
    }

    private func download(_ source: String, _ list: FileList, to target: String) throws {
        if let file = Self.file(list) {
            guard file.type == "file" else {
                summary.skipped.append("\(sprite):\(source)")
                return
            }
            try fetchFile(source, mode: file.mode, size: file.size, to: target)
            return
        }
        guard recursive else {
            throw SpriteError(
                "\(sprite):\(source) is a directory", hints: ["copy it and what it holds with -r"], status: .usage)
        }
        // what is at the target already: a directory is copied into; a symbolic link is never
        // followed (a link in the tree would send the files wherever it points, outside the
        // destination), and a file is not a directory, as cp says
        var st = stat()
        if lstat(target, &st) == 0 {
            let kind = st.st_mode & S_IFMT
            if kind != S_IFDIR {
                let why = kind == S_IFLNK ? "it is a symbolic link here" : "it is a file here, not a directory"
                throw SpriteError(
                    "cannot write the directory \(target): \(why)",
                    hints: ["move it out of the way, or copy into another directory"], status: .usage)
            }
        } else {
            try FileManager.default.createDirectory(atPath: target, withIntermediateDirectories: true)
        }
        for entry in list.entries {
            let local = Self.join(target, entry.name)
            switch entry.type {
            case "directory": try download(entry.path, try describe(entry.path), to: local)
            case "file": try fetchFile(entry.path, mode: entry.mode, size: entry.size, to: local)
            default: summary.skipped.append("\(sprite):\(entry.path)")
            }
        }
    }

    /// This process's umask, read without changing it (`umask(2)` can only be read by setting
    /// it, which would race with the other threads' files): `/proc/self/status`, else 022.
    static let umask: mode_t = {
        let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
        for line in status.split(separator: "\n") where line.hasPrefix("Umask:") {
            if let value = mode_t(line.dropFirst("Umask:".count).trimmingCharacters(in: .whitespaces), radix: 8) {
                return value
            }
        }
        return 0o022
    }()

    /// Streams one file to a temporary name beside `target`, then renames it into place with
    /// the sprite's mode: a failure leaves no half file under the real name.
    private func fetchFile(_ path: String, mode: String, size: Int, to target: String) throws {
        let temporary = TemporaryFiles.beside(target)
        // (removed by the handlers too: an interrupt left the partial file beside the target)
        TemporaryFiles.register(temporary)
        defer { TemporaryFiles.forget(temporary) }
        // a connection that broke or stalled is tried twice more, each time from the start
        var attempt = 0
        while true {
            attempt += 1
            // (the file as created, not opened again by its name, which could be a symlink by then)
            let fd = TemporaryFiles.createPrivately(temporary)
            guard fd >= 0 else { throw SpriteError("cannot write \(target): \(String(cString: strerror(errno)))") }
            let handle = FileHandle(fileDescriptor: fd, closeOnDealloc: true)
            do {
                try client.readFile(sprite, path: path, into: handle)
                try handle.close()
                break
            } catch {
                try? handle.close()
                try? FileManager.default.removeItem(atPath: temporary)
                // (the streamed read reports a transfer that broke or stalled as `.broken`)
                if case APIError.transport(let f) = error, f.kind == .broken, attempt < 3 { continue }
                throw error
            }
        }
        // as cp does without -p: the permission bits, less what the umask takes away; never
        // setuid, setgid or sticky (the sprite chooses the mode, and a setuid file owned by
        // whoever downloads it would run as them)
        chmod(temporary, mode_t(Int(mode, radix: 8) ?? 0o644) & 0o777 & ~Self.umask)
        guard rename(temporary, target) == 0 else {
            let why = String(cString: strerror(errno))
            try? FileManager.default.removeItem(atPath: temporary)
            throw SpriteError("cannot write \(target): \(why)")
        }
        summary.files += 1
        summary.bytes += size
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

    private func describe(_ path: String) throws -> FileList {
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
