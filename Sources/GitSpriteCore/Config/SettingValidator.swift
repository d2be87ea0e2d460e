import Foundation

/// Turns raw setting text or TOML values into typed values, or explains what is wrong.
enum SettingValidator {
    static func validate(_ raw: RawSetting, for key: SettingKey) throws -> SettingValue {
        func fail(_ shown: String) -> SpriteError {
            var hints = ["allowed: \(key.kind.allowed)"]
            if let fix = raw.origin.fixHint(for: key, example: example(key)) { hints.append(fix) }
            // a flag's bad value is a usage error, as the parser's own are (exit 64)
            var status = ExitStatus.failure
            if case .flag = raw.origin { status = .usage }
            return SpriteError(
                "invalid value \(shown) for \(key.name) (from \(raw.origin.description))",
                hints: hints, status: status)
        }
        switch key.kind {
        case .string, .spriteName:
            guard let text = scalarText(raw.payload) else { throw fail(describe(raw.payload)) }
            if case .spriteName = key.kind, SpriteName.problem(with: text) != nil { throw fail("'\(text)'") }
            return .string(text)
        case .secret:
            // a token goes into a header as it is: a line break in it would end the header
            // (and start one of its own), so only what a token is made of is taken, and the
            // whitespace a copy from a file or a terminal brings along is left out
            guard let raw = scalarText(raw.payload) else { throw fail("(hidden)") }
            let text = raw.trimmingCharacters(in: .whitespacesAndNewlines)
            if text.isEmpty { throw fail("(empty)") }
            guard text.unicodeScalars.allSatisfy({ (0x21...0x7E).contains($0.value) }) else {
                throw fail("(hidden: it has spaces, control or non-ASCII characters)")
            }
            return .string(text)
        case .apiURL:
            guard let text = scalarText(raw.payload) else { throw fail(describe(raw.payload)) }
            guard let problem = APIURLText.problem(with: text) else { return .string(text) }
            throw fail("'\(APIURLText.withoutCredentials(text))' (\(problem))")
        case .integer(let range, _):
            let value: Int?
            switch raw.payload {
            case .toml(.integer(let i)): value = i
            case .toml(.string(let s)), .text(let s): value = parseInt(s)
            default: value = nil
            }
            guard let value, range.contains(value) else { throw fail(describe(raw.payload)) }
            return .integer(value)
        case .bool:
            switch raw.payload {
            case .toml(.bool(let b)): return .bool(b)
            case .text(let s), .toml(.string(let s)):
                switch s.lowercased() {
                case "true", "yes", "on", "1": return .bool(true)
                case "false", "no", "off", "0", "": return .bool(false)
                default: throw fail("'\(s)'")
                }
            default: throw fail(describe(raw.payload))
            }
        case .choice(let options):
            guard let text = scalarText(raw.payload), options.contains(text) else { throw fail(describe(raw.payload)) }
            return .string(text)
        case .duration:
            guard let text = scalarText(raw.payload), (try? DurationText.parse(text, flag: key.name)) != nil else {
                throw fail(describe(raw.payload))
            }
            return .string(text)
        case .money:
            let text: String?
            switch raw.payload {
            case .toml(.integer(let i)): text = String(i)
            case .toml(.float(let d)): text = "\(d)"
            case .toml(.string(let s)), .text(let s): text = s
            default: text = nil
            }
            // (a price over $100 an hour is a typo, and would carry a sum past what --json holds)
            guard let text, let value = Money.parse(text), value <= 100 else { throw fail(describe(raw.payload)) }
            return .string(Money.plain(value, places: 0))
        case .domainList, .nameList, .packageList, .patternList:
            guard let items = listItems(raw.payload) else { throw fail(describe(raw.payload)) }
            var out: [String] = []
            for item in items {
                if case .patternList = key.kind {
                    guard !item.contains(where: \.isNewline) else { throw fail("'\(item)'") }
                    out.append(item)
                } else if case .domainList = key.kind {
                    guard let domain = normalizedDomain(item) else { throw fail("'\(item)'") }
                    out.append(domain)
                } else {
                    guard isName(item, key: key) else { throw fail("'\(item)'") }
                    // the token stays with you: a sprite is where the agent, a process you do not
                    // control, runs (docs/security.md)
                    if case .nameList = key.kind, SettingKey.token.environment.contains(item) {
                        throw fail("'\(item)' (the API token never goes into a sprite)")
                    }
                    out.append(item)
                }
            }
            return .list(out)
        }
    }

