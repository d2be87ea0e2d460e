/// Reads the configuration git passes to subcommands in the environment: `git -c k=v` becomes
/// `GIT_CONFIG_PARAMETERS`, `git --config-env` and `GIT_CONFIG_COUNT` become numbered pairs.
/// libgit2 1.5 reads neither, so git-sprite layers them on top itself.
public enum GitConfigParameters {
    /// `(name, value)` pairs in the order git would apply them (the numbered pairs first, then
    /// `git -c`'s, which win: they were read the other way round, a review); a nil value is a
    /// bare `-c key`.
    public static func parse(environment env: [String: String]) -> [(name: String, value: String?)] {
        var out: [(String, String?)] = []
        if let countText = env["GIT_CONFIG_COUNT"], let count = Int(countText), count > 0 {
            for i in 0..<count {
                guard let key = env["GIT_CONFIG_KEY_\(i)"] else { continue }
                out.append((normalize(key), env["GIT_CONFIG_VALUE_\(i)"] ?? ""))
            }
        }
        if let params = env["GIT_CONFIG_PARAMETERS"] { out += parseQuoted(params) }
        return out
    }

    /// Parses git's shell-quoted list: `'a.b'='value' 'c.d'` (new form) or `'a.b=value'` (old form).
    static func parseQuoted(_ text: String) -> [(String, String?)] {
        var out: [(String, String?)] = []
        let chars = Array(text)
        var i = 0
        func quoted() -> String? {
            guard i < chars.count, chars[i] == "'" else { return nil }
            i += 1
            var s = ""
            while i < chars.count {
                if chars[i] == "'" {
                    // git writes a literal quote as '\'' : close, escaped quote, reopen
                    if i + 3 < chars.count, chars[i + 1] == "\\", chars[i + 2] == "'", chars[i + 3] == "'" {
                        s.append("'")
                        i += 4
                        continue
                    }
                    i += 1
                    return s
                }
                s.append(chars[i])
                i += 1
            }
            return s
        }
        while i < chars.count {
            if chars[i] == " " {
                i += 1
                continue
            }
            guard let first = quoted() else { break }
            if i < chars.count, chars[i] == "=" {
                i += 1
                out.append((normalize(first), quoted() ?? ""))
            } else if let eq = first.firstIndex(of: "=") {
                out.append((normalize(String(first[..<eq])), String(first[first.index(after: eq)...])))
            } else {
                out.append((normalize(first), nil))
            }
        }
        return out
    }

    /// git's key normalisation: section and variable name are case-insensitive.
    static func normalize(_ key: String) -> String {
        guard let firstDot = key.firstIndex(of: "."), let lastDot = key.lastIndex(of: ".") else {
            return key.lowercased()
        }
        let section = key[..<firstDot].lowercased()
        let name = key[key.index(after: lastDot)...].lowercased()
        if firstDot == lastDot { return section + "." + name }
        return section + String(key[firstDot..<lastDot]) + "." + name
    }
}
