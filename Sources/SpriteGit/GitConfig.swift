import CGit2
import CTerminal
import Foundation

/// Which git config file a value came from.
public enum ConfigScope: String, Sendable, Codable {
    case system, xdg, global, local, worktree, app, other

    /// The level the worktree's own file (`config.worktree`) is read at: libgit2 1.5 has none
    /// for it, and any level above the repository's own file reads as git does.
    static let worktreeLevel = git_config_level_t(rawValue: GIT_CONFIG_LEVEL_APP.rawValue + 1)

    init(_ level: git_config_level_t) {
        switch level {
        case GIT_CONFIG_LEVEL_SYSTEM, GIT_CONFIG_LEVEL_PROGRAMDATA: self = .system
        case GIT_CONFIG_LEVEL_XDG: self = .xdg
        case GIT_CONFIG_LEVEL_GLOBAL: self = .global
        case GIT_CONFIG_LEVEL_LOCAL: self = .local
        case Self.worktreeLevel: self = .worktree
        case GIT_CONFIG_LEVEL_APP: self = .app
        default: self = .other
        }
    }

    /// Lower scopes are overridden by higher ones, as git reads them.
    public var precedence: Int {
        switch self {
        case .system: return 1
        case .xdg: return 2
        case .global: return 3
        case .local: return 4
        case .worktree: return 5
        case .app: return 6
        case .other: return 0
        }
    }
}

/// One `name = value` line of git configuration.
public struct ConfigEntry: Sendable {
    /// Normalised name: section and key lower-cased, subsection as written.
    public let name: String
    /// The raw value; nil for a bare boolean key (`[sprite] flag`).
    public let value: String?
    /// The file level it came from.
    public let scope: ConfigScope
}

/// A read-only snapshot of git configuration; the only owner of its `git_config` handle.
public final class GitConfig {
    let pointer: OpaquePointer

    fileprivate init(_ pointer: OpaquePointer) { self.pointer = pointer }
    deinit { git_config_free(pointer) }

    /// The configuration `files` name (system, XDG, global), and a repository's own files when
    /// `repository` is given, as one snapshot: what git reads there, outside or inside a
    /// repository.
    public static func open(_ files: ConfigFiles, repository: Repository? = nil) throws -> GitConfig {
        let cfg = try live(files, repository: repository)
        defer { git_config_free(cfg) }
        var snapshot: OpaquePointer?
        try check(git_config_snapshot(&snapshot, cfg), "git_config_snapshot")
        guard let snapshot else { throw GitError(code: -1, function: "git_config_snapshot", message: "no config") }
        return GitConfig(snapshot)
    }

    /// The files as a live `git_config` the caller frees (a repository's own, `Repository.open`):
    /// `files`, then the repository's own file and its worktree's (`config.worktree`, read when
    /// the repository sets `extensions.worktreeConfig`, as `git config --worktree` does).
    static func live(_ files: ConfigFiles, repository: Repository?) throws -> OpaquePointer {
        try GitLibrary.ready()
        var made: OpaquePointer?
        try check(git_config_new(&made), "git_config_new")
        guard let cfg = made else { throw GitError(code: -1, function: "git_config_new", message: "no config") }
        // a file that is not there, or that this user may not read (a HOME of another user's),
        // reads as empty, as git and libgit2's own loading have it
        func add(_ path: String?, _ level: git_config_level_t) throws {
            guard let path, access(path, R_OK) == 0 else { return }
            let rc = git_config_add_file_ondisk(cfg, path, level, repository?.pointer, 0)
            if rc != GIT_ENOTFOUND.rawValue && rc < 0 {
                git_config_free(cfg)
                throw GitError.last(rc, "git_config_add_file_ondisk")
            }
        }
        try add(files.system, GIT_CONFIG_LEVEL_SYSTEM)
        try add(files.xdg, GIT_CONFIG_LEVEL_XDG)
        try add(files.global, GIT_CONFIG_LEVEL_GLOBAL)
        guard let repository else { return cfg }
        try add(repository.commonDir + "/config", GIT_CONFIG_LEVEL_LOCAL)
        if Self.worktreeConfigEnabled(cfg) { try add(repository.worktreeConfigPath, ConfigScope.worktreeLevel) }
        return cfg
    }

    /// Whether the repository's own file, as added to `cfg`, turns on per-worktree files. git
    /// reads the extension from that file alone, whatever another file says.
    private static func worktreeConfigEnabled(_ cfg: OpaquePointer) -> Bool {
        var local: OpaquePointer?
        guard git_config_open_level(&local, cfg, GIT_CONFIG_LEVEL_LOCAL) == 0, let local else { return false }
        defer { git_config_free(local) }
        var on: Int32 = 0
        return git_config_get_bool(&on, local, "extensions.worktreeconfig") == 0 && on != 0
    }

