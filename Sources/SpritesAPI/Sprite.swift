import Foundation
@_exported import SpriteWire

/// Options for creating a sprite.
public struct SpriteCreation: Sendable {
    public var name: String
    public var labels: [String]
    public var cpus: Int?
    public var ramMB: Int?
    public var storageGB: Int?

    public init(name: String, labels: [String] = [], cpus: Int? = nil, ramMB: Int? = nil, storageGB: Int? = nil) {
        self.name = name
        self.labels = labels
        self.cpus = cpus
        self.ramMB = ramMB
        self.storageGB = storageGB
    }
}

extension SpritesClient {
    static func path(_ name: String) -> String { "/v1/sprites/" + encodePathSegment(name) }

    /// Creates a sprite. A create whose answer was lost is not repeated blindly: the sprite
    /// is looked up first, and returned when it carries the same labels.
    public func createSprite(_ spec: SpriteCreation) throws -> Sprite {
        let config =
            spec.cpus == nil && spec.ramMB == nil && spec.storageGB == nil
            ? nil : SpriteConfig(ramMB: spec.ramMB, cpus: spec.cpus, storageGB: spec.storageGB)
        let body = SpriteCreateRequest(name: spec.name, labels: spec.labels, config: config)
        do {
            return try decode(Sprite.self, call("POST", "/v1/sprites", body: body, timeout: 120))
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
            let page = try decode(SpriteList.self, call("GET", "/v1/sprites", query: query))
            all += page.sprites
            token = (page.hasMore ?? false) ? page.nextContinuationToken : nil
            if token?.isEmpty ?? true { token = nil }
        } while token != nil
        return all
    }

    /// Replaces the sprite's labels.
    @discardableResult
    public func updateLabels(_ name: String, labels: [String]) throws -> Sprite {
        let body = SpriteUpdateRequest(labels: labels, clearLabels: labels.isEmpty ? true : nil)
        return try decode(Sprite.self, call("PUT", Self.path(name), body: body))
    }

    /// Who may open the sprite's URL: `sprite` (the organisation) or `public` (anyone).
    @discardableResult
    public func setURLAuth(_ name: String, auth: String) throws -> Sprite {
        try decode(
            Sprite.self, call("PUT", Self.path(name), body: SpriteUpdateRequest(urlSettings: URLSettings(auth: auth))))
    }

    /// A sprite-host extension: a one-time link that logs a browser in to a private sprite's
    /// URL; nil from a service without it.
    public func urlLoginLink(_ name: String) throws -> String? {
        let r = try call("POST", Self.path(name) + "/url/login", accept: [404, 405])
        guard (200..<300).contains(r.status) else { return nil }
        return (try? JSONDecoder().decode([String: String].self, from: r.body))?["url"]
    }

    /// Deletes the sprite; a sprite that is already gone is not an error.
    public func deleteSprite(_ name: String) throws {
        try call("DELETE", Self.path(name), accept: [404])
    }
}
