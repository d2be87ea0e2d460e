import Foundation

/// A sprite's status (Sprites API); a value this version does not know is kept.
public enum SpriteStatus: Codable, Sendable, Hashable, CustomStringConvertible {
    case cold, warm, running
    case other(String)

    public init(_ text: String) {
        switch text {
        case "cold": self = .cold
        case "warm": self = .warm
        case "running": self = .running
        default: self = .other(text)
        }
    }

    public var description: String {
        switch self {
        case .cold: return "cold"
        case .warm: return "warm"
        case .running: return "running"
        case .other(let text): return text
        }
    }

    public init(from decoder: Decoder) throws { self.init(try decoder.singleValueContainer().decode(String.self)) }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(description)
    }
}

/// A sprite's resources.
public struct SpriteConfig: Codable, Sendable, Equatable {
    public var ramMB: Int?
    public var cpus: Int?
    public var storageGB: Int?
    public var region: String?

    public init(ramMB: Int? = nil, cpus: Int? = nil, storageGB: Int? = nil, region: String? = nil) {
        (self.ramMB, self.cpus, self.storageGB, self.region) = (ramMB, cpus, storageGB, region)
    }

    enum CodingKeys: String, CodingKey {
        case cpus, region
        case ramMB = "ram_mb"
        case storageGB = "storage_gb"
    }
}

/// Who may open a sprite's URL.
public struct URLSettings: Codable, Sendable, Equatable {
    public var auth: String?

    public init(auth: String? = nil) { self.auth = auth }
}

/// sprite-host only: what a local host enforces for a sprite. The Sprites API has no such field.
public struct LocalEnforcement: Codable, Sendable, Equatable {
    public var resources: String?
    /// Whether `storage_gb` bounds what the sprite can write.
    public var storage: String?
    public var network: String?
    /// What each network policy `git sprite up` can ask for means on this host.
    public var networkPolicies: [String: String]?

    public init(resources: String?, storage: String? = nil, network: String?, networkPolicies: [String: String]?) {
        (self.resources, self.storage, self.network, self.networkPolicies) = (
            resources, storage, network, networkPolicies
        )
    }

    enum CodingKeys: String, CodingKey {
        case resources, storage, network
        case networkPolicies = "network_policies"
    }
}

/// A sprite. Every field an SDK reads; the timestamps that may be unknown are sent as
/// `null` rather than left out.
public struct Sprite: Codable, Sendable, Equatable {
    public var id: String?
    public var name: String
    public var organization: String?
    public var orgSlug: String?
    public var status: SpriteStatus?
    public var config: SpriteConfig?
    public var environment: [String: String]?
    public var createdAt: String?
    public var updatedAt: String?
    public var bucketName: String?
    public var primaryRegion: String?
    public var url: String?
    public var urlSettings: URLSettings?
    public var labels: [String]?
    public var lastRunningAt: String?
    public var lastWarmingAt: String?
    public var lastStartedAt: String?
    public var lastActiveAt: String?
    public var version: String?
    public var environmentVersion: String?
    public var localEnforcement: LocalEnforcement?

    public init(name: String) { self.name = name }

    enum CodingKeys: String, CodingKey {
        case id, name, organization, status, config, environment, url, labels, version
        case orgSlug = "org_slug"
        case createdAt = "created_at"
        case updatedAt = "updated_at"
        case bucketName = "bucket_name"
        case primaryRegion = "primary_region"
        case urlSettings = "url_settings"
        case lastRunningAt = "last_running_at"
        case lastWarmingAt = "last_warming_at"
        case lastStartedAt = "last_started_at"
        case lastActiveAt = "last_active_at"
        case environmentVersion = "environment_version"
        case localEnforcement = "local_enforcement"
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(name, forKey: .name)
        try c.encodeIfPresent(id, forKey: .id)
        try c.encodeIfPresent(organization, forKey: .organization)
        try c.encodeIfPresent(orgSlug, forKey: .orgSlug)
        try c.encodeIfPresent(status, forKey: .status)
        try c.encodeIfPresent(config, forKey: .config)
        try c.encodeIfPresent(environment, forKey: .environment)
        try c.encodeIfPresent(createdAt, forKey: .createdAt)
        try c.encodeIfPresent(updatedAt, forKey: .updatedAt)
        try c.encodeIfPresent(bucketName, forKey: .bucketName)
        try c.encodeIfPresent(primaryRegion, forKey: .primaryRegion)
        try c.encodeIfPresent(url, forKey: .url)
        try c.encodeIfPresent(urlSettings, forKey: .urlSettings)
        try c.encodeIfPresent(labels, forKey: .labels)
        // unknown times are null, not absent: Go and Python read them either way
        try c.encode(lastRunningAt, forKey: .lastRunningAt)
        try c.encode(lastWarmingAt, forKey: .lastWarmingAt)
        try c.encode(lastStartedAt, forKey: .lastStartedAt)
        try c.encode(lastActiveAt, forKey: .lastActiveAt)
        try c.encodeIfPresent(version, forKey: .version)
        try c.encodeIfPresent(environmentVersion, forKey: .environmentVersion)
        try c.encodeIfPresent(localEnforcement, forKey: .localEnforcement)
    }
}

