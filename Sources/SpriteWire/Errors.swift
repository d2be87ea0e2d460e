/// An error body (§1.3), or the filesystem's shape (§4.3: `error`, `code`, `path`).
public struct ErrorBody: Codable, Sendable, Equatable {
    public var error: String?
    public var message: String?
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

    enum CodingKeys: String, CodingKey {
        case error, message, code, path, limit
        case retryAfterSeconds = "retry_after_seconds"
        case windowSeconds = "window_seconds"
        case currentCount = "current_count"
        case upgradeURL = "upgrade_url"
    }
}
