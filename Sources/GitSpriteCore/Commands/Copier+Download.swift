import Foundation
import SpriteWire
import SpritesAPI

#if canImport(Glibc)
    import Glibc
#endif

/// `cp`, sprite -> here. Each directory of a tree is opened once, never through a symbolic
/// link, and what goes into it is created and renamed relative to that open directory
/// (`openat`, `renameat`): a directory swapped for a link while the copy runs is not followed
/// (by path, every file after the swap went wherever the link pointed). Names come from the
/// sprite's listing and are taken only as single file names.
extension Copier {
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
            // (the directory named here is followed if it is a link, as cp follows it)
            let slash = target.lastIndex(of: "/")
            let parent = slash.map { String(target[...$0]) } ?? "."
            let name = slash.map { String(target[target.index(after: $0)...]) } ?? target
            let directory = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
            guard directory >= 0, !name.isEmpty else {
                throw SpriteError(
                    "cannot write \(target): \(String(cString: strerror(directory < 0 ? errno : ENOENT)))")
            }
            defer { close(directory) }
            try fetchFile(source, file, into: directory, named: name, shownAs: target)
            return
        }
        guard recursive else {
            throw SpriteError(
                "\(sprite):\(source) is a directory", hints: ["copy it and what it holds with -r"], status: .usage)
        }
        var st = stat()
        if lstat(target, &st) != 0 {
            try FileManager.default.createDirectory(atPath: target, withIntermediateDirectories: true)
        }
        let directory = try openDirectory(target, in: AT_FDCWD, shownAs: target)
        defer { close(directory) }
        try download(list, into: directory, at: target)
    }

    /// What `list` holds, into the open directory `directory` (shown as `path`).
    private func download(_ list: FileList, into directory: Int32, at path: String) throws {
        for entry in list.entries {
            // a name is one file name: a listing that says `../x` or `a/b` would write outside
            guard !entry.name.isEmpty, !entry.name.contains("/"), entry.name != ".", entry.name != ".." else {
                throw SpriteError(
                    "the sprite's listing of \(sprite):\(list.path) holds \(Terminal.printable(entry.name)), which is not a file name",
                    hints: ["nothing was written for it; copy the files by their own paths"], status: .failure)
            }
            let local = Self.join(path, entry.name)
            do {
                switch entry.type {
                case "directory":
                    let inner = try openDirectory(entry.name, in: directory, shownAs: local)
                    defer { close(inner) }
                    try download(try describe(entry.path), into: inner, at: local)
                case "file": try fetchFile(entry.path, entry, into: directory, named: entry.name, shownAs: local)
                default: summary.skipped.append("\(sprite):\(entry.path)")
                }
            } catch let error where Self.isMissing(error) {
                // listed, then not found by its name: gone meanwhile, or a name that is not
                // UTF-8, which the listing could only give changed (it stopped the whole copy)
                summary.failed.append(
                    .init(
                        path: "\(sprite):\(entry.path)",
                        reason: entry.name.contains("\u{FFFD}")
                            ? "its name is not UTF-8, which the Sprites API cannot carry"
                            : "it was not there any more"))
            }
        }
    }

    /// Whether `error` says a path is not there (the API's 404, or `describe`'s error for it).
    static func isMissing(_ error: Error) -> Bool {
        if case APIError.http(let f) = error, f.status == 404 { return true }
        return (error as? SpriteError)?.status == .notFound
    }

    /// The directory `name` in `directory`, made when it is not there, opened: never a
    /// symbolic link (a link in the tree would send the files wherever it points, outside the
    /// destination), and a file is not a directory, as cp says.
    private func openDirectory(_ name: String, in directory: Int32, shownAs path: String) throws -> Int32 {
        if mkdirat(directory, name, 0o777) != 0 && errno != EEXIST {
            throw SpriteError("cannot write the directory \(path): \(String(cString: strerror(errno)))")
        }
        let fd = openat(directory, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard fd < 0 else { return fd }
        let failure = errno
        guard failure == ELOOP || failure == ENOTDIR else {
            throw SpriteError("cannot write the directory \(path): \(String(cString: strerror(failure)))")
        }
        // (with O_DIRECTORY, a link says ENOTDIR too)
        var st = stat()
        let link =
            failure == ELOOP
            || (fstatat(directory, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && st.st_mode & S_IFMT == S_IFLNK)
        let why = link ? "it is a symbolic link here" : "it is a file here, not a directory"
        throw SpriteError(
            "cannot write the directory \(path): \(why)",
            hints: ["move it out of the way, or copy into another directory"], status: .usage)
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

    /// Streams one file to a temporary name beside `name` in `directory`, then renames it
    /// into place with the sprite's mode: a failure leaves no half file under the real name.
    private func fetchFile(
        _ path: String, _ file: FileEntry, into directory: Int32, named name: String, shownAs target: String
    ) throws {
        let temporary = TemporaryFiles.beside(target)
        let temporaryName =
            temporary.lastIndex(of: "/").map { String(temporary[temporary.index(after: $0)...]) }
            ?? temporary
        // (removed by the handlers too: an interrupt left the partial file beside the target)
        TemporaryFiles.register(temporary)
        defer { TemporaryFiles.forget(temporary) }
        // as cp does without -p: the permission bits, less what the umask takes away; never
        // setuid, setgid or sticky (the sprite chooses the mode, and a setuid file owned by
        // whoever downloads it would run as them)
        let mode = mode_t(Int(file.mode, radix: 8) ?? 0o644) & 0o777 & ~Self.umask
        // a connection that broke or stalled is tried twice more, each time from the start
        var attempt = 0
        while true {
            attempt += 1
            // (the file as created, not opened again by its name, which could be a symlink by then)
            let fd = TemporaryFiles.createPrivately(temporaryName, in: directory)
            guard fd >= 0 else { throw SpriteError("cannot write \(target): \(String(cString: strerror(errno)))") }
            let handle = FileHandle(fileDescriptor: fd, closeOnDealloc: true)
            do {
                try client.readFile(sprite, path: path, into: handle)
                fchmod(fd, mode)
                try handle.close()
                break
            } catch {
                try? handle.close()
                unlinkat(directory, temporaryName, 0)
                // (the streamed read reports a transfer that broke or stalled as `.broken`)
                if case APIError.transport(let f) = error, f.kind == .broken, attempt < 3 { continue }
                throw error
            }
        }
        guard renameat(directory, temporaryName, directory, name) == 0 else {
            let why = String(cString: strerror(errno))
            unlinkat(directory, temporaryName, 0)
            throw SpriteError("cannot write \(target): \(why)")
        }
        summary.files += 1
        summary.bytes += file.size
    }
}
