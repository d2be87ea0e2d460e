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

    var jsonValue: JSON {
        if key.name == "token" { return .object([("present", .bool(value != nil))]) }
        switch value {
        case nil: return .null
        case .string(let s)?: return .string(s)
        case .integer(let i)?: return .int(i)
        case .bool(let b)?: return .bool(b)
        case .list(let l)?: return .array(l.map(JSON.string))
        }
    }

    var originJSON: JSON {
        var fields: [(String, JSON)] = [("kind", .string(origin.kind)), ("description", .string(origin.description))]
        switch origin {
        case .flag(let f): fields.append(("flag", .string(f)))
        case .environment(let v): fields.append(("variable", .string(v)))
        case .gitConfig(let scope, let file):
            fields.append(("scope", .string(scope.rawValue)))
            fields.append(("file", .optional(file)))
        case .file(let path, let line):
            fields.append(("file", .string(path)))
            fields.append(("line", .int(line)))
        default: break
        }
        return .object(fields)
    }
}

extension Settings {
    /// The `git sprite config --json` document.
    public var json: JSON {
        .object([
            ("settings", .object(all.map { s in
                (s.key.name, .object([("value", s.jsonValue), ("origin", s.originJSON), ("git", s.key.inGitConfig
                    ? .string(s.key.gitName) : .null)]))
            })),
            ("warnings", .array(warnings.map(JSON.string))),
        ])
    }

    /// Rows of key, value, origin for the human table; keys as `git config` takes them
    /// (`sprite.lifecycle.autoDestroy`), since that is where a user changes one.
    public var rows: [(String, String, String)] {
        all.map { ($0.spelledAsSet, $0.displayValue, $0.origin.description) }
    }
}
