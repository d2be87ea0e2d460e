import CGit2

#if canImport(Glibc)
    import Glibc
#endif

/// Why a repository could not be opened, in terms a caller can turn into advice.
public enum RepositoryOpenError: Error, Sendable {
    /// No repository at or above the path.
    case notFound(path: String)
    /// The repository is owned by another user and not listed in `safe.directory`.
    case notOwned(path: String)
    /// Any other libgit2 failure.
    case failed(GitError)
}

/// An open libgit2 repository. The only owner of its `git_repository` handle.
public final class Repository {
    let pointer: OpaquePointer
    /// The configuration files outside the repository that it reads with (`config()`), found
    /// from the environment it was opened with.
    public let configFiles: ConfigFiles
    /// Whether libgit2 reads the repository's configuration from `configFiles` (set at open,
    /// unless a file did not parse).
    private(set) var readsConfigFiles = false

    private init(pointer: OpaquePointer, configFiles: ConfigFiles) {
        self.pointer = pointer
        self.configFiles = configFiles
    }

    /// Has libgit2 read what it reads on its own (remotes' insteadOf, status's excludesFile and
    /// autocrlf, submodules), and `config()`, from `configFiles`; a file that does not parse is
    /// left for `config()` to report.
    private func readConfigFiles() {
        guard let cfg = try? GitConfig.live(configFiles, repository: self) else {
            return
        }
        git_repository_set_config(pointer, cfg)
        git_config_free(cfg)
        readsConfigFiles = true
    }

    deinit { git_repository_free(pointer) }

    /// Finds the repository the way git does: from `path` upwards, honouring `GIT_DIR`,
    /// `GIT_WORK_TREE` and `GIT_CEILING_DIRECTORIES` when `fromEnvironment` is set.
    ///
    /// libgit2 1.5 does not honour `safe.directory = *` or values given with `git -c`;
    /// `trustedDirectories` carries those, and a repository listed there is opened even
    /// when another user owns it.
    public static func discover(
        from path: String, environment: [String: String]?, trustedDirectories: [String] = []
    ) throws -> Repository {
        let files = environment.map { ConfigFiles(environment: $0) } ?? .process
        guard let env = environment else {
            return try open(path: path, flags: 0, trusted: trustedDirectories, files: files)
        }
        let gitDir = env["GIT_DIR"].flatMap { $0.isEmpty ? nil : $0 }
        let workTree = env["GIT_WORK_TREE"].flatMap { $0.isEmpty ? nil : $0 }
        if gitDir == nil && workTree == nil {
            return try open(
                path: path, flags: GIT_REPOSITORY_OPEN_FROM_ENV.rawValue, trusted: trustedDirectories, files: files)
        }
        // libgit2 1.5 answers "GIT_WORK_TREE unimplemented" to OPEN_FROM_ENV, so apply git's
        // rules here: GIT_DIR names the repository, GIT_WORK_TREE its work tree.
        let repo: Repository
        if let gitDir {
            repo = try open(
                path: absolute(gitDir, from: path), flags: GIT_REPOSITORY_OPEN_NO_SEARCH.rawValue,
                trusted: trustedDirectories, files: files)
        } else {
            repo = try open(path: path, flags: 0, trusted: trustedDirectories, files: files)
        }
        if let workTree {
            try check(
                git_repository_set_workdir(repo.pointer, absolute(workTree, from: path), 0),
                "git_repository_set_workdir")
        }
        return repo
    }

    private static func absolute(_ p: String, from base: String) -> String {
        p.hasPrefix("/") ? p : base + "/" + p
    }

    /// Opens the repository whose work tree or git directory is exactly `path`, reading the
    /// configuration files `configFiles` names (by default, those of this process's environment).
    public static func open(
        at path: String, trustedDirectories: [String] = [], configFiles: ConfigFiles = .process
    ) throws -> Repository {
        try open(
            path: path, flags: GIT_REPOSITORY_OPEN_NO_SEARCH.rawValue, trusted: trustedDirectories, files: configFiles)
    }

