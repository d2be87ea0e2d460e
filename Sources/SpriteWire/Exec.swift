/// The first text message of an exec stream.
public struct ExecSessionInfo: Codable, Sendable, Equatable {
    public var type = "session_info"
    public var sessionID: String
    public var command: String?
    /// Unix seconds.
    public var created: Int?
    public var cols: Int?
    public var rows: Int?
    public var isOwner: Bool?
    public var tty: Bool?

    public init(sessionID: String, command: String, created: Int, isOwner: Bool, tty: Bool) {
        (self.sessionID, self.command, self.created, self.isOwner, self.tty) = (
            sessionID, command, created, isOwner, tty
        )
        (cols, rows) = (0, 0)
    }

    enum CodingKeys: String, CodingKey {
        case type, command, created, cols, rows, tty
        case sessionID = "session_id"
        case isOwner = "is_owner"
    }

    /// Older servers sent the session id as a number: both are read.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        type = try c.decodeIfPresent(String.self, forKey: .type) ?? "session_info"
        if let text = try? c.decode(String.self, forKey: .sessionID) {
            sessionID = text
        } else {
            sessionID = String(try c.decode(Int.self, forKey: .sessionID))
        }
        command = try? c.decodeIfPresent(String.self, forKey: .command)
        created = try? c.decodeIfPresent(Int.self, forKey: .created)
        cols = try? c.decodeIfPresent(Int.self, forKey: .cols)
        rows = try? c.decodeIfPresent(Int.self, forKey: .rows)
        isOwner = try? c.decodeIfPresent(Bool.self, forKey: .isOwner)
        tty = try? c.decodeIfPresent(Bool.self, forKey: .tty)
    }
}

/// A text message of an exec stream in either direction: `exit`, `resize`, `signal`,
/// `port_opened`/`port_closed`; `session_info` has a type of its own.
public struct ExecMessage: Codable, Sendable, Equatable {
    public var type: String
    public var exitCode: Double?
    public var cols: Int?
    public var rows: Int?
    public var signal: String?
    /// `port_opened`/`port_closed`: the port, and the address it listens on.
    public var port: Int?
    public var address: String?

    public init(type: String, exitCode: Double? = nil, cols: Int? = nil, rows: Int? = nil, signal: String? = nil) {
        (self.type, self.exitCode, self.cols, self.rows, self.signal) = (type, exitCode, cols, rows, signal)
    }

    public static func exit(_ code: Int32) -> ExecMessage { ExecMessage(type: "exit", exitCode: Double(code)) }
    public static func resize(rows: Int, cols: Int) -> ExecMessage {
        ExecMessage(type: "resize", cols: cols, rows: rows)
    }
    public static func signal(_ name: String) -> ExecMessage { ExecMessage(type: "signal", signal: name) }
    public static func port(opened: Bool, _ port: Int, address: String) -> ExecMessage {
        var m = ExecMessage(type: opened ? "port_opened" : "port_closed")
        (m.port, m.address) = (port, address)
        return m
    }

    /// The exit status of an `exit` message: 0…255, anything else from a server is 255.
    public var exitStatus: Int32 {
        guard let code = exitCode, code >= 0, code <= 255, code == code.rounded() else { return 255 }
        return Int32(code)
    }

    enum CodingKeys: String, CodingKey {
        case type, cols, rows, signal, port, address
        case exitCode = "exit_code"
    }
}

/// An entry of `GET /v1/sprites/{name}/exec`.
public struct ExecSessionEntry: Codable, Sendable, Equatable {
    public var id: String
    public var command: String
    public var workdir: String?
    public var created: String?
    public var lastActivity: String?
    public var bytesPerSecond: Double?
    public var isActive: Bool?
    public var tty: Bool?

    public init(
        id: String, command: String, workdir: String, created: String, lastActivity: String, isActive: Bool,
        tty: Bool
    ) {
        (self.id, self.command, self.workdir, self.created, self.lastActivity) = (
            id, command, workdir, created, lastActivity
        )
        (self.bytesPerSecond, self.isActive, self.tty) = (0, isActive, tty)
    }

    enum CodingKeys: String, CodingKey {
        case id, command, workdir, created, tty
        case lastActivity = "last_activity"
        case bytesPerSecond = "bytes_per_second"
        case isActive = "is_active"
    }
}

/// `GET /v1/sprites/{name}/exec`.
public struct ExecSessionList: Codable, Sendable {
    /// (documented only by third parties: a reply may leave it out)
    public var count: Int?
    public var sessions: [ExecSessionEntry]

    public init(_ sessions: [ExecSessionEntry]) { (count, self.sessions) = (sessions.count, sessions) }
}

/// The body of `POST …/exec/{id}/kill` (the Python SDK's form; Go uses the query).
public struct KillRequest: Codable, Sendable {
    public var signal: String?
    public var timeout: Int?

    public init(signal: String? = nil, timeout: Int? = nil) { (self.signal, self.timeout) = (signal, timeout) }
}

/// The first message on `WSS /v1/sprites/{name}/proxy`: where to connect inside the
/// sprite.
public struct ProxyRequest: Codable, Sendable, Equatable {
    public var host: String
    public var port: Int

    public init(host: String, port: Int) { (self.host, self.port) = (host, port) }
}

/// The server's answer to a `ProxyRequest`: `connected` (then raw bytes both ways), or any
/// other status with the reason.
public struct ProxyStatus: Codable, Sendable, Equatable {
    public var status: String
    public var target: String?
    public var error: String?

    public init(status: String, target: String? = nil, error: String? = nil) {
        (self.status, self.target, self.error) = (status, target, error)
    }
}
