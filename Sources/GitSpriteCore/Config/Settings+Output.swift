extension Setting {
    /// The key as it is written where this value came from: git's `sprite.lifecycle.autoDestroy`
    /// for git config, the TOML file's `lifecycle.auto_destroy` there.
    public var spelledAsSet: String {
        switch origin {
        case .file: return key.name
        default: return key.inGitConfig ? key.gitName : key.name
        }
    }

    /// The value as `git sprite config` shows it; tokens only as present/absent.
    public var displayValue: String {
        if key.name == "token" { return value == nil ? "(absent)" : "(present)" }
        switch value {
        case nil: return "(not set)"
        case .string(let s)?: return s
        case .integer(let i)?: return String(i)
        case .bool(let b)?: return String(b)
        case .list(let l)?: return l.isEmpty ? "(empty)" : l.joined(separator: ",")
        }
    }

    /// How `config --json` shows one setting.
    public struct Output: Sendable, Codable {
        /// Where the value came from; the fields that do not apply to its kind are null.
        public struct Origin: Sendable, Codable {
            public var kind, description: String
            public var flag, variable, scope, file: String?
            public var line: Int?
        }

        /// A string, number, boolean or list; a token only as `{"present": true}`.
        public let value: JSONValue
        public let origin: Origin
        /// The key as `git config` takes it (null: the TOML file only).
        public let git: String?
    }

    var output: Output {
        let shown: JSONValue
        if key.name == "token" {
            shown = .object(["present": .bool(value != nil)])
        } else {
            switch value {
            case nil: shown = .null
            case .string(let s)?: shown = .string(s)
            case .integer(let i)?: shown = .number(Double(i))
            case .bool(let b)?: shown = .bool(b)
            case .list(let l)?: shown = .array(l.map(JSONValue.string))
            }
        }
        var from = Output.Origin(kind: origin.kind, description: origin.description)
        switch origin {
        case .flag(let f): from.flag = f
        case .environment(let v): from.variable = v
        case .gitConfig(let scope, let file): (from.scope, from.file) = (scope.rawValue, file)
        case .file(let path, let line): (from.file, from.line) = (path, line)
        default: break
        }
        return Output(value: shown, origin: from, git: key.inGitConfig ? key.gitName : nil)
    }
}

extension Settings {
    /// The `git sprite config --json` document.
    public struct Output: Sendable, Codable {
        /// By the key's TOML name (`lifecycle.auto_destroy`).
        public let settings: [String: Setting.Output]
        public let warnings: [String]
    }

    public var output: Output {
        Output(
            settings: Dictionary(all.map { ($0.key.name, $0.output) }, uniquingKeysWith: { a, _ in a }),
            warnings: warnings)
    }

    /// Rows of key, value, origin for the human table; keys as `git config` takes them
    /// (`sprite.lifecycle.autoDestroy`), since that is where a user changes one.
    public var rows: [(String, String, String)] {
        all.map { ($0.spelledAsSet, $0.displayValue, $0.origin.description) }
    }
}
