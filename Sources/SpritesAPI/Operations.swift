import Foundation

/// A checkpoint (§5.3).
public struct Checkpoint: Decodable, Sendable, Equatable {
    public var id: String
    public var createTime: String
    public var comment: String?

    enum CodingKeys: String, CodingKey {
        case id, comment
        case createTime = "create_time"
    }
}

/// A network policy rule (§6).
public struct PolicyRule: Codable, Sendable, Equatable {
    public var domain: String?
    public var action: String?
    public var include: String?

    public init(domain: String? = nil, action: String? = nil, include: String? = nil) {
        self.domain = domain
        self.action = action
        self.include = include
    }
}

private struct PolicyDocument: Codable { var rules: [PolicyRule] }

/// A service definition and its state (§7.1).
public struct Service: Decodable, Sendable {
    public struct State: Decodable, Sendable {
        public var status: String
        public var pid: Int?
        public var restartCount: Int?

        enum CodingKeys: String, CodingKey {
            case status, pid
            case restartCount = "restart_count"
        }
    }

    public var name: String
    public var cmd: String
    public var args: [String]
    public var state: State?
}

extension SpritesClient {
    /// Creates a checkpoint and returns its id (taken from the stream's `complete` message).
    public func createCheckpoint(_ sprite: String, comment: String = "") throws -> String {
        var id: String?
        var failure: String?
        try streamNDJSON("POST", Self.path(sprite) + "/checkpoint", json: ["comment": comment]) { event in
            if event["type"] as? String == "complete", let text = event["data"] as? String {
                id = text.split(separator: " ").first { $0.hasPrefix("v") }.map(String.init)
            }
            if event["type"] as? String == "error" { failure = event["error"] as? String ?? "checkpoint failed" }
        }
        if let failure { throw APIError.malformed(failure) }
        if let id { return id }
        guard let newest = try listCheckpoints(sprite).first else { throw APIError.malformed("no checkpoint id") }
        return newest.id
    }

    /// Checkpoints, newest first.
    public func listCheckpoints(_ sprite: String) throws -> [Checkpoint] {
        try decode([Checkpoint].self, call("GET", Self.path(sprite) + "/checkpoints"))
    }

    /// Restores a checkpoint; every session in the sprite ends.
    public func restoreCheckpoint(_ sprite: String, id: String) throws {
        var failure: String?
        try streamNDJSON("POST", Self.path(sprite) + "/checkpoints/" + Self.encodePathSegment(id) + "/restore") {
            if $0["type"] as? String == "error" { failure = $0["error"] as? String ?? "restore failed" }
        }
        if let failure { throw APIError.malformed(failure) }
    }

    public func networkPolicy(_ sprite: String) throws -> [PolicyRule] {
        try decode(PolicyDocument.self, call("GET", Self.path(sprite) + "/policy/network")).rules
    }

    public func setNetworkPolicy(_ sprite: String, rules: [PolicyRule]) throws {
        let body = try JSONEncoder().encode(PolicyDocument(rules: rules))
        try call("POST", Self.path(sprite) + "/policy/network", body: body, contentType: "application/json")
    }

    public func services(_ sprite: String) throws -> [Service] {
        try decode([Service].self, call("GET", Self.path(sprite) + "/services"))
    }

    /// Defines (or replaces) a service and starts it; returns the events seen while it started.
    @discardableResult
    public func putService(_ sprite: String, name: String, cmd: String, args: [String], environment: [String: String] = [:],
                           directory: String? = nil) throws -> [[String: Any]] {
        var body: [String: Any] = ["cmd": cmd, "args": args, "needs": [String]()]
        if !environment.isEmpty { body["env"] = environment }
        if let directory { body["dir"] = directory }
        var events: [[String: Any]] = []
        try streamNDJSON("PUT", Self.path(sprite) + "/services/" + Self.encodePathSegment(name),
                         query: [("duration", "1s")], json: body) { events.append($0) }
        return events
    }

    public func startService(_ sprite: String, name: String) throws {
        try streamNDJSON("POST", Self.path(sprite) + "/services/" + Self.encodePathSegment(name) + "/start",
                         query: [("duration", "1s")]) { _ in }
    }

    /// Removes a service (stopping it); an unknown service is not an error.
    public func deleteService(_ sprite: String, name: String) throws {
        try call("DELETE", Self.path(sprite) + "/services/" + Self.encodePathSegment(name), accept: [404])
    }

    public func stopService(_ sprite: String, name: String) throws {
        try streamNDJSON("POST", Self.path(sprite) + "/services/" + Self.encodePathSegment(name) + "/stop") { _ in }
    }
}
