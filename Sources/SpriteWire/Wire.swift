import Foundation

/// The one JSON dialect of the wire: snake_case keys as the types name them, sorted keys, and
/// slashes left alone (paths and URLs read as they are).
public enum Wire {
    public static func encode<T: Encodable>(_ value: T) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(value)
    }

    public static func decode<T: Decodable>(_ type: T.Type, from data: Data) throws -> T {
        try JSONDecoder().decode(type, from: data)
    }

    /// The value of an ASCII hexadecimal digit (`0`-`9`, `a`-`f`, `A`-`F`), for the escapes
    /// of JSON strings and of query strings.
    public static func hexDigit(_ byte: UInt8) -> UInt8? {
        switch byte {
        case 0x30...0x39: byte - 0x30
        case 0x41...0x46: byte - 0x41 + 10
        case 0x61...0x66: byte - 0x61 + 10
        default: nil
        }
    }

    /// A field's place in a document as the messages name it: `sprites.[0].status`.
    public static func keyPath(_ keys: [CodingKey]) -> String {
        keys.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
    }

    /// What went wrong decoding, for a 400: the field and the problem.
    public static func describe(_ error: Error) -> String {
        guard let error = error as? DecodingError else { return "\(error)" }
        func path(_ context: DecodingError.Context) -> String {
            context.codingPath.isEmpty ? "the body" : keyPath(context.codingPath)
        }
        switch error {
        case .typeMismatch(_, let c), .valueNotFound(_, let c): return "\(path(c)) has the wrong type"
        case .keyNotFound(let key, let c):
            return "\(path(c)).\(key.stringValue) is missing".replacingOccurrences(of: "the body.", with: "")
        case .dataCorrupted(let c): return "\(path(c)) is not valid: \(c.debugDescription)"
        @unknown default: return "\(error)"
        }
    }
}
