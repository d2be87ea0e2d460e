/// A task of the in-sprite API: while one lives, the sprite stays running.
public struct TaskInfo: Codable, Sendable, Equatable {
    public var name: String
    public var startedAt: String
    public var expiresAt: String

    public init(name: String, startedAt: String, expiresAt: String) {
        (self.name, self.startedAt, self.expiresAt) = (name, startedAt, expiresAt)
    }

    enum CodingKeys: String, CodingKey {
        case name
        case startedAt = "started_at"
        case expiresAt = "expires_at"
    }
}

/// `GET /v1/tasks`.
public struct TaskList: Codable, Sendable {
    public var tasks: [TaskInfo]

    public init(_ tasks: [TaskInfo]) { self.tasks = tasks }
}

/// `POST /v1/tasks` and `PUT /v1/tasks/{name}`.
public struct TaskRequest: Codable, Sendable {
    public var name: String?
    public var expire: String?

    public init(name: String? = nil, expire: String? = nil) { (self.name, self.expire) = (name, expire) }
}
