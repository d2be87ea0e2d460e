/// A service's definition: the body of `PUT /services/{name}`.
public struct ServiceDefinition: Codable, Sendable, Equatable {
    public var cmd: String
    public var args: [String]?
    public var needs: [String]?
    public var httpPort: Int?
    public var env: [String: String]?
    public var dir: String?

    public init(
        cmd: String, args: [String]? = nil, needs: [String]? = nil, httpPort: Int? = nil,
        env: [String: String]? = nil, dir: String? = nil
    ) {
        (self.cmd, self.args, self.needs, self.httpPort, self.env, self.dir) = (cmd, args, needs, httpPort, env, dir)
    }

    enum CodingKeys: String, CodingKey {
        case cmd, args, needs, env, dir
        case httpPort = "http_port"
    }
}

/// A service's state.
public struct ServiceState: Codable, Sendable, Equatable {
    public var name: String?
    public var status: String
    public var pid: Int?
    public var startedAt: String?
    public var error: String?
    public var restartCount: Int?
    /// When a service that ended will be started again (RFC 3339).
    public var nextRestartAt: String?

    public init(
        name: String, status: String, pid: Int?, startedAt: String?, error: String?, restartCount: Int,
        nextRestartAt: String? = nil
    ) {
        (self.name, self.status, self.pid, self.startedAt, self.error, self.restartCount) = (
            name, status, pid, startedAt, error, restartCount
        )
        self.nextRestartAt = nextRestartAt
    }

    enum CodingKeys: String, CodingKey {
        case name, status, pid, error
        case startedAt = "started_at"
        case restartCount = "restart_count"
        case nextRestartAt = "next_restart_at"
    }

    /// A state without a status (the SDKs read one as `unknown`) is read so too.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decodeIfPresent(String.self, forKey: .name)
        status = try c.decodeIfPresent(String.self, forKey: .status) ?? "unknown"
        pid = try c.decodeIfPresent(Int.self, forKey: .pid)
        startedAt = try c.decodeIfPresent(String.self, forKey: .startedAt)
        error = try c.decodeIfPresent(String.self, forKey: .error)
        restartCount = try c.decodeIfPresent(Int.self, forKey: .restartCount)
        nextRestartAt = try c.decodeIfPresent(String.self, forKey: .nextRestartAt)
    }
}

/// A service with its state (`GET /services`).
public struct Service: Codable, Sendable, Equatable {
    public var name: String
    public var cmd: String
    public var args: [String]
    public var needs: [String]?
    public var httpPort: Int?
    public var env: [String: String]?
    public var dir: String?
    public var state: ServiceState?

    public init(name: String, definition d: ServiceDefinition, state: ServiceState?) {
        (self.name, cmd, args, needs, httpPort, env, dir) = (
            name, d.cmd, d.args ?? [], d.needs ?? [], d.httpPort, d.env, d.dir
        )
        self.state = state
    }

    enum CodingKeys: String, CodingKey {
        case name, cmd, args, needs, env, dir, state
        case httpPort = "http_port"
    }

    /// As the SDKs read one: `args` and `needs` null or missing (the service's own server
    /// writes `"args": null` for a service defined without them, which took every service
    /// down with it, and `up` with them, a fidelity review), `cmd` missing, no state.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decode(String.self, forKey: .name)
        cmd = try c.decodeIfPresent(String.self, forKey: .cmd) ?? ""
        args = try c.decodeIfPresent([String].self, forKey: .args) ?? []
        needs = try c.decodeIfPresent([String].self, forKey: .needs)
        httpPort = try c.decodeIfPresent(Int.self, forKey: .httpPort)
        env = try c.decodeIfPresent([String: String].self, forKey: .env)
        dir = try c.decodeIfPresent(String.self, forKey: .dir)
        state = try c.decodeIfPresent(ServiceState.self, forKey: .state)
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(name, forKey: .name)
        try c.encode(cmd, forKey: .cmd)
        try c.encode(args, forKey: .args)
        try c.encodeIfPresent(needs, forKey: .needs)
        try c.encode(httpPort, forKey: .httpPort)  // int or null
        try c.encodeIfPresent(env, forKey: .env)
        try c.encodeIfPresent(dir, forKey: .dir)
        try c.encodeIfPresent(state, forKey: .state)
    }
}

/// `POST /services/signal`.
public struct ServiceSignalRequest: Codable, Sendable {
    public var name: String
    public var signal: String

    public init(name: String, signal: String) { (self.name, self.signal) = (name, signal) }
}
