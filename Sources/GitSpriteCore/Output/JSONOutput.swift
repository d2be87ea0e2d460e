import Foundation

/// `--json`: every command that reports something prints one typed, Codable document (its
/// `…Output` model): pretty-printed, keys sorted, slashes unescaped, a newline at the end.
/// The documents are listed in docs/conventions.md.
public enum JSONOutput {
    public static func encode(_ value: some Encodable) throws -> String {
        let text = String(decoding: try data(value, pretty: true), as: UTF8.self)
        // Foundation prints an empty array or object over three lines; a string never holds a
        // raw newline, so this touches only those
        return text.replacingOccurrences(of: #"\[\n\n *\]"#, with: "[]", options: .regularExpression)
            .replacingOccurrences(of: #"\{\n\n *\}"#, with: "{}", options: .regularExpression) + "\n"
    }

    static func data(_ value: some Encodable, pretty: Bool) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting =
            pretty
            ? [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            : [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return try encoder.encode(value)
    }
}

/// Every field a document declares is always present: in this module a synthesized
/// `Encodable` writes a nil optional as `null` instead of leaving the key out, so a script
/// can tell "none" from "this version does not have it". (Synthesized encoders call
/// `encodeIfPresent`; these overloads, more specific than the standard library's for the
/// types the documents use, are the ones they find here.)
extension KeyedEncodingContainer {
    mutating func encodeIfPresent<T: Encodable>(_ value: T?, forKey key: Key) throws {
        if let value { try encode(value, forKey: key) } else { try encodeNil(forKey: key) }
    }

    mutating func encodeIfPresent(_ value: String?, forKey key: Key) throws {
        if let value { try encode(value, forKey: key) } else { try encodeNil(forKey: key) }
    }

    mutating func encodeIfPresent(_ value: Int?, forKey key: Key) throws {
        if let value { try encode(value, forKey: key) } else { try encodeNil(forKey: key) }
    }

    mutating func encodeIfPresent(_ value: Int32?, forKey key: Key) throws {
        if let value { try encode(value, forKey: key) } else { try encodeNil(forKey: key) }
    }

    mutating func encodeIfPresent(_ value: Double?, forKey key: Key) throws {
        if let value { try encode(value, forKey: key) } else { try encodeNil(forKey: key) }
    }

    mutating func encodeIfPresent(_ value: Bool?, forKey key: Key) throws {
        if let value { try encode(value, forKey: key) } else { try encodeNil(forKey: key) }
    }
}

/// A JSON value read back from a document, for `--format` to look fields up in.
public indirect enum JSONValue: Codable, Equatable, Sendable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    /// `value` as its `--json` document reads.
    public init(document value: some Encodable) throws {
        self = try JSONDecoder().decode(JSONValue.self, from: JSONOutput.data(value, pretty: false))
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() {
            self = .null
        } else if let b = try? c.decode(Bool.self) {
            self = .bool(b)
        } else if let n = try? c.decode(Double.self) {
            self = .number(n)
        } else if let s = try? c.decode(String.self) {
            self = .string(s)
        } else if let a = try? c.decode([JSONValue].self) {
            self = .array(a)
        } else {
            self = .object(try c.decode([String: JSONValue].self))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .null: try c.encodeNil()
        case .bool(let b): try c.encode(b)
        case .number(let n):
            if let whole = Self.whole(n) { try c.encode(whole) } else { try c.encode(n) }
        case .string(let s): try c.encode(s)
        case .array(let a): try c.encode(a)
        case .object(let o): try c.encode(o)
        }
    }

    /// A number that is whole as an integer, so it reads `4`, not `4.0`.
    static func whole(_ n: Double) -> Int? { n == n.rounded() && abs(n) < 1e15 ? Int(n) : nil }

    /// The value at a path of object keys, nil where there is none.
    public subscript(path: [String]) -> JSONValue? {
        var current = self
        for key in path {
            guard case .object(let fields) = current, let next = fields[key] else { return nil }
            current = next
        }
        return current
    }
}

/// The document of a command that acts (`down`, `fetch`, `apply`, `cp`, `checkpoint`,
/// `restore`): without `--json` only its notes are shown, on stderr.
public protocol ActionOutput: Encodable, Sendable {
    /// What the command says, one line each.
    var notes: [String] { get }
}
