import Foundation
import SpritesAPI

/// `--format`: a line per item from a template of `{{field}}` placeholders over the item's
/// `--json` fields (`{{name}}\t{{agent.state}}`); `\t` and `\n` are a tab and a newline. A
/// null or missing-in-this-item field is empty; a top-level name that no item can have is a
/// usage error (checked against the command's field list).
public struct Template: Sendable {
    enum Piece: Sendable {
        case text(String)
        case field([String])
    }

    let pieces: [Piece]

    public init(_ text: String) throws {
        var pieces: [Piece] = []
        var rest = Substring(
            text.replacingOccurrences(of: "\\t", with: "\t").replacingOccurrences(of: "\\n", with: "\n"))
        while let open = rest.range(of: "{{") {
            if open.lowerBound > rest.startIndex { pieces.append(.text(String(rest[..<open.lowerBound]))) }
            guard let close = rest[open.upperBound...].range(of: "}}") else {
                throw SpriteError(
                    "--format '\(text)' has a {{ without its }}",
                    hints: ["write fields as {{name}}, {{state}}, {{agent.state}}"], status: .usage)
            }
            let name = rest[open.upperBound..<close.lowerBound].trimmingCharacters(in: .whitespaces)
            let parts = name.split(separator: ".", omittingEmptySubsequences: false)
            guard !parts.isEmpty,
                parts.allSatisfy({ !$0.isEmpty && $0.allSatisfy { $0.isLetter || $0.isNumber || $0 == "_" } })
            else {
                throw SpriteError(
                    "--format '\(text)' has a field that is not a name: {{\(name)}}",
                    hints: ["write fields as {{name}}, {{state}}, {{agent.state}}"], status: .usage)
            }
            pieces.append(.field(parts.map(String.init)))
            rest = rest[close.upperBound...]
        }
        if !rest.isEmpty { pieces.append(.text(String(rest))) }
        self.pieces = pieces
    }

    /// The fields the template names that are not among `known` (top-level names), for the
    /// error, before anything is asked of the API.
    public func unknownFields(known: [String]) -> [String] {
        pieces.compactMap { piece -> String? in
            guard case .field(let path) = piece else { return nil }
            return known.contains(path[0]) ? nil : path.joined(separator: ".")
        }
    }

    /// The template filled in from one item (its `--json` document), with a newline unless
    /// it ends with one.
    public func render(_ item: some Encodable) throws -> String {
        let value = try JSONValue(document: item)
        var out = ""
        for piece in pieces {
            switch piece {
            case .text(let t): out += t
            case .field(let path): out += try value[path].map(Self.text) ?? ""
            }
        }
        return out.hasSuffix("\n") ? out : out + "\n"
    }

    static func text(_ value: JSONValue) throws -> String {
        switch value {
        case .null: return ""
        case .bool(let b): return String(b)
        case .number(let n): return JSONValue.whole(n).map(String.init) ?? String(n)
        case .string(let s): return ServerText.oneLine(s)
        case .array, .object: return String(decoding: try JSONOutput.data(value, pretty: false), as: UTF8.self)
        }
    }
}
