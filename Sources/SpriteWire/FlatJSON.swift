/// A JSON object whose values are all strings, numbers, booleans or null, read without
/// JSONDecoder: the exec stream's text messages (`session_info`, `exit`, `port_opened`) are
/// such objects, and the first use of Codable in a process costs about 1 ms of type lookups,
/// more than the rest of reading an exit. Anything else (a nested value, a key given twice,
/// text that is not JSON) reads as nil, and the caller decodes it the usual way.
public struct FlatJSON: Sendable, Equatable {
    public enum Value: Sendable, Equatable {
        case string(String)
        /// The number as written (JSON's grammar, checked).
        case number(String)
        case bool(Bool)
        case null
    }

    public let values: [String: Value]

    public subscript(key: String) -> Value? { values[key] }

    public init?(_ text: String) {
        var reader = Reader(bytes: Array(text.utf8))
        guard let values = reader.object(), reader.atEnd else { return nil }
        self.values = values
    }

    public init(values: [String: Value]) { self.values = values }

    /// The value of `key` if it is a string (nil when absent, null or another type).
    public func string(_ key: String) -> String? {
        if case .string(let s)? = values[key] { return s }
        return nil
    }

    /// The value of `key` as a whole number, if it is written as one (`12`, `-3`: no fraction,
    /// no exponent) and fits an Int.
    public func integer(_ key: String) -> Int? {
        guard case .number(let text)? = values[key], !text.contains(where: { ".eE".contains($0) }) else { return nil }
        return Int(text)
    }

    /// Whether `key` is absent, null, or of `kind`: what an optional field of a Codable type
    /// takes without failing. `.integer` is a number written whole that fits an Int; `.number`
    /// one a Double holds (finite, and zero only when written as zero).
    public func fits(_ key: String, _ kind: Kind) -> Bool {
        switch (values[key], kind) {
        case (nil, _), (.null?, _), (.string?, .string), (.bool?, .bool): return true
        case (.number(let text)?, .number):
            // finite, and not a non-zero number too small for a Double (1e-400): JSONDecoder
            // refuses both
            guard let value = Double(text), value.isFinite else { return false }
            return value != 0 || !text.prefix { $0 != "e" && $0 != "E" }.contains { ("1"..."9").contains($0) }
        case (.number?, .integer): return integer(key) != nil
        default: return false
        }
    }

    public enum Kind: Sendable { case string, integer, number, bool }

    private struct Reader {
        let bytes: [UInt8]
        var at = 0

        var atEnd: Bool {
            mutating get {
                skipSpace()
                return at == bytes.count
            }
        }

        mutating func skipSpace() {
            while at < bytes.count {
                switch bytes[at] {
                case 0x20, 0x09, 0x0A, 0x0D: at += 1
                default: return
                }
            }
        }

        mutating func take(_ byte: UInt8) -> Bool {
            skipSpace()
            guard at < bytes.count, bytes[at] == byte else { return false }
            at += 1
            return true
        }

        mutating func object() -> [String: Value]? {
            guard take(UInt8(ascii: "{")) else { return nil }
            var values: [String: Value] = [:]
            if take(UInt8(ascii: "}")) { return values }
            repeat {
                skipSpace()
                guard let key = string(), take(UInt8(ascii: ":")), let value = value(),
                    values.updateValue(value, forKey: key) == nil
                else { return nil }
            } while take(UInt8(ascii: ","))
            return take(UInt8(ascii: "}")) ? values : nil
        }

        mutating func value() -> Value? {
            skipSpace()
            guard at < bytes.count else { return nil }
            switch bytes[at] {
            case UInt8(ascii: "\""): return string().map(Value.string)
            case UInt8(ascii: "t"): return word("true") ? .bool(true) : nil
            case UInt8(ascii: "f"): return word("false") ? .bool(false) : nil
            case UInt8(ascii: "n"): return word("null") ? .null : nil
            default: return number().map(Value.number)
            }
        }

        mutating func word(_ text: StaticString) -> Bool {
            let n = text.utf8CodeUnitCount
            guard at + n <= bytes.count else { return false }
            for i in 0..<n where bytes[at + i] != text.utf8Start[i] { return false }
            at += n
            return true
        }

        /// `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`
        mutating func number() -> String? {
            let start = at
            func digits() -> Int {
                let from = at
                while at < bytes.count, bytes[at] >= 0x30, bytes[at] <= 0x39 { at += 1 }
                return at - from
            }
            if at < bytes.count, bytes[at] == UInt8(ascii: "-") { at += 1 }
            guard at < bytes.count else { return nil }
            if bytes[at] == UInt8(ascii: "0") {
                at += 1
            } else if digits() == 0 {
                return nil
            }
            if at < bytes.count, bytes[at] == UInt8(ascii: ".") {
                at += 1
                guard digits() > 0 else { return nil }
            }
            if at < bytes.count, bytes[at] == UInt8(ascii: "e") || bytes[at] == UInt8(ascii: "E") {
                at += 1
                if at < bytes.count, bytes[at] == UInt8(ascii: "+") || bytes[at] == UInt8(ascii: "-") { at += 1 }
                guard digits() > 0 else { return nil }
            }
            return String(decoding: bytes[start..<at], as: UTF8.self)
        }

        /// A string at `at` (which must be its quote), its escapes read.
        mutating func string() -> String? {
            guard at < bytes.count, bytes[at] == UInt8(ascii: "\"") else { return nil }
            at += 1
            var out: [UInt8] = []
            while at < bytes.count {
                let byte = bytes[at]
                at += 1
                switch byte {
                case UInt8(ascii: "\""): return String(decoding: out, as: UTF8.self)
                case UInt8(ascii: "\\"):
                    guard escape(into: &out) else { return nil }
                case 0..<0x20: return nil
                default: out.append(byte)
                }
            }
            return nil
        }

        mutating func escape(into out: inout [UInt8]) -> Bool {
            guard at < bytes.count else { return false }
            let byte = bytes[at]
            at += 1
            let plain: UInt8? =
                switch byte {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): byte
                case UInt8(ascii: "b"): 0x08
                case UInt8(ascii: "f"): 0x0C
                case UInt8(ascii: "n"): 0x0A
                case UInt8(ascii: "r"): 0x0D
                case UInt8(ascii: "t"): 0x09
                default: nil
                }
            if let plain {
                out.append(plain)
                return true
            }
            guard byte == UInt8(ascii: "u"), var scalar = hex4() else { return false }
            if (0xD800..<0xDC00).contains(scalar) {
                // a high surrogate must be followed by an escaped low one
                guard word("\\u"), let low = hex4(), (0xDC00..<0xE000).contains(low) else { return false }
                scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
            } else if (0xDC00..<0xE000).contains(scalar) {
                return false
            }
            guard let unicode = Unicode.Scalar(scalar) else { return false }
            out.append(contentsOf: String(Character(unicode)).utf8)
            return true
        }

        mutating func hex4() -> UInt32? {
            guard at + 4 <= bytes.count else { return nil }
            var value: UInt32 = 0
            for byte in bytes[at..<at + 4] {
                guard let digit = Wire.hexDigit(byte) else { return nil }
                value = value << 4 | UInt32(digit)
            }
            at += 4
            return value
        }
    }
}
