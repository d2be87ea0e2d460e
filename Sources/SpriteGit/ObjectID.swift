import CGit2

/// A git object id as 40 hex digits.
public struct ObjectID: Hashable, Sendable, CustomStringConvertible, Codable {
    /// The full hexadecimal id.
    public let hex: String

    public init(hex: String) { self.hex = hex }

    init(_ oid: git_oid) {
        var copy = oid
        var out = [CChar](repeating: 0, count: Int(GIT_OID_HEXSZ) + 1)
        git_oid_fmt(&out, &copy)
        hex = String(cString: out)
    }

    /// Converts back to libgit2's representation.
    var raw: git_oid {
        var oid = git_oid()
        _ = git_oid_fromstr(&oid, hex)
        return oid
    }

    /// The first seven hex digits, as git abbreviates by default.
    public var short: String { String(hex.prefix(7)) }
    public var description: String { hex }

    public init(from decoder: Decoder) throws {
        hex = try decoder.singleValueContainer().decode(String.self)
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(hex)
    }
}
