/// A typed configuration value.
public enum SettingValue: Equatable, Sendable {
    case string(String)
    case integer(Int)
    case bool(Bool)
    case list([String])
}

/// What values a setting accepts.
public enum SettingKind: Sendable {
    case string
    case secret
    case apiURL
    case spriteName
    case integer(ClosedRange<Int>, unit: String)
    case bool
    case choice([String])
    case domainList
    case nameList
    case packageList
    case patternList
    /// A non-negative decimal amount of dollars, kept exact.
    case money
    /// A duration such as 3d or 1h30m.
    case duration

    /// Allowed values, as error messages state them.
    var allowed: String {
        switch self {
        case .string: return "any text"
        case .secret: return "printable ASCII with no spaces (whitespace around it is ignored)"
        case .apiURL:
            return
                "an http://, https:// or http+unix:// URL with a host and no user, password, query or fragment, or 'local'"
        case .spriteName: return "1–50 of a-z, 0-9 and '-', no leading, trailing or double hyphen"
        case .integer(let r, let unit): return "whole numbers \(r.lowerBound)–\(r.upperBound)\(unit)"
        case .bool: return "true or false"
        case .choice(let options): return options.joined(separator: " | ")
        case .domainList: return "host names such as example.com, optionally with a leading '*.'"
        case .nameList: return "names of environment variables ([A-Za-z_][A-Za-z0-9_]*), not the API token's"
        case .packageList: return "Debian package names, optionally pinned as name=version"
        case .patternList: return "gitignore-style patterns, one per value"
        case .money: return "a non-negative decimal number of dollars up to 100, such as 0.07"
        case .duration: return "a duration such as 90m, 3d or 1w"
        }
    }
}

/// One configuration key with all the names it goes by.
public struct SettingKey: Sendable {
    /// The TOML name, also the key `git sprite config` shows: `resources.cpu`.
    public let name: String
    public let kind: SettingKind
    public let defaultValue: SettingValue?
    /// Whether git config may set it (tokens may not: git config files get shared and printed).
    public let inGitConfig: Bool
    /// Environment variables, strongest first.
    public let environment: [String]
    /// One line for `git sprite config` and the man page.
    public let summary: String

    /// The git config name when git's camelCase of `name` is not how it is spelled
    /// (`memoryGBHour`); git compares these names without case anyway.
    private let gitSpelling: String?

    init(
        _ name: String, _ kind: SettingKind, default value: SettingValue?, git: Bool = true,
        env: [String]? = nil, gitName: String? = nil, _ summary: String
    ) {
        self.gitSpelling = gitName
        self.name = name
        self.kind = kind
        self.defaultValue = value
        self.inGitConfig = git
        self.environment = env ?? ["GIT_SPRITE_" + String(name.uppercased().map { $0 == "." ? "_" : $0 })]
        self.summary = summary
    }

    /// git config name in git's camelCase: `lifecycle.auto_destroy` → `sprite.lifecycle.autoDestroy`.
    public var gitName: String {
        if let gitSpelling { return gitSpelling }
        var out = "sprite."
        var upper = false
        for c in name {
            if c == "_" {
                upper = true
                continue
            }
            out.append(upper ? Character(c.uppercased()) : c)
            upper = false
        }
        return out
    }

    /// Whether the value is a list (multi-valued in git config).
    public var isList: Bool {
        switch kind {
        case .domainList, .nameList, .packageList, .patternList: return true
        default: return false
        }
    }

