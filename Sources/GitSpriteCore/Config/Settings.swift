import Foundation
import SpriteGit

/// One effective setting: its key, value (nil when unset) and origin.
public struct Setting: Sendable {
    public let key: SettingKey
    public let value: SettingValue?
    public let origin: SettingOrigin
}

/// The effective configuration, resolved once per command.
public struct Settings: Sendable {
    /// Every key, in `SettingKey.all` order.
    public let all: [Setting]
    /// Non-fatal findings (unknown TOML keys, a token file others can read).
    public let warnings: [String]

    public subscript(_ key: SettingKey) -> Setting {
        all.first { $0.key.name == key.name } ?? Setting(key: key, value: nil, origin: .unset)
    }

    func string(_ key: SettingKey) -> String? {
        if case .string(let s)? = self[key].value { return s }
        return nil
    }

    func int(_ key: SettingKey) -> Int? {
        if case .integer(let i)? = self[key].value { return i }
        return nil
    }

    func bool(_ key: SettingKey) -> Bool? {
        if case .bool(let b)? = self[key].value { return b }
        return nil
    }

    func list(_ key: SettingKey) -> [String] {
        if case .list(let l)? = self[key].value { return l }
        return []
    }

    public var token: String? { string(.token) }
    public var apiURL: String { string(.api) ?? "https://api.sprites.dev" }
    public var spriteName: String? { string(.name) }
    public var cpu: Int { int(.cpu) ?? 2 }
    public var memoryGB: Int { int(.memory) ?? 4 }
    public var autoDestroy: Bool { bool(.autoDestroy) ?? false }
    public var autoCheckpoint: Bool { bool(.autoCheckpoint) ?? false }
    public var networkPolicy: String { string(.networkPolicy) ?? "allow-all" }
    public var allowedDomains: [String] { list(.allowedDomains) }
    public var baseImage: String { string(.baseImage) ?? "" }
    public var installClaude: Bool { bool(.installClaude) ?? true }
    public var packages: [String] { list(.packages) }
    public var include: [String] { list(.include) }
    public var storageGB: Int { int(.storage) ?? 10 }
    /// `lifecycle.ttl` in seconds (validated when loaded).
    public var ttl: TimeInterval? { string(.ttl).flatMap { try? DurationText.parse($0, flag: "lifecycle.ttl") } }

    /// A `.money` setting as an exact decimal.
    func decimal(_ key: SettingKey) -> Decimal? { string(key).flatMap(Money.parse) }
    public var claudeInstaller: String { string(.claudeInstaller) ?? "" }
    public var agentCommand: String { string(.agentCommand) ?? "claude" }
    public var notifyCommand: String? { string(.notifyCommand).flatMap { $0.isEmpty ? nil : $0 } }
    public var agentEnvironment: [String] { list(.agentEnvironment) }
    public var shallowClone: Bool { bool(.shallowClone) ?? false }
    public var gitUserName: String? { string(.gitUserName) }
    public var autoForward: Bool { bool(.autoForward) ?? true }
    /// Bytes `down --destroy --force` packs of what cannot come home.
    public var salvageMaxBytes: Int { (int(.salvageMaxSize) ?? 10) << 20 }
    public var gitUserEmail: String? { string(.gitUserEmail) }
}

/// A raw value before validation, with its origin.
struct RawSetting {
    enum Payload {
        case text(String)
        case texts([String])
        case toml(TOMLValue)
    }
    let payload: Payload
    let origin: SettingOrigin
}

/// Resolves settings by precedence: flags > environment > git config (with `git -c`) >
/// `$XDG_CONFIG_HOME/git-sprite/config.toml` > defaults. Validates effective values.
public struct SettingsLoader {
    public var environment: [String: String]
    /// Flag values by TOML key name, with the flag spelled as the user typed it.
    public var flags: [String: (value: String, flag: String)]
    public var repository: Repository?

    public init(
        environment: [String: String], flags: [String: (value: String, flag: String)] = [:],
        repository: Repository?
    ) {
        self.environment = environment
        self.flags = flags
        self.repository = repository
    }

    /// The settings file: `$XDG_CONFIG_HOME/git-sprite/config.toml`, else `~/.config/…`.
    public var tomlPath: String {
        let base =
            environment["XDG_CONFIG_HOME"].flatMap { $0.isEmpty ? nil : $0 }
            ?? ((environment["HOME"] ?? NSHomeDirectory()) + "/.config")
        return base + "/git-sprite/config.toml"
    }

