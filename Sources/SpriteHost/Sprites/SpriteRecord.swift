import Foundation

/// A network policy rule (`sprites-api.md` §6): exactly one of `domain` and `include`.
struct PolicyRule: Codable, Equatable, Sendable {
    var domain: String?
    var action: String?
    var include: String?
}

/// A service definition (§7.1).
struct ServiceSpec: Codable, Equatable, Sendable {
    var name: String
    var cmd: String
    var args: [String]
    var needs: [String]
    var httpPort: Int?
    var env: [String: String]?
    var dir: String?

    enum CodingKeys: String, CodingKey {
        case name, cmd, args, needs, env, dir
        case httpPort = "http_port"
    }
}

/// A checkpoint (§5.3).
struct CheckpointRecord: Codable, Equatable, Sendable {
    var id: String
    var createTime: Date
    var comment: String

    enum CodingKeys: String, CodingKey {
        case id, comment
        case createTime = "create_time"
    }
}

/// Everything the host persists about one sprite, in `<root>/sprites/<name>/sprite.json`.
struct SpriteRecord: Codable, Sendable {
    var id: String
    var name: String
    var labels: [String]
    var urlAuth: String
    var createdAt: Date
    var updatedAt: Date
    var lastRunningAt: Date?
    var lastWarmingAt: Date?
    var ramMB: Int
    var cpus: Int
    var storageGB: Int
    var policy: [PolicyRule]
    var services: [ServiceSpec]
    var checkpoints: [CheckpointRecord]
    var nextCheckpoint: Int
    /// Which host user the sprite is, when sprite-host runs as root (`HostPlatform.account`).
    var slot: Int?
}

/// RFC 3339 with whole seconds and `Z`, as every SDK can parse.
enum Timestamp {
    static func format(_ date: Date) -> String {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime]
        f.timeZone = TimeZone(identifier: "UTC")
        return f.string(from: date)
    }
}

extension SpriteRecord {
    /// The sprite object of §2.3, with every field any SDK reads.
    func json(status: String, org: String, baseURL: String) -> [String: Any] {
        let nullable: (Date?) -> Any = { $0.map(Timestamp.format) ?? NSNull() }
        return [
            "id": id, "name": name, "organization": org, "org_slug": org, "status": status,
            "config": ["ram_mb": ramMB, "cpus": cpus, "storage_gb": storageGB, "region": "local"],
            "environment": [String: String](),
            "created_at": Timestamp.format(createdAt), "updated_at": Timestamp.format(updatedAt),
            "bucket_name": "local-\(name)", "primary_region": "local",
            "url": "\(baseURL)/v1/sprites/\(name)/http",
            "url_settings": ["auth": urlAuth],
            "labels": labels,
            "last_running_at": nullable(lastRunningAt), "last_warming_at": nullable(lastWarmingAt),
            "last_started_at": nullable(lastRunningAt), "last_active_at": nullable(lastRunningAt),
            "version": "v0.1.0", "environment_version": "local",
        ]
    }
}