    /// Every entry whose name matches the regular expression, lowest precedence first.
    public func entries(matching regex: String) throws -> [ConfigEntry] {
        var iter: OpaquePointer?
        try check(git_config_iterator_glob_new(&iter, pointer, regex), "git_config_iterator_glob_new")
        return try Self.collect(iter)
    }

    /// Every entry of the key `name`, lowest precedence first. Matched as git matches a key:
    /// section and variable names in any case, the subsection (a branch name, say) exactly,
    /// whatever characters it has.
    public func entries(named name: String) throws -> [ConfigEntry] {
        var iter: OpaquePointer?
        try check(git_config_multivar_iterator_new(&iter, pointer, name, nil), "git_config_multivar_iterator_new")
        return try Self.collect(iter)
    }

    /// The entries `iter` gives, in git's reading order; frees it.
    private static func collect(_ iter: OpaquePointer?) throws -> [ConfigEntry] {
        defer { git_config_iterator_free(iter) }
        var out: [ConfigEntry] = []
        var entry: UnsafeMutablePointer<git_config_entry>?
        while true {
            let rc = git_config_next(&entry, iter)
            if rc == GIT_ITEROVER.rawValue { break }
            try check(rc, "git_config_next")
            guard let e = entry?.pointee, let name = e.name else { continue }
            out.append(
                ConfigEntry(
                    name: String(cString: name),
                    value: e.value.map { String(cString: $0) },
                    scope: ConfigScope(e.level)
                ))
        }
        // libgit2 iterates highest-priority files first, each file's entries in the order it
        // holds them; callers want git's reading order (the files' order was reversed within
        // a file too: `cpu = 4` then `cpu = 3` read as 4, an adversarial review)
        return out.enumerated().sorted {
            ($0.element.scope.precedence, $0.offset) < ($1.element.scope.precedence, $1.offset)
        }.map(\.element)
    }

    /// All values of a multi-valued key, in git's reading order.
    public func allValues(of name: String) -> [String] {
        ((try? entries(named: name)) ?? []).compactMap(\.value)
    }

    /// The file behind a scope, for showing where a value came from.
    public static func path(of scope: ConfigScope, files: ConfigFiles, repository: Repository?) -> String? {
        switch scope {
        case .local: return repository.map { $0.commonDir + "/config" }
        case .worktree: return repository?.worktreeConfigPath
        default: return files.path(of: scope)
        }
    }
}

extension Repository {
    /// A snapshot of the configuration this repository sees (system, XDG, global, local): of
    /// the files read once at open; read again only to report the file that did not parse then.
    public func config() throws -> GitConfig {
        guard readsConfigFiles else {
            return try GitConfig.open(configFiles, repository: self)
        }
        var cfg: OpaquePointer?
        try check(git_repository_config_snapshot(&cfg, pointer), "git_repository_config_snapshot")
        guard let cfg else {
            throw GitError(code: -1, function: "git_repository_config_snapshot", message: "no config")
        }
        return GitConfig(cfg)
    }

    /// Sets `name` in the repository's own config file (`.git/config`).
    public func setLocalConfig(_ name: String, to value: String) throws {
        try withLocalConfig { try check(git_config_set_string($0, name, value), "git_config_set_string") }
    }

    /// Removes `name` from the repository's own config file; absent keys are not an error.
    public func unsetLocalConfig(_ name: String) throws {
        try withLocalConfig { cfg in
            let rc = git_config_delete_entry(cfg, name)
            if rc != GIT_ENOTFOUND.rawValue { try check(rc, "git_config_delete_entry") }
        }
    }

    /// Runs `body` on the local config file as one write no signal cuts: libgit2 rewrites it
    /// through `config.lock`, which a handler's exit mid-write would leave for good (every
    /// later `git config` then fails on it). The handlers wait for the write to end.
    private func withLocalConfig(_ body: (OpaquePointer) throws -> Void) throws {
        var saved = sigset_t()
        git_sprite_unbroken_begin(&saved)
        defer { git_sprite_unbroken_end(&saved) }
        var cfg: OpaquePointer?
        try check(git_repository_config(&cfg, pointer), "git_repository_config")
        defer { git_config_free(cfg) }
        var local: OpaquePointer?
        try check(git_config_open_level(&local, cfg, GIT_CONFIG_LEVEL_LOCAL), "git_config_open_level")
        defer { git_config_free(local) }
        guard let local else { return }
        try body(local)
    }
}