    private static func open(path: String, flags: UInt32, trusted: [String], files: ConfigFiles) throws -> Repository {
        try GitLibrary.ready()
        var handle: OpaquePointer?
        var rc = git_repository_open_ext(&handle, path, flags, nil)
        // libgit2 1.5.1 reports a foreign-owned repository as GIT_ENOTFOUND with the misleading
        // "config value 'safe.directory' was not found"; find the owner ourselves.
        var foreign: String?
        if rc == GIT_EOWNER.rawValue {
            foreign = ownedPath(in: GitError.last(rc, "git_repository_open_ext").message) ?? path
        } else if rc == GIT_ENOTFOUND.rawValue {
            foreign = foreignRepository(above: path, search: flags & GIT_REPOSITORY_OPEN_NO_SEARCH.rawValue == 0)
        }
        if let owned = foreign {
            guard isTrusted(owned, extra: trusted, files: files) else {
                throw RepositoryOpenError.notOwned(path: owned)
            }
            // The user trusts this path through a form libgit2 1.5 cannot read: check
            // ownership ourselves (done above) and let libgit2 skip its own check.
            git_sprite_set_owner_validation(0)
            rc = git_repository_open_ext(&handle, path, flags, nil)
            git_sprite_set_owner_validation(1)
        }
        if rc == GIT_ENOTFOUND.rawValue { throw RepositoryOpenError.notFound(path: path) }
        if rc < 0 { throw RepositoryOpenError.failed(GitError.last(rc, "git_repository_open_ext")) }
        guard let handle else { throw RepositoryOpenError.notFound(path: path) }
        let repo = Repository(pointer: handle, configFiles: files)
        repo.readConfigFiles()
        return repo
    }

    /// The first directory at or above `path` holding a `.git` that another user owns, or nil.
    private static func foreignRepository(above path: String, search: Bool) -> String? {
        var dir = trimSlash(path)
        let me = geteuid()
        while true {
            var st = stat()
            if lstat(dir + "/.git", &st) == 0 {
                var top = stat()
                let topOwner = stat(dir, &top) == 0 ? top.st_uid : me
                return (st.st_uid != me || topOwner != me) ? dir : nil
            }
            guard search, dir != "/", let slash = dir.lastIndex(of: "/") else { return nil }
            dir = slash == dir.startIndex ? "/" : String(dir[..<slash])
        }
    }

    /// libgit2 names the offending path in quotes; fall back to the caller's path otherwise.
    private static func ownedPath(in message: String) -> String? {
        guard let first = message.firstIndex(of: "'") else { return nil }
        let rest = message[message.index(after: first)...]
        guard let last = rest.firstIndex(of: "'") else { return nil }
        return String(rest[..<last])
    }

    /// git's rule: `safe.directory` from system, global or command-line config; `*` trusts all.
    private static func isTrusted(_ path: String, extra: [String], files: ConfigFiles) -> Bool {
        var values = extra
        if let config = try? GitConfig.open(files) {
            values += config.allValues(of: "safe.directory")
        }
        let candidates = Set([path, trimSlash(path), trimSlash(path.replacingSuffix("/.git", with: ""))])
        return values.contains { value in
            value == "*" || candidates.contains(trimSlash(value))
        }
    }

    private static func trimSlash(_ s: String) -> String {
        var s = s
        while s.count > 1 && s.hasSuffix("/") { s.removeLast() }
        return s
    }

    /// True for a repository without a work tree.
    public var isBare: Bool { git_repository_is_bare(pointer) != 0 }

    /// True when this is a linked worktree (`git worktree add`).
    public var isLinkedWorktree: Bool { git_repository_is_worktree(pointer) != 0 }

    /// The work tree root without a trailing slash, or nil for a bare repository.
    public var workdir: String? {
        guard let p = git_repository_workdir(pointer) else { return nil }
        return Self.trimSlash(String(cString: p))
    }

    /// The git directory (`.git`, or `.git/worktrees/<name>` for a linked worktree).
    public var gitDir: String { Self.trimSlash(String(cString: git_repository_path(pointer))) }

    /// The directory shared by all worktrees of this repository.
    public var commonDir: String { Self.trimSlash(String(cString: git_repository_commondir(pointer))) }

    /// This worktree's own configuration file, which git reads when the repository sets
    /// `extensions.worktreeConfig`.
    public var worktreeConfigPath: String { gitDir + "/config.worktree" }
}

extension String {
    func replacingSuffix(_ suffix: String, with replacement: String) -> String {
        hasSuffix(suffix) ? String(dropLast(suffix.count)) + replacement : self
    }
}
