/// A checkpoint.
public struct Checkpoint: Codable, Sendable, Equatable {
    public var id: String
    public var createTime: String
    public var comment: String?
    public var history: [String]?
    public var isAuto: Bool?
    public var health: String?

    public init(id: String, createTime: String, comment: String) {
        (self.id, self.createTime, self.comment) = (id, createTime, comment)
        (history, isAuto, health) = ([], false, "")
    }

    enum CodingKeys: String, CodingKey {
        case id, comment, history, health
        case createTime = "create_time"
        case isAuto = "is_auto"
    }
}

/// `POST /checkpoint`.
public struct CheckpointRequest: Codable, Sendable {
    public var comment: String?

    public init(comment: String?) { self.comment = comment }
}