/// `POST /v1/sprites`.
public struct SpriteCreateRequest: Codable, Sendable {
    public var name: String
    public var labels: [String]?
    public var config: SpriteConfig?
    public var urlSettings: URLSettings?

    public init(name: String, labels: [String]? = nil, config: SpriteConfig? = nil) {
        (self.name, self.labels, self.config) = (name, labels, config)
    }

    enum CodingKeys: String, CodingKey {
        case name, labels, config
        case urlSettings = "url_settings"
    }
}

/// `PUT /v1/sprites/{name}`: omitted fields stay as they are.
public struct SpriteUpdateRequest: Codable, Sendable {
    public var labels: [String]?
    public var clearLabels: Bool?
    public var urlSettings: URLSettings?

    public init(labels: [String]? = nil, clearLabels: Bool? = nil, urlSettings: URLSettings? = nil) {
        (self.labels, self.clearLabels, self.urlSettings) = (labels, clearLabels, urlSettings)
    }

    enum CodingKeys: String, CodingKey {
        case labels
        case clearLabels = "clear_labels"
        case urlSettings = "url_settings"
    }
}

/// How many sprites of the organisation are in each state.
public struct OrganizationCounts: Codable, Sendable, Equatable {
    public var name: String?
    public var running: Int
    public var warm: Int
    public var cold: Int
    public var runningLimit: Int?
    public var warmLimit: Int?

    public init(name: String?, running: Int, warm: Int, cold: Int, runningLimit: Int?, warmLimit: Int?) {
        (self.name, self.running, self.warm, self.cold) = (name, running, warm, cold)
        (self.runningLimit, self.warmLimit) = (runningLimit, warmLimit)
    }

    enum CodingKeys: String, CodingKey {
        case name, running, warm, cold
        case runningLimit = "running_limit"
        case warmLimit = "warm_limit"
    }
}

/// A page of `GET /v1/sprites`, with the counts both as `org` and at the top level.
public struct SpriteList: Codable, Sendable {
    public var sprites: [Sprite]
    public var hasMore: Bool?
    public var nextContinuationToken: String?
    public var org: OrganizationCounts?
    public var running: Int?
    public var warm: Int?
    public var cold: Int?

    public init(sprites: [Sprite], hasMore: Bool, nextContinuationToken: String?, org: OrganizationCounts) {
        (self.sprites, self.hasMore, self.nextContinuationToken, self.org) = (
            sprites, hasMore, nextContinuationToken, org
        )
        (running, warm, cold) = (org.running, org.warm, org.cold)
    }

    enum CodingKeys: String, CodingKey {
        case sprites, org, running, warm, cold
        case hasMore = "has_more"
        case nextContinuationToken = "next_continuation_token"
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(sprites, forKey: .sprites)
        try c.encodeIfPresent(hasMore, forKey: .hasMore)
        try c.encode(nextContinuationToken, forKey: .nextContinuationToken)  // null on the last page
        try c.encodeIfPresent(org, forKey: .org)
        try c.encodeIfPresent(running, forKey: .running)
        try c.encodeIfPresent(warm, forKey: .warm)
        try c.encodeIfPresent(cold, forKey: .cold)
    }
}
