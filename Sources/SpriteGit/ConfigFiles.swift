import CGit2
import Foundation

/// The configuration files git reads outside a repository's own, found as git finds them from
/// an environment (not from the process's: libgit2 1.5 fixes its own search paths at start-up
/// from `HOME` and knows neither `GIT_CONFIG_GLOBAL` nor `GIT_CONFIG_SYSTEM`, so a user who
/// points git at other files would have git-sprite read different settings than `git config`).
///
/// - system: `GIT_CONFIG_SYSTEM` when set, else the system file libgit2 was built to read; none
///   when `GIT_CONFIG_NOSYSTEM` is true;
/// - global: `GIT_CONFIG_GLOBAL` when set (then no XDG file is read either), else
///   `$HOME/.gitconfig`;
/// - XDG: `$XDG_CONFIG_HOME/git/config`, or `$HOME/.config/git/config`.
///
/// A file that does not exist, or that this user may not read, is read as empty, as git does.
public struct ConfigFiles: Sendable, Equatable {
    public var system: String?
    public var xdg: String?
    public var global: String?

    public init(system: String?, xdg: String?, global: String?) {
        (self.system, self.xdg, self.global) = (system, xdg, global)
    }

    public init(environment env: [String: String]) {
        func set(_ name: String) -> String? { env[name].flatMap { $0.isEmpty ? nil : $0 } }
        // GIT_CONFIG_SYSTEM and GIT_CONFIG_GLOBAL count when set, even empty (git then reads
        // no file at that level); HOME and XDG_CONFIG_HOME only when not empty
        if Self.isTrue(env["GIT_CONFIG_NOSYSTEM"]) {
            system = nil
        } else if let named = env["GIT_CONFIG_SYSTEM"] {
            system = named.isEmpty ? nil : named
        } else {
            system = Self.builtInSystemFile
        }
        if let named = env["GIT_CONFIG_GLOBAL"] {
            global = named.isEmpty ? nil : named
            xdg = nil
        } else {
            let home = set("HOME")
            global = home.map { $0 + "/.gitconfig" }
            xdg = (set("XDG_CONFIG_HOME") ?? home.map { $0 + "/.config" }).map { $0 + "/git/config" }
        }
    }

    /// The files of this process's environment.
    public static var process: ConfigFiles { ConfigFiles(environment: ProcessInfo.processInfo.environment) }

    /// The file the path of `scope` names, if any.
    public func path(of scope: ConfigScope) -> String? {
        switch scope {
        case .system: return system
        case .xdg: return xdg
        case .global: return global
        case .local, .worktree, .app, .other: return nil
        }
    }

    /// Where libgit2 was built to find the system file (`/etc/gitconfig` on Debian).
    static let builtInSystemFile: String? = {
        GitLibrary.ensure()
        var buf = git_buf()
        guard git_config_find_system(&buf) == 0 else {
            git_buf_dispose(&buf)
            return "/etc/gitconfig"
        }
        return consume(&buf)
    }()

    /// A value as git reads a boolean (`true`, `yes`, `on`, a non-zero number; unset, empty or
    /// unreadable: false).
    static func isTrue(_ value: String?) -> Bool {
        guard let value, !value.isEmpty else { return false }
        GitLibrary.ensure()
        var out: Int32 = 0
        return git_config_parse_bool(&out, value) == 0 && out != 0
    }
}