    static func example(_ key: SettingKey) -> String {
        switch key.defaultValue {
        case .integer(let i)?: return String(i)
        case .bool(let b)?: return String(b)
        case .string(let s)? where !s.contains(" "): return s
        default:
            if case .domainList = key.kind { return "example.com" }
            return "VALUE"
        }
    }

    static func scalarText(_ p: RawSetting.Payload) -> String? {
        switch p {
        case .text(let s), .toml(.string(let s)): return s
        default: return nil
        }
    }

    static func describe(_ p: RawSetting.Payload) -> String {
        switch p {
        case .text(let s): return "'\(s)'"
        case .texts(let l): return "'\(l.joined(separator: ","))'"
        case .toml(let v):
            switch v {
            case .string(let s): return "'\(s)'"
            case .integer(let i): return String(i)
            case .float(let f): return String(f)
            case .bool(let b): return String(b)
            default: return "(a TOML \(v.typeName))"
            }
        }
    }

    /// Accepts `4`, `4G`, `4GB` (memory is counted in GB).
    static func parseInt(_ s: String) -> Int? {
        var t = s.trimmingCharacters(in: .whitespaces).uppercased()
        if t.hasSuffix("GB") { t.removeLast(2) } else if t.hasSuffix("G") { t.removeLast() }
        return Int(t)
    }

    /// Lists come as TOML arrays of strings, or as comma/space separated text.
    static func listItems(_ p: RawSetting.Payload) -> [String]? {
        func split(_ s: String) -> [String] {
            s.split(whereSeparator: { $0 == "," || $0 == " " || $0 == "\t" || $0 == "\n" }).map(String.init)
        }
        switch p {
        case .text(let s), .toml(.string(let s)): return split(s)
        case .texts(let l): return l.flatMap(split)
        case .toml(.array(let items)):
            var out: [String] = []
            for item in items {
                guard case .string(let s) = item else { return nil }
                out.append(s)
            }
            return out
        default: return nil
        }
    }

    /// A host name (`example.com`) with an optional leading `*.`; returns it lower-cased.
    static func normalizedDomain(_ text: String) -> String? {
        var host = Substring(text.lowercased())
        var wildcard = false
        if host.hasPrefix("*.") {
            wildcard = true
            host = host.dropFirst(2)
        }
        guard !host.isEmpty, host.count <= 253 else { return nil }
        let labels = host.split(separator: ".", omittingEmptySubsequences: false)
        for label in labels {
            guard (1...63).contains(label.count), label.first != "-", label.last != "-",
                label.allSatisfy({ ($0 >= "a" && $0 <= "z") || ($0 >= "0" && $0 <= "9") || $0 == "-" })
            else { return nil }
        }
        if wildcard && labels.count < 2 { return nil }
        return (wildcard ? "*." : "") + host
    }

    static func isName(_ s: String, key: SettingKey) -> Bool {
        if case .packageList = key.kind {
            // Debian package names, optionally pinned: name[=version]
            guard let first = s.first, first.isASCII, first.isLetter || first.isNumber else { return false }
            return s.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "+-.:=~_".contains($0)) }
        }
        guard let first = s.first, first == "_" || (first.isASCII && first.isLetter) else { return false }
        return s.allSatisfy { $0 == "_" || ($0.isASCII && ($0.isLetter || $0.isNumber)) }
    }
}
