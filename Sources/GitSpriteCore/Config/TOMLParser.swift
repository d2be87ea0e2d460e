import Foundation

/// A recursive-descent reader of the TOML subset configuration files use, one scalar at a time.
struct TOMLParser {
    let s: [Unicode.Scalar]
    var i = 0
    var line = 1
    var lineStart = 0
    var tables: Set<String> = []

    init(_ s: [Unicode.Scalar]) { self.s = s }

    func error(_ message: String) -> TOMLError {
        TOMLError(line: line, column: i - lineStart + 1, message: message)
    }

    var atEnd: Bool { i >= s.count }
    var peek: Unicode.Scalar? { i < s.count ? s[i] : nil }

    mutating func advance() {
        if s[i] == "\n" {
            line += 1
            lineStart = i + 1
        }
        i += 1
    }

    mutating func skipSpaces() {
        while let c = peek, c == " " || c == "\t" { advance() }
    }

    mutating func skipComment() {
        if peek == "#" { while let c = peek, c != "\n" { advance() } }
    }

    /// Skips blanks, comments and newlines (inside arrays).
    mutating func skipTrivia() {
        while let c = peek {
            if c == " " || c == "\t" || c == "\n" || c == "\r" {
                advance()
            } else if c == "#" {
                skipComment()
            } else {
                break
            }
        }
    }

    mutating func expectLineEnd() throws {
        skipSpaces()
        skipComment()
        if peek == "\r" { advance() }
        guard atEnd || peek == "\n" else { throw error("expected the end of the line") }
        if !atEnd { advance() }
    }

    mutating func parseDocument(_ emit: (String, TOMLValue, Int) throws -> Void) throws {
        var prefix: [String] = []
        while true {
            skipTrivia()
            guard let c = peek else { return }
            if c == "[" {
                advance()
                if peek == "[" { throw error("arrays of tables ([[...]]) are not used in this file") }
                skipSpaces()
                let key = try parseKey()
                skipSpaces()
                guard peek == "]" else { throw error("expected ']' to close the table header") }
                advance()
                let name = key.joined(separator: ".")
                if tables.contains(name) { throw error("table [\(name)] is defined twice") }
                tables.insert(name)
                prefix = key
                try expectLineEnd()
            } else {
                let startLine = line
                let key = try parseKey()
                skipSpaces()
                guard peek == "=" else { throw error("expected '=' after the key") }
                advance()
                skipSpaces()
                let value = try parseValue()
                try flatten(prefix + key, value, startLine, emit)
                try expectLineEnd()
            }
        }
    }

    func flatten(
        _ key: [String], _ value: TOMLValue, _ line: Int,
        _ emit: (String, TOMLValue, Int) throws -> Void
    ) throws {
        if case .table(let t) = value {
            for (k, v) in t.sorted(by: { $0.key < $1.key }) { try flatten(key + [k], v, line, emit) }
        } else {
            try emit(key.joined(separator: "."), value, line)
        }
    }

    mutating func parseKey() throws -> [String] {
        var parts: [String] = []
        while true {
            skipSpaces()
            guard let c = peek else { throw error("expected a key") }
            if c == "\"" {
                parts.append(try parseBasicString())
            } else if c == "'" {
                parts.append(try parseLiteralString())
            } else {
                var k = ""
                while let c = peek, isBareKeyChar(c) {
                    k.unicodeScalars.append(c)
                    advance()
                }
                if k.isEmpty { throw error("expected a key, found '\(c)'") }
                parts.append(k)
            }
            skipSpaces()
            if peek == "." { advance() } else { return parts }
        }
    }

    func isBareKeyChar(_ c: Unicode.Scalar) -> Bool {
        (c >= "a" && c <= "z") || (c >= "A" && c <= "Z") || (c >= "0" && c <= "9") || c == "_" || c == "-"
    }

    mutating func parseValue() throws -> TOMLValue {
        guard let c = peek else { throw error("expected a value") }
        switch c {
        case "\"": return .string(try parseBasicString())
        case "'": return .string(try parseLiteralString())
        case "[": return try parseArray()
        case "{": return try parseInlineTable()
        case "t", "f": return try parseBool()
        default: return try parseNumber()
        }
    }

    mutating func starts(with text: String) -> Bool {
        let scalars = Array(text.unicodeScalars)
        guard i + scalars.count <= s.count else { return false }
        return Array(s[i..<i + scalars.count]) == scalars
    }

