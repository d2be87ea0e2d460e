import Foundation

/// A sprite as the API describes it (§2.3); unknown fields are ignored.
public struct Sprite: Decodable, Sendable, Equatable {
    public var id: String?
    public var name: String
    public var status: String?
    public var url: String?
    public var labels: [String]?
    public var createdAt: String?
    public var updatedAt: String?
    public var organization: String?
    /// sprite-host only: what this host enforces (resources, and what each network policy
    /// means here). The Sprites API has no such field.
    public var localEnforcement: LocalEnforcement?

    enum CodingKeys: String, CodingKey {
        case id, name, status, url, labels, organization
        case createdAt = "created_at"
        case updatedAt = "updated_at"
        case localEnforcement = "local_enforcement"
    }
}

/// What a local sprite-host enforces for a sprite.
public struct LocalEnforcement: Decodable, Sendable, Equatable {
    public var resources: String?
    public var network: String?
    public var networkPolicies: [String: String]?

    enum CodingKeys: String, CodingKey {
        case resources, network
        case networkPolicies = "network_policies"
    }
}

/// Options for creating a sprite.
public struct SpriteCreation: Sendable {
    public var name: String
    public var labels: [String]
    public var cpus: Int?
    public var ramMB: Int?

    public init(name: String, labels: [String] = [], cpus: Int? = nil, ramMB: Int? = nil) {
        self.name = name
        self.labels = labels
        self.cpus = cpus
        self.ramMB = ramMB
    }
}

private struct SpritePage: Decodable {
    var sprites: [Sprite]
    var hasMore: Bool?
    var nextContinuationToken: String?

    enum CodingKeys: String, CodingKey {
        case sprites
        case hasMore = "has_more"
        case nextContinuationToken = "next_continuation_token"
    }
}

extension SpritesClient {
    static func path(_ name: String) -> String { "/v1/sprites/" + encodePathSegment(name) }

    /// Creates a sprite. A create whose answer was lost is not repeated blindly: the sprite
    /// is looked up first, and returned when it carries the same labels.
    public func createSprite(_ spec: SpriteCreation) throws -> Sprite {
        var body: [String: Any] = ["name": spec.name, "labels": spec.labels]
        var config: [String: Any] = [:]
        if let cpus = spec.cpus { config["cpus"] = cpus }
        if let ram = spec.ramMB { config["ram_mb"] = ram }
        if !config.isEmpty { body["config"] = config }
        do {
            return try decode(Sprite.self, call("POST", "/v1/sprites", json: body, timeout: 120))
        } catch APIError.transport(let detail) {
            if let existing = try? getSprite(spec.name), Set(existing.labels ?? []) == Set(spec.labels) {
                return existing
            }
            throw APIError.transport(detail)
        }
    }

    /// The sprite, or nil when it does not exist.
    public func getSprite(_ name: String) throws -> Sprite? {
        let r = try call("GET", Self.path(name), accept: [404])
        if r.status == 404 { return nil }
        return try decode(Sprite.self, r)
    }

    /// Every sprite whose name starts with `prefix`, following continuation tokens.
    public func listSprites(prefix: String? = nil) throws -> [Sprite] {
        var all: [Sprite] = []
        var token: String?
        repeat {
            var query: [(String, String)] = [("max_results", "100")]
            if let prefix { query.append(("prefix", prefix)) }
            if let token { query.append(("continuation_token", token)) }
            let page = try decode(SpritePage.self, call("GET", "/v1/sprites", query: query))
            all += page.sprites
            token = (page.hasMore ?? false) ? page.nextContinuationToken : nil
            if token?.isEmpty ?? true { token = nil }
        } while token != nil
        return all
    }

    /// Replaces the sprite's labels.
    @discardableResult
    public func updateLabels(_ name: String, labels: [String]) throws -> Sprite {
        let body: [String: Any] = labels.isEmpty ? ["clear_labels": true, "labels": [String]()] : ["labels": labels]
        return try decode(Sprite.self, call("PUT", Self.path(name), json: body))
    }

    /// Deletes the sprite; a sprite that is already gone is not an error.
    public func deleteSprite(_ name: String) throws {
        try call("DELETE", Self.path(name), accept: [404])
    }
}
