/// An error body, the validation shape (`{"errors": ["…"]}`), or the filesystem's
/// shape (`error`, `code`, `path`).
public struct ErrorBody: Codable, Sendable, Equatable {
    public var error: String?
    public var message: String?
    /// The validation shape's list; entries that are not strings are left out.
    public var errors: [String]?
    public var code: String?
    public var path: String?
    public var retryAfterSeconds: Double?
    public var limit: Int?
    public var windowSeconds: Int?
    public var currentCount: Int?
    public var upgradeURL: String?

    public init(error: String, message: String, code: String? = nil, path: String? = nil) {
        (self.error, self.message, self.code, self.path) = (error, message, code, path)
    }

    /// A validation error as the API's older pages show it.
    public init(errors: [String]) { self.errors = errors }

    enum CodingKeys: String, CodingKey {
        case error, message, errors, code, path, limit
        case retryAfterSeconds = "retry_after_seconds"
        case windowSeconds = "window_seconds"
        case currentCount = "current_count"
        case upgradeURL = "upgrade_url"
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        error = try c.decodeIfPresent(String.self, forKey: .error)
        message = try c.decodeIfPresent(String.self, forKey: .message)
        code = try c.decodeIfPresent(String.self, forKey: .code)
        path = try c.decodeIfPresent(String.self, forKey: .path)
        retryAfterSeconds = try c.decodeIfPresent(Double.self, forKey: .retryAfterSeconds)
        limit = try c.decodeIfPresent(Int.self, forKey: .limit)
        windowSeconds = try c.decodeIfPresent(Int.self, forKey: .windowSeconds)
        currentCount = try c.decodeIfPresent(Int.self, forKey: .currentCount)
        upgradeURL = try c.decodeIfPresent(String.self, forKey: .upgradeURL)
        // lenient: a list of anything keeps its strings
        errors = (try? c.decodeIfPresent([LenientText].self, forKey: .errors))?.compactMap(\.text)
    }

    /// What the body says in words: `message`, else the `errors` list, else `error`.
    public var text: String? {
        if let message, !message.isEmpty { return message }
        if let errors, !errors.isEmpty { return errors.joined(separator: "; ") }
        return error
    }
}

/// A JSON value read for its text: a string, or an object's `message`/`error`; nil otherwise.
private struct LenientText: Decodable {
    let text: String?

    private struct Keys: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    init(from decoder: Decoder) throws {
        if let s = try? decoder.singleValueContainer().decode(String.self) {
            text = s
        } else if let c = try? decoder.container(keyedBy: Keys.self) {
            text =
                (try? c.decode(String.self, forKey: Keys(stringValue: "message")))
                ?? (try? c.decode(String.self, forKey: Keys(stringValue: "error")))
        } else {
            text = nil
        }
    }
}
