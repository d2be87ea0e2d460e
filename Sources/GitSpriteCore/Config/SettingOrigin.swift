import SpriteGit

/// Where an effective setting came from, like `git config --show-origin`.
public enum SettingOrigin: Equatable, Sendable {
    case flag(String)
    case environment(String)
    case gitCommandLine
    case gitConfig(ConfigScope, file: String?)
    case file(path: String, line: Int)
    case defaultValue
    case unset

    /// Human form: `flag --cpu`, `env SPRITES_TOKEN`, `git -c (command line)`, `/x/config.toml:3`.
    public var description: String {
        switch self {
        case .flag(let f): return "flag \(f)"
        case .environment(let v): return "env \(v)"
        case .gitCommandLine: return "git -c (command line)"
        case .gitConfig(let scope, let file): return "git config --\(scope.rawValue)" + (file.map { " (\($0))" } ?? "")
        case .file(let path, let line): return "\(path):\(line)"
        case .defaultValue: return "default"
        case .unset: return "not set"
        }
    }

    /// Stable machine-readable kind for `--json`.
    public var kind: String {
        switch self {
        case .flag: return "flag"
        case .environment: return "env"
        case .gitCommandLine: return "git-command-line"
        case .gitConfig: return "git-config"
        case .file: return "file"
        case .defaultValue: return "default"
        case .unset: return "unset"
        }
    }

    /// How to change the value where it was set, for hints.
    func fixHint(for key: SettingKey, example: String) -> String? {
        switch self {
        case .flag(let f): return "pass a valid value to \(f)"
        case .environment(let v): return "export \(v)=\(example)"
        case .gitCommandLine: return "fix the -c \(key.gitName)=… argument"
        case .gitConfig(let scope, _): return "git config --\(scope.rawValue) \(key.gitName) \(example)"
        case .file(let path, let line): return "edit \(path) line \(line)"
        case .defaultValue, .unset: return nil
        }
    }
}
