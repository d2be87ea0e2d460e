import Foundation
import SpriteWire

/// A service as the host keeps it in the sprite's record (the wire's `ServiceDefinition`, named).
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

    init(name: String, _ d: ServiceDefinition) {
        (self.name, cmd, args, needs, httpPort, env, dir) = (
            name, d.cmd, d.args ?? [], d.needs ?? [], d.httpPort, d.env, d.dir
        )
    }

    var definition: ServiceDefinition {
        ServiceDefinition(cmd: cmd, args: args, needs: needs, httpPort: httpPort, env: env, dir: dir)
    }
}

/// A checkpoint.
struct CheckpointRecord: Codable, Equatable, Sendable {
    var id: String
    var createTime: Date
    var comment: String

    enum CodingKeys: String, CodingKey {
        case id, comment
        case createTime = "create_time"
    }

    var wire: Checkpoint { Checkpoint(id: id, createTime: Timestamp.format(createTime), comment: comment) }
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

extension SpriteRecord {
    /// The sprite object, with every field any SDK reads.
    func wire(status: SpriteStatus, org: String, baseURL: String) -> Sprite {
        var sprite = Sprite(name: name)
        sprite.id = id
        (sprite.organization, sprite.orgSlug) = (org, org)
        sprite.status = status
        sprite.config = SpriteConfig(ramMB: ramMB, cpus: cpus, storageGB: storageGB, region: "local")
        sprite.environment = [:]
        (sprite.createdAt, sprite.updatedAt) = (Timestamp.format(createdAt), Timestamp.format(updatedAt))
        (sprite.bucketName, sprite.primaryRegion) = ("local-\(name)", "local")
        sprite.url = "\(baseURL)/v1/sprites/\(name)/http"
        sprite.urlSettings = URLSettings(auth: urlAuth)
        sprite.labels = labels
        sprite.lastRunningAt = lastRunningAt.map(Timestamp.format)
        sprite.lastWarmingAt = lastWarmingAt.map(Timestamp.format)
        sprite.lastStartedAt = sprite.lastRunningAt
        sprite.lastActiveAt = sprite.lastRunningAt
        (sprite.version, sprite.environmentVersion) = (Product.apiVersion, "local")
        return sprite
    }
}