    public func load() throws -> Settings {
        var warnings: [String] = []
        let toml = try loadTOML(&warnings)
        let git = try gitEntries()
        var resolved: [Setting] = []
        for key in SettingKey.all {
            let raw = flagValue(key) ?? envValue(key) ?? gitValue(key, git) ?? toml[key.name]
            guard let raw else {
                resolved.append(
                    Setting(
                        key: key, value: key.defaultValue,
                        origin: key.defaultValue == nil ? .unset : .defaultValue))
                continue
            }
            resolved.append(Setting(key: key, value: try SettingValidator.validate(raw, for: key), origin: raw.origin))
        }
        // a setting that does nothing says so
        if let image = resolved.first(where: { $0.key.name == SettingKey.baseImage.name }),
            image.origin != .defaultValue, image.value != SettingKey.baseImage.defaultValue,
            case .string(let value)? = image.value
        {
            warnings.append(
                "\(image.spelledAsSet) = \(value) (\(image.origin.description)) has no effect: Sprites have one base "
                    + "image (Ubuntu); install what the agent needs with sprite.image.packages")
        }
        return Settings(all: resolved, warnings: warnings)
    }

    private func flagValue(_ key: SettingKey) -> RawSetting? {
        flags[key.name].map { RawSetting(payload: .text($0.value), origin: .flag($0.flag)) }
    }

    private func envValue(_ key: SettingKey) -> RawSetting? {
        for name in key.environment {
            if let v = environment[name], !v.isEmpty {
                return RawSetting(payload: .text(v), origin: .environment(name))
            }
        }
        return nil
    }

    /// git config entries for `sprite.*` in reading order, command line last.
    private func gitEntries() throws -> [(name: String, value: String?, origin: SettingOrigin)] {
        var out: [(String, String?, SettingOrigin)] = []
        let files = repository?.configFiles ?? ConfigFiles(environment: environment)
        let config: GitConfig?
        do {
            config = try repository?.config() ?? GitConfig.open(files)
        } catch {
            throw SpriteError("cannot read git configuration", detail: "\(error)")
        }
        if let config {
            for e in (try? config.entries(matching: "^sprite\\.")) ?? [] {
                out.append(
                    (
                        e.name.lowercased(), e.value,
                        .gitConfig(
                            e.scope,
                            file: GitConfig.path(of: e.scope, files: files, repository: repository))
                    ))
            }
        }
        for (name, value) in GitConfigParameters.parse(environment: environment) where name.hasPrefix("sprite.") {
            out.append((name.lowercased(), value, .gitCommandLine))
        }
        return out
    }

    private func gitValue(
        _ key: SettingKey, _ entries: [(name: String, value: String?, origin: SettingOrigin)]
    )
        -> RawSetting?
    {
        guard key.inGitConfig else { return nil }
        let wanted = key.gitName.lowercased()
        let matches = entries.filter { $0.name == wanted }
        guard let last = matches.last else { return nil }
        if key.isList {
            // Multi-valued keys accumulate across files; an empty value clears what came before.
            var values: [String] = []
            for m in matches {
                if (m.value ?? "").isEmpty { values = [] } else { values.append(m.value ?? "") }
            }
            return RawSetting(payload: .texts(values), origin: last.origin)
        }
        // A bare `[sprite] key` line means true, as git reads booleans.
        return RawSetting(payload: .text(last.value ?? "true"), origin: last.origin)
    }

    /// A settings file is a few lines; anything near this size is not one.
    static let maxFileSize = 1 << 20

    private func loadTOML(_ warnings: inout [String]) throws -> [String: RawSetting] {
        let path = tomlPath
        var info = stat()
        guard stat(path, &info) == 0 || errno != ENOENT else { return [:] }
        let aside = "move it aside to use defaults: mv \(shellQuote(path)) \(shellQuote(path + ".bak"))"
        if info.st_mode & S_IFMT == S_IFDIR {
            throw SpriteError("\(path) is a directory, not a settings file", hints: [aside])
        }
        if info.st_size > Self.maxFileSize {
            throw SpriteError(
                "\(path) is too large for a settings file (\(info.st_size) bytes; at most 1 MiB)",
                hints: [aside])
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw SpriteError(
                "cannot read \(path): \(String(cString: strerror(errno)))",
                hints: ["make it readable: chmod 600 \(shellQuote(path)); or " + aside])
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw SpriteError("\(path) is not UTF-8 text", hints: ["save the file as UTF-8"])
        }
        let doc: TOMLDocument
        do {
            doc = try TOMLDocument(parsing: text)
        } catch let e as TOMLError {
            throw SpriteError(
                "\(path):\(e.line):\(e.column): malformed TOML: \(e.message)",
                hints: ["fix the file, or move it aside to use defaults: mv \(path) \(path).bak"])
        }
        var out: [String: RawSetting] = [:]
        for name in doc.order {
            guard let entry = doc.values[name] else { continue }
            guard SettingKey.named(name) != nil else {
                warnings.append("\(path):\(entry.line): unknown key '\(name)' ignored")
                continue
            }
            out[name] = RawSetting(payload: .toml(entry.value), origin: .file(path: path, line: entry.line))
        }
        var st = stat()
        if out["token"] != nil, stat(path, &st) == 0, st.st_mode & 0o077 != 0 {
            warnings.append("\(path) holds a token and is readable by others; run: chmod 600 \(path)")
        }
        return out
    }
}