    // Every key git-sprite reads, by name: a misspelled key does not compile.
    public static let token = SettingKey(
        "token", .secret, default: nil, git: false, env: ["SPRITES_TOKEN", "SPRITE_TOKEN"],
        "Sprites API token (shown only as present or absent)")
    public static let api = SettingKey(
        "api", .apiURL, default: .string("https://api.sprites.dev"), env: ["SPRITES_API_URL"],
        "API base URL, or 'local' for a sprite-host on this machine")
    public static let name = SettingKey(
        "name", .spriteName, default: nil,
        "sprite name instead of the one derived from the branch")
    public static let cpu = SettingKey(
        "resources.cpu", .integer(1...8, unit: ""), default: .integer(2), "CPUs per sprite")
    public static let memory = SettingKey(
        "resources.memory", .integer(1...16, unit: " (GB)"), default: .integer(4),
        "memory per sprite in GB")
    public static let autoDestroy = SettingKey(
        "lifecycle.auto_destroy", .bool, default: .bool(false),
        "destroy the sprite on 'git sprite down'")
    public static let autoCheckpoint = SettingKey(
        "lifecycle.auto_checkpoint", .bool, default: .bool(false),
        "checkpoint the sprite on 'git sprite down'")
    public static let ttl = SettingKey(
        "lifecycle.ttl", .duration, default: nil,
        "how long a sprite 'up' starts lives: status warns after, prune --expired removes it")
    public static let networkPolicy = SettingKey(
        "network.default_policy", .choice(["allow-all", "block-all", "allow-list"]),
        default: .string("allow-all"), "outbound network policy")
    public static let allowedDomains = SettingKey(
        "network.allowed_domains", .domainList, default: .list([]),
        "domains reachable under allow-list")
    public static let baseImage = SettingKey(
        "image.base_image", .string, default: .string("ubuntu:22.04"), "base image")
    public static let installClaude = SettingKey(
        "image.install_claude", .bool, default: .bool(true),
        "install Claude Code when 'claude --version' fails")
    public static let packages = SettingKey(
        "image.packages", .packageList, default: .list([]),
        "packages to install in the sprite")
    public static let claudeInstaller = SettingKey(
        "image.claude_installer", .string,
        default: .string("curl -fsSL https://claude.ai/install.sh | bash"),
        "command that installs Claude Code")
    public static let agentCommand = SettingKey(
        "agent.command", .string, default: .string("claude"),
        "the agent to start in tmux")
    public static let agentEnvironment = SettingKey(
        "agent.env", .nameList, default: .list([]),
        "environment variables forwarded to the agent (values never shown)")
    public static let shallowClone = SettingKey(
        "git.shallow", .bool, default: .bool(false),
        "clone shallowly inside the sprite")
    public static let gitUserName = SettingKey(
        "git.user_name", .string, default: nil,
        "name on the agent's commits (default: your git identity for the repository)")
    public static let gitUserEmail = SettingKey(
        "git.user_email", .string, default: nil,
        "email on the agent's commits (default: your git identity for the repository)")
    public static let autoForward = SettingKey(
        "forward.auto", .bool, default: .bool(true),
        "forward ports the sprite opens while attach or shell runs")
    public static let salvageMaxSize = SettingKey(
        "salvage.max_size", .integer(0...10_000, unit: " (MB)"), default: .integer(10),
        "largest total of ignored and stray files 'down --destroy --force' saves")
    public static let storage = SettingKey(
        "resources.storage", .integer(1...1000, unit: " (GB)"), default: .integer(10),
        "storage in GB that cost estimates assume (Sprites grow storage as it is used)")
    public static let cpuHourPrice = SettingKey(
        "pricing.cpu_hour", .money, default: .string("0.07"),
        "dollars per CPU-hour, for cost estimates")
    public static let memoryGBHourPrice = SettingKey(
        "pricing.memory_gb_hour", .money, default: .string("0.04375"),
        gitName: "sprite.pricing.memoryGBHour", "dollars per GB-hour of memory")
    public static let storageGBHourPrice = SettingKey(
        "pricing.storage_gb_hour", .money, default: .string("0.00068"),
        gitName: "sprite.pricing.storageGBHour", "dollars per GB-hour of storage")
    public static let include = SettingKey(
        "include", .patternList, default: .list([]),
        "ignored files up ships with the snapshot (gitignore patterns; also .spriteinclude)")
    public static let notifyCommand = SettingKey(
        "notify.command", .string, default: nil,
        "program run with the sprite and the agent's new state (never through a shell)")

    /// Every key git-sprite reads, in the order `git sprite config` lists them.
    public static let all: [SettingKey] = [
        token, api, name, cpu, memory, storage, autoDestroy, autoCheckpoint, ttl, networkPolicy, allowedDomains,
        baseImage,
        installClaude, packages, claudeInstaller, agentCommand, agentEnvironment, shallowClone, gitUserName,
        gitUserEmail, salvageMaxSize, autoForward, include, notifyCommand, cpuHourPrice, memoryGBHourPrice,
        storageGBHourPrice,
    ]

    /// Looks a key up by its TOML name.
    public static func named(_ name: String) -> SettingKey? { all.first { $0.name == name } }
}
