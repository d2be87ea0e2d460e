import Foundation
import SpriteGit

/// A secondary repository declared for this repository's sprites (`sprite.link.<mount>.path`).
public struct Link: Equatable, Sendable {
    /// Directory name under `/home/sprite/repos`.
    public let mount: String
    /// The path as stored: relative to the work tree when inside it, else absolute.
    public let storedPath: String
    /// The absolute local path.
    public let path: String
}

/// Reads and writes the link table in the repository's git config.
public struct LinkStore {
    let repository: Repository
    let root: String

    public init(repository: Repository) throws {
        self.repository = repository
        guard let root = repository.workdir else { throw SpriteError("the repository has no work tree") }
        self.root = root
    }

    /// All links, ordered by mount name.
    public func links() throws -> [Link] {
        let entries = try repository.config().entries(matching: "^sprite\\.link\\..+\\.path$")
        var byMount: [String: Link] = [:]
        for entry in entries {
            let mount = String(entry.name.dropFirst("sprite.link.".count).dropLast(".path".count))
            guard let stored = entry.value, !stored.isEmpty else { continue }
            // a mount name becomes a path in the sprite: the same rules as `link --as`
            if let problem = LinkStore.mountProblem(mount) {
                throw SpriteError(
                    "invalid mount name '\(mount)' in git config \(entry.name): \(problem)",
                    hints: [
                        "remove it: git config --unset \(shellQuote(entry.name))",
                        "then link it again: git sprite link <path> --as <mount>",
                    ])
            }
            byMount[mount] = Link(mount: mount, storedPath: stored, path: absolute(stored))
        }
        return byMount.values.sorted { $0.mount < $1.mount }
    }

    /// Adds a link after checking the path is a repository and the mount is free.
    @discardableResult
    public func add(path rawPath: String, as requestedMount: String?, _ context: Context) throws -> Link {
        let path = normalize(rawPath.hasPrefix("/") ? rawPath : context.currentDirectory + "/" + rawPath)
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir), isDir.boolValue else {
            throw SpriteError(
                "cannot link \(rawPath): no such directory",
                hints: ["check the path; it must be the top of a git work tree"])
        }
        let mount: String
        if let requestedMount {
            if let problem = LinkStore.mountProblem(requestedMount) {
                throw SpriteError(
                    "invalid mount name '\(requestedMount)': \(problem)",
                    hints: ["use lowercase letters, digits, '.', '_' and '-', for example: --as tools"],
                    status: .usage)
            }
            mount = requestedMount
        } else {
            mount = LinkStore.foldMount((path as NSString).lastPathComponent)
            if LinkStore.mountProblem(mount) != nil {
                throw SpriteError(
                    "cannot derive a mount name from \(path)",
                    hints: ["name it: git sprite link \(shellQuote(rawPath)) --as <mount>"])
            }
        }
        let linked = try RepositoryLocator.linked(at: path, mount: mount, context)
        let top = linked.workdir ?? path
        if canonicalPath(top) != canonicalPath(path) {
            throw SpriteError(
                "\(rawPath) is inside the repository at \(top), not its top",
                hints: ["link the top of the work tree: git sprite link \(shellQuote(top))"])
        }
        if canonicalPath(top) == canonicalPath(root) {
            throw SpriteError(
                "cannot link the repository to itself",
                hints: ["link another repository: git sprite link ../other-repo"])
        }
        let existing = try links()
        if let clash = existing.first(where: { $0.mount == mount }) {
            if canonicalPath(clash.path) == canonicalPath(top) { return clash }
            throw SpriteError(
                "mount name '\(mount)' is already used by \(clash.path) (wanted for \(top))",
                hints: ["choose another name: git sprite link \(shellQuote(rawPath)) --as <mount>"])
        }
        if let same = existing.first(where: { canonicalPath($0.path) == canonicalPath(top) }) {
            throw SpriteError(
                "\(top) is already linked as '\(same.mount)'",
                hints: [
                    "to rename it: git sprite unlink \(same.mount) && git sprite link "
                        + "\(shellQuote(rawPath)) --as \(mount)"
                ])
        }
        let stored = relativeIfInside(path)
        try repository.writeLocalConfig("sprite.link.\(mount).path", stored)
        return Link(mount: mount, storedPath: stored, path: path)
    }

    /// Removes a link; an unknown mount is an error listing the known ones.
    public func remove(mount: String) throws -> Link {
        let existing = try links()
        guard let link = existing.first(where: { $0.mount == mount }) else {
            let known = existing.map(\.mount)
            throw SpriteError(
                "no linked repo is mounted as '\(mount)'",
                hints: [
                    known.isEmpty
                        ? "nothing is linked; see: git sprite link"
                        : "linked mounts: " + known.joined(separator: ", ")
                ])
        }
        try repository.writeLocalConfig("sprite.link.\(mount).path", nil)
        return link
    }

    /// Folds a directory name to `[a-z0-9._-]`.
    public static func foldMount(_ name: String) -> String {
        var out = ""
        for c in name.lowercased() {
            if c.isASCII && (c.isLetter || c.isNumber || c == "." || c == "_" || c == "-") {
                out.append(c)
            } else if !out.hasSuffix("-") {
                out.append("-")
            }
        }
        while out.hasPrefix("-") || out.hasPrefix(".") { out.removeFirst() }
        while out.hasSuffix("-") { out.removeLast() }
        return out
    }

    /// Why a mount name is unusable, or nil.
    public static func mountProblem(_ mount: String) -> String? {
        if mount.isEmpty { return "it is empty" }
        if mount == "." || mount == ".." || mount.hasPrefix(".") { return "it may not start with '.'" }
        if mount.count > 100 { return "it is longer than 100 characters" }
        if !mount.allSatisfy({ $0.isASCII && ($0.isLowercase || $0.isNumber || "._-".contains($0)) }) {
            return "only a-z, 0-9, '.', '_' and '-' are allowed"
        }
        return nil
    }

    private func absolute(_ stored: String) -> String {
        normalize(stored.hasPrefix("/") ? stored : root + "/" + stored)
    }

    private func relativeIfInside(_ path: String) -> String {
        let (p, r) = (canonicalPath(path), canonicalPath(root))
        return p.hasPrefix(r + "/") ? String(p.dropFirst(r.count + 1)) : path
    }
}

/// Resolves `.` and `..` components without touching the file system.
func normalize(_ path: String) -> String {
    var parts: [Substring] = []
    for part in path.split(separator: "/") {
        if part == "." || part.isEmpty { continue }
        if part == ".." {
            if !parts.isEmpty { parts.removeLast() }
            continue
        }
        parts.append(part)
    }
    return "/" + parts.joined(separator: "/")
}

/// The path with symlinks resolved, for comparing two spellings of one directory.
func canonicalPath(_ path: String) -> String {
    guard let resolved = realpath(path, nil) else { return normalize(path) }
    defer { free(resolved) }
    return String(cString: resolved)
}
