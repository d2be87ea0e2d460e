import Foundation

extension SpritesClient {
    /// Creates a checkpoint and returns its id (taken from the stream's `complete` message).
    public func createCheckpoint(_ sprite: String, comment: String = "") throws -> String {
        var id: String?
        var failure: String?
        try streamNDJSON("POST", Self.path(sprite) + "/checkpoint", body: CheckpointRequest(comment: comment)) {
            event in
            if event.type == "complete", let text = event.data {
                id = text.split(separator: " ").first { $0.hasPrefix("v") }.map(String.init)
            }
            if event.type == "error" { failure = event.error ?? event.data ?? event.message ?? "checkpoint failed" }
        }
        if let failure { throw APIError.failed(failure) }
        if let id { return id }
        guard let newest = try listCheckpoints(sprite).first else { throw APIError.malformed("no checkpoint id") }
        return newest.id
    }

    /// Checkpoints, newest first, whatever order the service sends them in (the API documents
    /// none): by `create_time`, then, within one second, by the number in the id (`v10` after
    /// `v9`, `auto-<ms>` by its milliseconds). The service's entry for the live state
    /// (`Current`, `active`), always the newest, is not a checkpoint and is left out: `restore`
    /// without an id took it (a fidelity review of the service's own code). No list at all
    /// (`null`, as a Go server encodes an empty one) is none.
    public func listCheckpoints(_ sprite: String) throws -> [Checkpoint] {
        let all = try decode([Checkpoint]?.self, call("GET", Self.path(sprite) + "/checkpoints")) ?? []
        return Self.newestFirst(all.filter { !Self.isLiveState($0.id) })
    }

    /// Whether `id` names the sprite's live state rather than a checkpoint.
    public static func isLiveState(_ id: String) -> Bool {
        ["current", "active"].contains(id.lowercased())
    }

    /// `checkpoints` ordered newest first (see `listCheckpoints`); an unreadable time sorts last.
    public static func newestFirst(_ checkpoints: [Checkpoint]) -> [Checkpoint] {
        func number(_ id: String) -> Int {
            Int(String(id.reversed().prefix { $0.isNumber }.reversed()).prefix(18)) ?? -1
        }
        let keyed = checkpoints.enumerated().map { (i, c) in
            (c, Timestamps.parse(c.createTime)?.timeIntervalSince1970 ?? -.infinity, number(c.id), i)
        }
        return keyed.sorted { a, b in
            if a.1 != b.1 { return a.1 > b.1 }
            if a.2 != b.2 { return a.2 > b.2 }
            return a.3 < b.3
        }.map(\.0)
    }

    /// Restores a checkpoint; every session in the sprite ends.
    public func restoreCheckpoint(_ sprite: String, id: String) throws {
        var failure: String?
        try streamNDJSON("POST", Self.path(sprite) + "/checkpoints/" + Self.encodePathSegment(id) + "/restore") {
            if $0.type == "error" { failure = $0.error ?? $0.data ?? $0.message ?? "restore failed" }
        }
        if let failure { throw APIError.failed(failure) }
    }

    public func networkPolicy(_ sprite: String) throws -> [PolicyRule] {
        try decode(PolicyDocument.self, call("GET", Self.path(sprite) + "/policy/network")).rules
    }

    public func setNetworkPolicy(_ sprite: String, rules: [PolicyRule]) throws {
        try call("POST", Self.path(sprite) + "/policy/network", body: PolicyDocument(rules: rules))
    }

    public func services(_ sprite: String) throws -> [Service] {
        try decode([Service]?.self, call("GET", Self.path(sprite) + "/services")) ?? []
    }

    /// Defines (or replaces) a service and starts it; returns the events seen while it started.
    @discardableResult
    public func putService(
        _ sprite: String, name: String, cmd: String, args: [String], environment: [String: String] = [:],
        directory: String? = nil
    ) throws -> [StreamEvent] {
        let body = ServiceDefinition(
            cmd: cmd, args: args, needs: [], env: environment.isEmpty ? nil : environment,
            dir: directory)
        var events: [StreamEvent] = []
        try streamNDJSON(
            "PUT", Self.path(sprite) + "/services/" + Self.encodePathSegment(name),
            query: [("duration", "1s")], body: body
        ) { events.append($0) }
        return events
    }

    public func startService(_ sprite: String, name: String) throws {
        try streamNDJSON(
            "POST", Self.path(sprite) + "/services/" + Self.encodePathSegment(name) + "/start",
            query: [("duration", "1s")]
        ) { _ in }
    }

    /// Removes a service (stopping it); an unknown service is not an error.
    public func deleteService(_ sprite: String, name: String) throws {
        try call("DELETE", Self.path(sprite) + "/services/" + Self.encodePathSegment(name), accept: [404])
    }

    public func stopService(_ sprite: String, name: String) throws {
        try streamNDJSON("POST", Self.path(sprite) + "/services/" + Self.encodePathSegment(name) + "/stop") { _ in }
    }
}