    mutating func parseBasicString() throws -> String {
        let multi = starts(with: "\"\"\"")
        for _ in 0..<(multi ? 3 : 1) { advance() }
        if multi && peek == "\n" { advance() }
        var out = ""
        while true {
            guard let c = peek else { throw error("unterminated string") }
            if multi && starts(with: "\"\"\"") {
                for _ in 0..<3 { advance() }
                return out
            }
            if !multi && c == "\"" {
                advance()
                return out
            }
            if !multi && c == "\n" { throw error("newline inside a string") }
            if c == "\\" {
                advance()
                guard let e = peek else { throw error("unterminated escape") }
                switch e {
                case "n": out += "\n"
                case "t": out += "\t"
                case "r": out += "\r"
                case "b": out += "\u{8}"
                case "f": out += "\u{c}"
                case "\"": out += "\""
                case "\\": out += "\\"
                case "u", "U":
                    let n = e == "u" ? 4 : 8
                    advance()
                    var hex = ""
                    for _ in 0..<n {
                        guard let h = peek else { throw error("bad unicode escape") }
                        hex.unicodeScalars.append(h)
                        advance()
                    }
                    guard let v = UInt32(hex, radix: 16), let u = Unicode.Scalar(v) else {
                        throw error("bad unicode escape \\\(e)\(hex)")
                    }
                    out.unicodeScalars.append(u)
                    continue
                case "\n" where multi:
                    skipTrivia()
                    continue
                default: throw error("unknown escape '\\\(e)'")
                }
                advance()
                continue
            }
            out.unicodeScalars.append(c)
            advance()
        }
    }

    mutating func parseLiteralString() throws -> String {
        let multi = starts(with: "'''")
        for _ in 0..<(multi ? 3 : 1) { advance() }
        if multi && peek == "\n" { advance() }
        var out = ""
        while true {
            guard let c = peek else { throw error("unterminated string") }
            if multi && starts(with: "'''") {
                for _ in 0..<3 { advance() }
                return out
            }
            if !multi && c == "'" {
                advance()
                return out
            }
            if !multi && c == "\n" { throw error("newline inside a string") }
            out.unicodeScalars.append(c)
            advance()
        }
    }

    mutating func parseBool() throws -> TOMLValue {
        if starts(with: "true") {
            for _ in 0..<4 { advance() }
            return .bool(true)
        }
        if starts(with: "false") {
            for _ in 0..<5 { advance() }
            return .bool(false)
        }
        throw error("expected a value (strings need quotes)")
    }

    mutating func parseNumber() throws -> TOMLValue {
        var raw = ""
        while let c = peek,
            !(c == " " || c == "\t" || c == "\n" || c == "\r" || c == "," || c == "]"
                || c == "}" || c == "#")
        {
            raw.unicodeScalars.append(c)
            advance()
        }
        if raw.isEmpty { throw error("expected a value") }
        let clean = raw.replacingOccurrences(of: "_", with: "")
        for (prefix, radix) in [("0x", 16), ("0o", 8), ("0b", 2)] where clean.hasPrefix(prefix) {
            guard let v = Int(clean.dropFirst(2), radix: radix) else { throw error("invalid number '\(raw)'") }
            return .integer(v)
        }
        if let v = Int(clean) {
            if clean.count > 1 && (clean.hasPrefix("0") || clean.hasPrefix("+0") || clean.hasPrefix("-0")) {
                throw error("leading zeros are not allowed in '\(raw)'")
            }
            return .integer(v)
        }
        if raw.count >= 8, raw.dropFirst(4).first == "-", Int(raw.prefix(4)) != nil {
            throw error("dates and times are not used in this file ('\(raw)')")
        }
        if ["inf", "+inf"].contains(clean) { return .float(.infinity) }
        if clean == "-inf" { return .float(-.infinity) }
        if ["nan", "+nan", "-nan"].contains(clean) { return .float(.nan) }
        if let v = Double(clean), clean.first != ".", clean.last != "." { return .float(v) }
        throw error("invalid value '\(raw)' (strings need quotes)")
    }

    mutating func parseArray() throws -> TOMLValue {
        advance()
        var items: [TOMLValue] = []
        while true {
            skipTrivia()
            guard let c = peek else { throw error("unterminated array") }
            if c == "]" {
                advance()
                return .array(items)
            }
            items.append(try parseValue())
            skipTrivia()
            if peek == "," {
                advance()
                continue
            }
            skipTrivia()
            guard peek == "]" else { throw error("expected ',' or ']' in the array") }
        }
    }

    mutating func parseInlineTable() throws -> TOMLValue {
        advance()
        var table: [String: TOMLValue] = [:]
        skipSpaces()
        if peek == "}" {
            advance()
            return .table(table)
        }
        while true {
            skipSpaces()
            let key = try parseKey()
            skipSpaces()
            guard peek == "=" else { throw error("expected '=' in the inline table") }
            advance()
            skipSpaces()
            let value = try parseValue()
            let name = key.joined(separator: ".")
            if table[name] != nil { throw error("duplicate key '\(name)'") }
            table[name] = value
            skipSpaces()
            if peek == "," {
                advance()
                continue
            }
            guard peek == "}" else { throw error("expected ',' or '}' in the inline table") }
            advance()
            return .table(table)
        }
    }
}
