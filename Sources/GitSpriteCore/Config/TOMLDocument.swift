import Foundation

/// A TOML value as git-sprite's settings file uses it.
public enum TOMLValue: Equatable, Sendable {
    case string(String)
    case integer(Int)
    case float(Double)
    case bool(Bool)
    case array([TOMLValue])
    case table([String: TOMLValue])

    /// A short description of the type, for error messages.
    public var typeName: String {
        switch self {
        case .string: return "string"
        case .integer: return "integer"
        case .float: return "float"
        case .bool: return "boolean"
        case .array: return "array"
        case .table: return "table"
        }
    }
}

/// A syntax error in a TOML file, with its position.
public struct TOMLError: Error, Equatable, Sendable {
    public let line: Int
    public let column: Int
    public let message: String
}

/// A parsed TOML document, flattened to dotted keys (`resources.cpu`) with the line each
/// value was written on, so validation errors can point at `file:line`.
///
/// Covers TOML 1.0 as configuration files use it: tables, dotted and quoted keys, basic and
/// literal strings (single- and multi-line), integers (decimal, hex, octal, binary, `_`),
/// floats, booleans, arrays and inline tables. Dates are rejected with a clear message.
public struct TOMLDocument: Sendable {
    /// Leaf values by dotted key, with the line they were written on.
    public private(set) var values: [String: (value: TOMLValue, line: Int)] = [:]
    /// Keys in the order they were written.
    public private(set) var order: [String] = []

    public init(parsing text: String) throws {
        var p = TOMLParser(Array(text.unicodeScalars))
        var found: [(String, TOMLValue, Int)] = []
        try p.parseDocument { found.append(($0, $1, $2)) }
        for (key, value, line) in found {
            if values[key] != nil { throw TOMLError(line: line, column: 1, message: "duplicate key '\(key)'") }
            values[key] = (value, line)
            order.append(key)
        }
    }
}
